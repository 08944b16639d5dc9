"""Two consecutive missed years → a revocation case (撤销登记), decided only after the
行政处罚听证告知书 and the statement period, or the hearing the organisation asked for."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.models import Case, CaseStatus, Document, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import ActionRefused, timers_fire_due
from workflows.annual_inspection.models import OrgStatus

from .helpers import (
    case_of,
    complete,
    engine_complete,
    form_for,
    open_specs,
    open_task,
    propose,
    village_staff_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def revocation_case(campaign, register, year, clock, county_staff, county_leader):
    """bees missed last year and this year: warned after due process, then a revocation case."""
    clock.shift(timedelta(days=32))
    timers_fire_due()
    bees = case_of(register["bees"], year)
    assert not Case.objects.filter(procedure="org_revocation").exists()  # not by a timer
    propose(bees, county_staff)
    complete(bees, village_staff_of("安地村"), "penalty_statement", answer="waive",
             statement="")
    complete(bees, county_leader, "penalty_decide", decision="warning",
             decision_reason="连续两年未参加年检")
    cases = Case.objects.filter(procedure="org_revocation")
    assert list(cases.values_list("applicant_name", flat=True)) == ["婺城区养蜂协会"]
    return cases.get()


def _review(case, county_staff, recommendation="revoke"):
    complete(case, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation=recommendation, review_opinion="经警告后仍未参加年检")


def test_second_missed_year_opens_a_revocation_case(revocation_case, year, county_staff,
                                                    outsider, village_staff):
    assert revocation_case.data["years_missed"] == [year - 1, year]
    assert revocation_case.village.name == "安地村"
    task = open_task(revocation_case, "revocation_review")
    assert task in task_list_for_user(user=county_staff)
    outsider_village = get_user_model().objects.get(username="andi_v1_staff")
    for other in (outsider, village_staff, outsider_village):
        assert task not in task_list_for_user(user=other)
    inspection = Case.objects.get(pk=revocation_case.data["inspection_case"])
    assert [d.doc_type for d in Document.objects.filter(case=inspection).order_by("pk")] == [
        "inspection_penalty_notice", "inspection_warning"]


def test_revocation_without_notice_is_refused(revocation_case, register, county_staff,
                                              county_leader):
    _review(revocation_case, county_staff, recommendation="keep")
    assert open_specs(revocation_case) == {"revocation_decide"}
    form = form_for(revocation_case, "revocation_decide", {"decision": "revoke",
                                                           "decision_reason": "x"})
    assert not form.is_valid()
    with pytest.raises(ActionRefused, match="未向当事人送达行政处罚事先告知书"):
        engine_complete(revocation_case, county_leader, "revocation_decide",
                        decision="revoke", decision_reason="直接撤销")
    register["bees"].refresh_from_db()
    assert register["bees"].status == OrgStatus.ACTIVE
    assert not Document.objects.filter(case=revocation_case).exists()
    complete(revocation_case, county_leader, "revocation_decide", decision="not_revoke",
             decision_reason="该组织已补报年检材料并说明情况")
    assert revocation_case.status == CaseStatus.COMPLETED
    assert Document.objects.get(case=revocation_case).doc_type == "org_revocation_not_revoked"


def test_revoked_after_the_period_passes_unanswered(revocation_case, register, county_staff,
                                                    county_leader, clock):
    _review(revocation_case, county_staff)
    assert [d.doc_type for d in Document.objects.filter(case=revocation_case)] == [
        "org_revocation_notice"]
    statement = open_task(revocation_case, "revocation_statement")
    assert statement in task_list_for_user(user=village_staff_of("安地村"))
    assert open_specs(revocation_case) == {"revocation_statement"}
    clock.shift(timedelta(days=5, hours=1))
    assert timers_fire_due() >= 1
    revocation_case.refresh_from_db()
    assert open_specs(revocation_case) == {"revocation_decide"}
    assert revocation_case.tasks.get(spec_name="revocation_statement").status == \
        TaskStatus.CANCELLED
    complete(revocation_case, county_leader, "revocation_decide", decision="revoke",
             decision_reason="经警告并列入活动异常名录后仍未参加年检")
    assert revocation_case.status == CaseStatus.COMPLETED
    document = Document.objects.filter(case=revocation_case).order_by("-pk")[0]
    assert document.doc_type == "org_revocation_decision"
    assert document.number.startswith("婺民社撤〔")
    register["bees"].refresh_from_db()
    assert register["bees"].status == OrgStatus.REVOKED
    assert register["bees"].revoked_on is not None


def test_hearing_is_held_and_recorded_before_the_decision(revocation_case, register,
                                                          county_staff, county_leader,
                                                          clock):
    _review(revocation_case, county_staff)
    andi = village_staff_of("安地村")
    complete(revocation_case, andi, "revocation_statement", answer="hearing",
             statement="要求听证，说明未年检原因")
    assert open_specs(revocation_case) == {"hearing_schedule"}
    too_soon = (timezone.localdate() + timedelta(days=6)).isoformat()
    form = form_for(revocation_case, "hearing_schedule", {
        "hearing_date": too_soon, "hearing_place": "区民政局三楼会议室",
        "presiding_officer": "赵敏"})
    assert "七日前通知当事人" in form.errors["hearing_date"][0]
    with pytest.raises(ActionRefused, match="七日前通知当事人"):
        engine_complete(revocation_case, county_staff, "hearing_schedule",
                        hearing_date=too_soon, hearing_place="x", presiding_officer="赵敏")
    with pytest.raises(ActionRefused, match="听证日期无效"):
        engine_complete(revocation_case, county_staff, "hearing_schedule",
                        hearing_date="明天", hearing_place="x", presiding_officer="赵敏")
    assert not Document.objects.filter(case=revocation_case,
                                       doc_type="org_revocation_hearing_notice").exists()
    hearing_day = timezone.localdate() + timedelta(days=8)
    complete(revocation_case, county_staff, "hearing_schedule",
             hearing_date=hearing_day.isoformat(), hearing_place="区民政局三楼会议室",
             presiding_officer="赵敏")
    assert Document.objects.filter(case=revocation_case).order_by("-pk")[0].doc_type == \
        "org_revocation_hearing_notice"
    assert open_specs(revocation_case) == {"hearing_record"}  # no decision before the hearing
    record = {"hearing_participants": "赵敏（主持人）、养蜂协会会长", "hearing_statement":
              "会长因病未能组织年检，现已恢复活动", "hearing_opinion": "事实清楚，建议撤销"}
    form = form_for(revocation_case, "hearing_record",
                    {"hearing_held_on": timezone.localdate().isoformat(), **record})
    assert form.errors["hearing_held_on"] == [f"听证应在通知的日期（{hearing_day.isoformat()}）举行"]
    with pytest.raises(ActionRefused, match="尚未举行"):
        engine_complete(revocation_case, county_staff, "hearing_record",
                        hearing_held_on=timezone.localdate().isoformat(), **record)
    clock.shift(timedelta(days=8))
    complete(revocation_case, county_staff, "hearing_record",
             hearing_held_on=hearing_day.isoformat(), **record)
    assert open_specs(revocation_case) == {"revocation_decide"}
    complete(revocation_case, county_leader, "revocation_decide", decision="revoke",
             decision_reason="听证意见成立")
    assert [d.doc_type for d in Document.objects.filter(case=revocation_case).order_by("pk")] \
        == ["org_revocation_notice", "org_revocation_hearing_notice", "org_revocation_decision"]
    register["bees"].refresh_from_db()
    assert register["bees"].status == OrgStatus.REVOKED


def test_hearing_requested_but_not_held_refuses_the_decision(revocation_case, county_staff):
    """The guard itself, as a supervisor's edited diagram that skipped the hearing would
    reach it."""
    from workflows.annual_inspection.services import action_penalty_decision_check

    _review(revocation_case, county_staff)
    complete(revocation_case, village_staff_of("安地村"), "revocation_statement",
             answer="hearing", statement="")
    with pytest.raises(ActionRefused, match="须举行听证"):
        action_penalty_decision_check(
            case=revocation_case, data={"decision": "revoke"}, actor=None,
            params={"notice": "org_revocation_notice", "statement_task": "revocation_statement",
                    "hearing_task": "hearing_record"})


def test_decision_form_requires_reasons(revocation_case, county_staff):
    _review(revocation_case, county_staff, recommendation="keep")
    form = form_for(revocation_case, "revocation_decide", {"decision": "not_revoke"})
    assert form.errors["decision_reason"] == ["此项为必填项"]
