"""Camunda 7 import (engine/camunda.py): a Camunda Modeler diagram with candidate groups,
assignees, form keys, due dates, JUEL and FEEL conditions, a collection multi-instance and a
DRD translates, deploys and runs to its end; what cannot be translated is listed."""
import re
from datetime import timedelta
from pathlib import Path

import pytest

from engine.camunda import (
    TranslationError,
    camunda_import,
    camunda_names,
    condition_to_python,
    due_hours,
    juel_to_python,
)
from engine.models import CaseStatus, TaskStatus
from engine.services import case_start, definition_deploy, task_complete
from tests.engine.test_validation import check, errors

DATA = Path(__file__).resolve().parent.parent / "data" / "camunda"
FOREIGN = Path(__file__).resolve().parent.parent / "data" / "foreign"
GROUPS = {"Township Clerks": "township_staff", "Township Leaders": "township_leader",
          "County Office": "county_staff", "township-clerks": "township_staff",
          "county-office": "county_staff"}


def _files():
    return ((DATA / "relief_camunda7.bpmn").read_text(encoding="utf-8"),
            (DATA / "relief_levels_drd.dmn").read_text(encoding="utf-8"))


@pytest.mark.parametrize("juel, python", [
    ("${amount > 1000}", "amount > 1000"),
    ("#{approved}", "approved"),
    ("${!approved}", "not approved"),
    ("${amount gt 1000 && level eq 'county'}", "amount > 1000 and level == 'county'"),
    ("${a || (b && !c)}", "a or (b and not c)"),
    ("${invoice.amount >= 500}", "invoice['amount'] >= 500"),
    ("${empty comment}", "not comment"),
    ("${x == null}", "x == None"),
    ("${count mod 2 == 0}", "count % 2 == 0"),
])
def test_juel_translates(juel, python):
    assert juel_to_python(juel) == python


@pytest.mark.parametrize("juel, fragment", [
    ("${service.check(amount)}", "check()"),
    ("${execution.getVariable('x')}", "execution"),
    ("${a ? b : c}", "? :"),
    ("amount > 1000", "${"),
    ("${a} and ${b}", "${"),
    ("${__class__}", "下划线"),
])
def test_juel_that_cannot_translate_says_why(juel, fragment):
    with pytest.raises(TranslationError) as caught:
        juel_to_python(juel)
    assert fragment in str(caught.value)


def test_feel_conditions():
    assert condition_to_python('level = "county"', "feel") == 'level == "county"'
    assert condition_to_python("=amount > 1000") == "amount > 1000"


@pytest.mark.parametrize("text, hours", [("P3D", 72), ("PT48H", 48), ("P1W", 168),
                                         ("P1DT2H", 26),
                                         ("${dateTime().plusWeeks(1).toDate()}", 168),
                                         ("${dateTime().plusDays(2).plusHours(3).toDate()}", 51)])
def test_due_dates(text, hours):
    assert due_hours(text) == hours


def test_names_to_map():
    bpmn, _ = _files()
    groups, users = camunda_names(bpmn)
    assert set(groups) == set(GROUPS) and users == ["wang.leader"]


def test_import_lists_every_translation_and_validates():
    bpmn, dmn = _files()
    result = camunda_import(bpmn_xml=bpmn, dmn_xmls=[dmn], group_roles=GROUPS,
                            user_names={"wang.leader": "luodian_leader"})
    assert result.untranslated == [], result.untranslated
    shown = {(n.element_id, n.what): n.after for n in result.translated}
    assert shown[("Flow_township", "条件")] == "level == 'township' and amount <= 1000"
    assert shown[("Flow_county", "条件")] == 'level == "county" or amount > 1000'
    assert shown[("review", "办理期限")] == "due_hours = 72"
    assert shown[("township_decide", "办理人")] == "candidate_user = 'luodian_leader'"
    assert len(result.dmn_xmls) == 2  # one table per decision
    assert "camunda:" not in result.bpmn_xml.split("<bpmndi:")[0].replace("xmlns:camunda", "")
    problems = check(result.bpmn_xml, result.dmn_xmls)
    assert errors(problems) == [], [p.message for p in errors(problems)]


def test_unmapped_groups_are_listed_and_refused_by_validation():
    bpmn, dmn = _files()
    result = camunda_import(bpmn_xml=bpmn, dmn_xmls=[dmn], group_roles={})
    listed = {(n.element_id, n.what) for n in result.untranslated}
    assert ("review", "候选组") in listed and ("township_decide", "办理人") in listed
    assert errors(check(result.bpmn_xml, result.dmn_xmls))  # lanes are no roles


@pytest.mark.django_db
def test_imported_diagram_deploys_and_runs_to_the_end(village, township_staff, township_leader,
                                                      county_staff, clock):
    bpmn, dmn = _files()
    result = camunda_import(bpmn_xml=bpmn, dmn_xmls=[dmn], group_roles=GROUPS,
                            user_names={"wang.leader": township_leader.username})
    definition_deploy(key="relief_c7", name="临时救助（Camunda）", bpmn_xml=result.bpmn_xml,
                      dmn_xmls=result.dmn_xmls)
    for amount, last_step, decider in ((600, "township_decide", township_leader),
                                       (5000, "county_decide", county_staff)):
        case = case_start(procedure="relief_c7", title="临时救助", village=village,
                          applicant_name="张建国", started_by=township_staff,
                          data={"amount": amount, "urgent": False, "members": ["张建国", "李梅"]})
        review = case.tasks.get(status=TaskStatus.OPEN)
        assert review.spec_name == "review" and review.lane == "township_staff"
        assert review.due_at is not None
        task_complete(user=township_staff, task_pk=review.pk,
                      form_data={"decision": "approve", "opinion": "属实"})
        visits = list(case.tasks.filter(status=TaskStatus.OPEN, spec_name="visit"))
        assert len(visits) == 2  # one per household member
        for visit in visits:
            task_complete(user=township_staff, task_pk=visit.pk, form_data={"opinion": "已核查"})
        decide = case.tasks.get(status=TaskStatus.OPEN)
        assert decide.spec_name == last_step
        task_complete(user=decider, task_pk=decide.pk,
                      form_data={"decision": "approve", "opinion": "同意"})
        case.refresh_from_db()
        assert case.status == CaseStatus.COMPLETED
        clock.shift(timedelta(minutes=1))


def test_a_real_camunda_example_lists_what_it_cannot_translate():
    """Camunda's own example (tests/data/foreign/, Apache-2.0): Java beans, bean calls as
    assignees and call-activity variable mappings stay listed; conditions translate."""
    bpmn = (FOREIGN / "camunda_job_announcement.bpmn").read_text(encoding="utf-8")
    result = camunda_import(bpmn_xml=bpmn, group_roles={"HR": "township_staff",
                                                        "Management": "township_leader"})
    listed = {(n.element_id, n.what): n for n in result.untranslated}
    assert "jobAnnouncementService" in listed[("mail", "调用表达式")].before
    assert ("review", "办理人") in listed  # a bean call, not a variable
    assert ("publication", "调用参数") in listed
    assert ("edit", "候选组") in listed  # "engineering" is not mapped
    shown = {(n.element_id, n.what): n.after for n in result.translated}
    assert shown[("Flow_1gfi885", "条件")] == "approved"
    assert shown[("Flow_0yjunvn", "条件")] == "not approved"
    assert shown[("Lane_1klekz5", "泳道")] == "township_staff"
    for note in result.untranslated:
        assert re.search(r"[\u4e00-\u9fff]", note.reason), note
