"""FEEL written by dmn-js, translated into the Python the engine evaluates — and run."""
from pathlib import Path

import pytest
from lxml import etree

from engine import runtime
from engine.feel import (
    FeelError,
    dmn_translate_feel,
    translate_expression,
    translate_input_entry,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "modeler"


@pytest.mark.parametrize(("feel", "python"), [
    ("[1000..3000]", "1000 <= ? <= 3000"),
    ("(1000..3000]", "1000 < ? <= 3000"),
    ("]1000..3000]", "1000 < ? <= 3000"),
    ("]1000..3000[", "1000 < ? < 3000"),
    ("[1000..3000)", "1000 <= ? < 3000"),
    ("<= 3000", "? <= 3000"),
    ("> -5.5", "? > -5.5"),
    ("= 3", "? == 3"),
    ("!= 3", "? != 3"),
    ("3000", "? == 3000"),
    ('"township"', '? == "township"'),
    ('"a","b"', '(? == "a") or (? == "b")'),
    ('not("a", "b")', 'not ((? == "a") or (? == "b"))'),
    ("not(< 10)", "not ((? < 10))"),
    ("< 10, > 20", "(? < 10) or (? > 20)"),
    ("true", "? == True"),
    ("false", "? == False"),
    ("null", "? is None"),
    ("True", "? == True"),  # the Python spelling of hand-written tables
    ("-", "-"),
    ("", "-"),
    (None, "-"),
    ("< limit", "? < limit"),
    ("< county_settings.dibao_monthly", '? < county_settings["dibao_monthly"]'),
    # the engine's own syntax (hand-written tables) passes through unchanged
    ("3000 < ? <= 20000", "3000 < ? <= 20000"),
    ("? <= 3000", "? <= 3000"),
])
def test_input_entries(feel, python):
    assert translate_input_entry(feel) == python
    assert translate_input_entry(python) == python  # translating twice changes nothing


@pytest.mark.parametrize(("feel", "message"), [
    ("1000..3000", "“..”"),
    ("[1000..3000", "右括号"),
    ("[3000..1000]", "下限 3000 大于上限 1000"),
    ("“township”", "英文双引号"),
    ("'township'", "英文双引号"),
    ('date("2026-01-01")', "日期函数"),
    ("matches(x, 1)", "不支持调用函数"),
    ("@", "无法识别的字符"),
    ("__class__", "下划线"),
])
def test_unsupported_input_entries_are_rejected(feel, message):
    with pytest.raises(FeelError, match=message):
        translate_input_entry(feel)


@pytest.mark.parametrize(("feel", "python"), [
    ('"township"', '"township"'),
    ("true", "True"),
    ("false", "False"),
    ("null", "None"),
    ("1000 * 2", "1000 * 2"),
    ("amount = 3", "amount == 3"),
    ('[ "公安", "民政" ]', '["公安", "民政"]'),
    ("not(a and b)", "not (a and b)"),
    ("household.size + 1", 'household["size"] + 1'),
    ("", ""),
])
def test_expressions(feel, python):
    assert translate_expression(feel)[0] == python


def test_expression_rejects_feel_only_forms():
    with pytest.raises(FeelError, match="一个值"):
        translate_expression('"a","b"')
    with pytest.raises(FeelError, match="if"):
        translate_expression('if a then "x" else "y"')


def _evaluate(dmn_xml: str, decision_id: str, data: dict) -> dict:
    """Run a translated table inside a one-step process, through the sandboxed engine."""
    bpmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="rule"/>
    <bpmn:businessRuleTask id="rule"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>
    </bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="rule" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""
    spec, subs = runtime.parse(bpmn, [dmn_xml], "p")
    workflow, _ = runtime.new_workflow(runtime.spec_to_json(spec, subs), data)
    runtime.run(workflow)
    assert workflow.is_completed()
    return runtime.workflow_data(workflow)


def test_dmnjs_table_is_translated_in_place_and_runs():
    original = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    translated, problems = dmn_translate_feel(original)
    assert problems == []
    root = etree.fromstring(translated.encode())
    entries = [t.text for t in root.iter("{*}text")]
    assert "1000 < ? <= 20000" in entries
    # ids, descriptions and the DMNDI layout survive
    assert root.find(".//{*}DMNShape").get("dmnElementRef") == "approval_level"
    assert root.find(".//{*}rule").get("id") == "DecisionRule_1l3x0ta"
    for amount, level in [(500, "township"), (1000, "township"), (1000.5, "county"),
                          (2000, "county"), (20000, "county"), (20001, "collective")]:
        assert _evaluate(translated, "approval_level", {"amount": amount})["level"] == level


LIST_TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="DRD"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="route" name="复核部门">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="in" label="困难类型">
        <inputExpression id="in_expr" typeRef="string"><text>hardship_type</text></inputExpression>
      </input>
      <output id="out" label="复核部门" name="department" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="r1_in"><text>"illness","accident"</text></inputEntry>
        <outputEntry id="r1_out"><text>"残联"</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2_in"><text>-</text></inputEntry>
        <outputEntry id="r2_out"><text>"民政"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>"""


def test_untranslated_feel_would_silently_misroute():
    """Why translation matters: a FEEL list left as is becomes a tuple compared with ==, so
    an illness case silently falls through to the next rule."""
    data = {"hardship_type": "illness"}
    assert _evaluate(LIST_TABLE, "route", data)["department"] == "民政"
    translated, problems = dmn_translate_feel(LIST_TABLE)
    assert problems == []
    assert _evaluate(translated, "route", data)["department"] == "残联"


@pytest.mark.parametrize(("data", "department", "urgent"), [
    ({"hardship_type": "accident", "disabled": True, "household": {"size": 9}}, "残联", True),
    ({"hardship_type": "accident", "disabled": False, "household": {"size": 4}}, "民政", False),
    ({"hardship_type": "fire", "disabled": False, "household": {"size": 4}}, "应急管理", False),
    ({"hardship_type": "illness", "disabled": False, "household": {"size": 5}}, "应急管理",
     False),
])
def test_dmnjs_lists_negation_booleans_and_paths_run(data, department, urgent):
    table = (DATA / "dmnjs_department.dmn").read_text(encoding="utf-8")
    translated, _ = dmn_translate_feel(table)
    result = _evaluate(translated, "Decision_review_route", data)
    assert (result["department"], result["urgent_review"]) == (department, urgent)


def test_problems_name_the_rule_and_leave_the_entry_alone():
    table = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    broken = table.replace("]1000..20000]", "1000..20000").replace(
        '<text>"collective"</text>', "<text>collective</text>")
    translated, problems = dmn_translate_feel(broken)
    assert [p.code for p in problems] == ["feel_input_entry", "feel_unquoted_string"]
    assert problems[0].message.startswith("决策表“临时救助审批层级”规则2“县民政局审批”的条件"
                                          "“1000..20000”")
    assert problems[0].element_id == "DecisionRule_0v7hm2r"
    assert 'collective 没有加引号' in problems[1].message
    assert "<text>1000..20000</text>" in translated


def test_unquoted_word_in_a_string_column_is_an_error():
    table = (DATA / "dmnjs_department.dmn").read_text(encoding="utf-8")
    table = table.replace('<text>"illness","accident"</text>', "<text>illness</text>")
    _, problems = dmn_translate_feel(table)
    assert [(p.code, p.severity) for p in problems] == [("feel_unquoted_string", "error")]
    assert '"illness"' in problems[0].message


def test_doctype_and_entities_are_refused():
    evil = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"><decision '
            'id="d"><decisionTable id="t"><input id="i"><inputExpression><text>&x;</text>'
            '</inputExpression></input></decisionTable></decision></definitions>')
    translated, problems = dmn_translate_feel(evil)
    assert problems[0].code == "dmn_xml" and "DOCTYPE" in problems[0].message
    assert "root:" not in translated
