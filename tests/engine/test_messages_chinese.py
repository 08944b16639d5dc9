"""Every refusal of engine/validation.py and the DMN/FEEL checks says what is wrong in Chinese;
the library's English, when there is any, is kept in ``Problem.detail`` for the developer."""
import pytest

from engine.validation import validate_definition
from tests.engine.test_foreign_corpus import library_english
from tests.engine.test_refused_wrongly import dmn, rule_diagram
from tests.engine.test_validation import ROLES, diagram, flow, user_task

BROKEN_BPMN = {
    "not_xml": "<bpmn:definitions",
    "doctype": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    "not_bpmn": "<root/>",
    "syntax": diagram('<bpmn:exclusiveGateway id="g" default="f_g_end"/>'
                      + flow("start", "g") + flow("g", "end", flow_id="f_g_end")
                      + '<bpmn:task id="t"/>' + flow("g", "t", "amount &gt;&gt; &gt; 1")
                      + flow("t", "end")),
    "restricted": diagram('<bpmn:scriptTask id="s"><bpmn:script>x = y.__class__'
                          "</bpmn:script></bpmn:scriptTask>" + flow("start", "s")
                          + flow("s", "end")),
    "exec": diagram('<bpmn:scriptTask id="s"><bpmn:script>exec("1")</bpmn:script>'
                    "</bpmn:scriptTask>" + flow("start", "s") + flow("s", "end")),
    "call_missing": diagram('<bpmn:callActivity id="c" calledElement="nowhere"/>'
                            + flow("start", "c") + flow("c", "end")),
    "mi_without_input": diagram(
        '<bpmn:userTask id="u" name="审核"><bpmn:multiInstanceLoopCharacteristics/>'
        "</bpmn:userTask>" + flow("start", "u") + flow("u", "end"),
        lanes={"township_staff": ["u"]}),
    "subprocess_without_start": diagram(
        '<bpmn:subProcess id="sp"><bpmn:task id="inner"/></bpmn:subProcess>'
        + flow("start", "sp") + flow("sp", "end")),
    "timer": diagram('<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition>'
                     '<bpmn:timeDuration>"P7X"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                     "</bpmn:intermediateCatchEvent>" + flow("start", "w") + flow("w", "end")),
    "juel": diagram('<bpmn:exclusiveGateway id="g" default="f_g_end"/>' + flow("start", "g")
                    + flow("g", "end", flow_id="f_g_end") + '<bpmn:task id="t"/>'
                    + flow("g", "t", "${amount &gt; 1000}") + flow("t", "end")),
    "unknown_lane": diagram(user_task("u", "审核", form="generic:opinion") + flow("start", "u")
                            + flow("u", "end"), lanes={"Reviewer": ["u"]}),
}

BROKEN_DMN = {
    "not_xml": "<definitions",
    "feel": dmn(["[1..]", "&gt; 5"]),
    "hit_policy": dmn(["&lt; 5", "&gt;= 5"], hit_policy="ANY"),
    "single_quotes": dmn(["'a'", "&gt; 5"]),
    "no_input": dmn(["&lt; 5"], input_text="", label=""),
    "unsafe": dmn(["? &gt; __import__('os').getpid()"]),
    "overlap": dmn(["&lt; 10", "&lt; 20"]),
}


def _messages(problems):
    return [p.message for p in problems]


@pytest.mark.parametrize("name", sorted(BROKEN_BPMN))
def test_diagram_refusals_are_chinese(name):
    problems = validate_definition(bpmn_xml=BROKEN_BPMN[name], known_roles=ROLES,
                                   form_exists=lambda task_id: True)
    assert any(p.is_error for p in problems), name
    for message in _messages(problems):
        assert not library_english(message), message


@pytest.mark.parametrize("name", sorted(BROKEN_DMN))
def test_table_refusals_are_chinese(name):
    problems = validate_definition(bpmn_xml=rule_diagram(), dmn_xmls=[BROKEN_DMN[name]],
                                   known_roles=ROLES, form_exists=lambda task_id: True)
    assert any(p.is_error for p in problems), name
    for message in _messages(problems):
        assert not library_english(message), message


def test_the_library_text_is_kept_as_detail():
    problems = validate_definition(bpmn_xml=BROKEN_BPMN["call_missing"], known_roles=ROLES,
                                   form_exists=lambda task_id: True)
    parse = [p for p in problems if p.code == "bpmn_parse"]
    assert parse and "“nowhere”不在本文件中" in parse[0].message
    assert "was not found" in parse[0].detail
    not_xml = validate_definition(bpmn_xml=BROKEN_BPMN["not_xml"], known_roles=ROLES)
    assert not_xml[0].detail and not library_english(not_xml[0].message)
