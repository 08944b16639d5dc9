"""Dry runs of drafts: the path a sample case would take, nothing saved."""
from pathlib import Path

import pytest
from django.conf import settings

from engine.dryrun import dry_run
from engine.models import AuditEntry, Case, HumanTask

DATA = Path(__file__).resolve().parent.parent / "data" / "modeler"

# What the temporary-relief task forms hand to the workflow, step by step.
DECISIONS = {
    "accept": {"acceptance": "accept"},
    "investigate": {"proposed_amount": "2000", "village_opinion": "同意"},
    # What the forms add: a review opens a notice round.
    "township_review": {"amount": 2000, "recommendation": "grant", "notice_held": False},
    # 公示: the engine sends "notice_ended" when the period has run out.
    "notice_period_end": {"held": True, "ended_on": "2026-12-10"},
}


def _relief_bpmn() -> str:
    return (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")


def _shipped_dmn() -> str:
    return (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_lower_limit_sends_a_2000_yuan_case_to_the_county(demo, village):
    # given the draft table from dmn-js (FEEL) lowering the township's limit to 1000 yuan
    draft_dmn = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    # when a 2,000-yuan case runs through the draft
    result = dry_run(bpmn_xml=_relief_bpmn(), dmn_xmls=[draft_dmn],
                     data={"urgent": False, "requested_amount": "2000"}, village=village,
                     decisions=DECISIONS)
    # then the rule sends it to the county, whose staff receive the review
    rule = next(step for step in result.steps if step.element_id == "level_rule")
    assert rule.data["level"] == "county"
    review = next(step for step in result.steps if step.element_id == "county_review")
    assert review.role == "county_staff"
    assert review.unit.name == "婺城区"
    assert "wucheng_county_staff" in review.users
    assert "township_decide" not in result.path
    assert result.path.index("public_notice") < result.path.index("level_rule")
    # and the run stops where the decision needs data nobody gave
    assert not result.finished
    assert "decision" in result.stop_reason
    assert result.stopped_at == "gw_county_authority"  # 报上级审批？ asks for the decision
    # nothing was saved
    assert not Case.objects.exists() and not HumanTask.objects.exists()
    assert not AuditEntry.objects.filter(case__isnull=False).exists()


@pytest.mark.django_db
def test_shipped_limit_keeps_a_2000_yuan_case_in_the_township(demo, village):
    result = dry_run(bpmn_xml=_relief_bpmn(), dmn_xmls=[_shipped_dmn()],
                     data={"urgent": False}, village=village,
                     decisions={**DECISIONS, "township_decide": {"decision": "approve"}})
    decide = next(step for step in result.steps if step.element_id == "township_decide")
    assert decide.role == "township_leader"
    assert decide.unit.name == "罗店镇"
    assert decide.users == ["luodian_leader"]
    assert "county_review" not in result.path
    assert result.finished
    assert result.path[-2:] == ["issue_decision", "gw_paperwork"] or \
        result.path[-1] == "end_granted"
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_missing_data_stops_at_the_step_that_needs_it(demo, village):
    result = dry_run(bpmn_xml=_relief_bpmn(), dmn_xmls=[_shipped_dmn()],
                     data={"urgent": False}, village=village, decisions={})
    assert result.path[:2] == ["start", "gw_urgent"]
    assert "accept" in result.path
    assert result.stopped_at == "gw_accept"
    assert "acceptance" in result.stop_reason


@pytest.mark.django_db
def test_generic_decision_form_approves_by_default(demo, village):
    bpmn = (DATA / "bpmnjs_generic.bpmn").read_text(encoding="utf-8")
    result = dry_run(bpmn_xml=bpmn, dmn_xmls=[], data={}, village=village)
    assert result.finished, result.stop_reason
    opinion, approve = [step for step in result.steps if step.type == "userTask"]
    assert opinion.data == {"opinion": "（试运行）"} and opinion.role == "township_staff"
    assert approve.element_id == "Activity_1q2h8cz"
    assert approve.data["decision"] == "approve"
    assert approve.role == "township_leader"
    assert result.path[-1] == "Event_approved"


@pytest.mark.django_db
def test_broken_feel_is_reported_not_run(demo, village):
    draft_dmn = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    broken = draft_dmn.replace("]1000..20000]", "1000..20000")
    result = dry_run(bpmn_xml=_relief_bpmn(), dmn_xmls=[broken], data={}, village=village)
    assert result.steps == []
    assert result.problems and "规则2" in result.problems[0].message


@pytest.mark.django_db
def test_a_condition_failing_at_run_time_stops_with_chinese_and_the_library_text_apart(
        demo, village):
    """The stop reason is Chinese; SpiffWorkflow's own words go to stop_detail (shown
    folded in the modeler)."""
    from tests.engine.test_foreign_corpus import library_english
    from tests.engine.test_validation import diagram, flow

    bpmn = diagram(
        '<bpmn:exclusiveGateway id="gw" name="金额判断" default="f_gw_end"/>'
        + flow("start", "gw")
        + flow("gw", "end", condition="amount.upper() > 1", flow_id="f_gw_big")
        + flow("gw", "end", flow_id="f_gw_end"))
    result = dry_run(bpmn_xml=bpmn, dmn_xmls=[], data={"amount": 5}, village=village)
    assert not result.finished and result.stopped_at == "gw"
    assert result.stop_reason.startswith("“金额判断”（gw）"), result.stop_reason
    assert not library_english(result.stop_reason), result.stop_reason
    assert result.stop_detail and library_english(result.stop_detail), result.stop_detail
