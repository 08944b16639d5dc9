"""Every path of the temporary-relief diagram, walked through the forms and the engine."""
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.models import AuditAction, CaseStatus, TaskStatus
from engine.services import timers_fire_due

from .helpers import (
    complete,
    file_application,
    letter,
    open_task,
    walk_past_notice,
    walk_to_notice,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(clock, monkeypatch):
    # Cases filed in these tests carry the test's clock so helpers can move time forward.
    from engine.models import Case

    monkeypatch.setattr(Case, "clock", clock, raising=False)


def _through_review(case, *, village_staff, township_staff, amount="2500"):
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff,
                   amount=amount)


def _after_notice(case, township_staff, *, objection=False):
    assert timers_fire_due() == 0  # the notice lasts 7 days
    walk_past_notice(case, clock=case.clock, township_staff=township_staff,
                     objection=objection)


def _approve(case, user, spec_name, amount="2500", **extra):
    complete(case, user, spec_name, decision="approve", approved_amount=amount,
             payment_method="bank", decision_opinion="同意", **extra)


def test_township_grants_within_its_limit(applicant, village, village_staff, township_staff,
                                          township_leader):
    case = file_application(user=applicant, village=village)
    _through_review(case, village_staff=village_staff, township_staff=township_staff)
    assert not case.tasks.filter(status=TaskStatus.OPEN).exists()  # waiting on the notice
    assert case.next_timer_at is not None
    _after_notice(case, township_staff)
    assert case.data["level"] == "township"
    _approve(case, township_leader, "township_decide")
    assert case.status == CaseStatus.COMPLETED
    document = letter(case)
    assert document.doc_type == "relief_decision"
    # Devolved township approval (demo county): the township's own number series.
    assert document.number == f"罗店政救〔{timezone.localdate().year}〕1号"
    assert document.holder_id_masked == "330***********1232"
    actions = list(case.audit.values_list("action", flat=True))
    for action in (AuditAction.STARTED, AuditAction.COMPLETED, AuditAction.TIMER,
                   AuditAction.DECISION, AuditAction.DOCUMENT, AuditAction.FINISHED):
        assert action in actions


def test_above_limit_goes_to_county_staff_then_leader(applicant, village, village_staff,
                                                      township_staff, township_leader,
                                                      county_staff, county_leader):
    case = file_application(user=applicant, village=village, requested_amount="8000")
    _through_review(case, village_staff=village_staff, township_staff=township_staff,
                    amount="8000")
    _after_notice(case, township_staff)
    task = open_task(case, "county_review")
    assert task.lane == "county_staff"
    assert task.candidate_unit.name == "婺城区"
    complete(case, county_staff, "county_review", county_opinion="同意")
    _approve(case, county_leader, "county_decide", amount="8000")
    assert case.status == CaseStatus.COMPLETED
    assert letter(case).doc_type == "relief_decision"


def test_above_second_threshold_needs_a_collective_decision(applicant, village, village_staff,
                                                            township_staff, county_staff,
                                                            county_leader):
    case = file_application(user=applicant, village=village, requested_amount="30000")
    _through_review(case, village_staff=village_staff, township_staff=township_staff,
                    amount="30000")
    _after_notice(case, township_staff)
    complete(case, county_staff, "county_review", county_opinion="建议集体研究")
    _approve(case, county_leader, "collective_decide", amount="30000",
             meeting_record="2026年11月24日局务会议研究同意")
    assert case.status == CaseStatus.COMPLETED


def test_county_leader_refuses_with_reasons(applicant, village, village_staff, township_staff,
                                            county_staff, county_leader):
    case = file_application(user=applicant, village=village, requested_amount="5000")
    _through_review(case, village_staff=village_staff, township_staff=township_staff,
                    amount="5000")
    _after_notice(case, township_staff)
    complete(case, county_staff, "county_review", county_opinion="不符合")
    complete(case, county_leader, "county_decide", decision="refuse",
             decision_opinion="不同意", refusal_reason="家庭月收入高于当地低保标准",
             override_reason="县级复核发现家庭月收入高于当地低保标准")
    document = letter(case)
    assert document.doc_type == "relief_refusal"
    assert document.number.startswith("婺民救告〔")
    assert document.context["refusal_reason"] == "家庭月收入高于当地低保标准"


def test_incomplete_application_is_returned_once(applicant, village, township_staff,
                                                 village_staff):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="return",
             missing_items="医院诊断证明；住院费用清单")
    task = open_task(case, "supplement")
    assert task.assignee == applicant
    complete(case, applicant, "supplement", supplement_note="已上传诊断证明和费用清单")
    # The second acceptance may not return the application again (一次性告知).
    from workflows.registry import procedure_get

    form = procedure_get("temporary_relief").task_form_class("accept")(
        data={"acceptance": "return", "missing_items": "户口本"}, case_data=case.data)
    assert not form.is_valid()
    assert "不能再次退回" in form.errors["acceptance"][0]
    complete(case, township_staff, "accept", acceptance="accept")
    assert open_task(case).spec_name == "investigate"


def test_refusing_to_accept_needs_a_reason_and_issues_a_notice(applicant, village,
                                                               township_staff):
    case = file_application(user=applicant, village=village)
    from workflows.registry import procedure_get

    form = procedure_get("temporary_relief").task_form_class("accept")(
        data={"acceptance": "reject"}, case_data=case.data)
    assert not form.is_valid()
    assert "理由" in form.errors["refusal_reason"][0]
    complete(case, township_staff, "accept", acceptance="reject",
             refusal_reason="申请人户籍不在本辖区")
    assert case.status == CaseStatus.COMPLETED
    assert letter(case).doc_type == "relief_refusal"


def test_objection_in_public_notice_sends_case_back_to_investigation(
        applicant, village, village_staff, township_staff):
    case = file_application(user=applicant, village=village)
    _through_review(case, village_staff=village_staff, township_staff=township_staff)
    _after_notice(case, township_staff, objection=True)
    assert open_task(case).spec_name == "investigate"


def test_township_recommends_refusal_skips_public_notice(applicant, village, village_staff,
                                                         township_staff, township_leader):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="有稳定收入", proposed_amount="1000",
             village_opinion="不同意")
    complete(case, township_staff, "township_review", economic_check="ineligible",
             amount="1000", recommendation="refuse", review_opinion="不符合",
             refusal_reason="经核对家庭有稳定收入")
    task = open_task(case, "township_decide")
    assert task.lane == "township_leader"
    assert case.next_timer_at is None


def test_urgent_township_grant_first_then_paperwork(applicant, village, township_staff,
                                                    township_leader):
    case = file_application(user=applicant, village=village, urgent="on")
    task = open_task(case, "urgent_review")
    assert task.due_at - task.created_at <= timedelta(hours=12, seconds=1)
    complete(case, township_staff, "urgent_review", urgent_facts="房屋失火，全家无处居住",
             amount="2000")
    _approve(case, township_leader, "urgent_township_decide", amount="2000")
    # The decision is issued before the paperwork is completed (先行救助).
    assert letter(case).doc_type == "relief_decision"
    assert case.status == CaseStatus.RUNNING
    paperwork = open_task(case, "urgent_paperwork")
    assert paperwork.lane == "township_staff"
    complete(case, township_staff, "urgent_paperwork", visit_date="2026-11-21",
             investigator_1="王芳", investigator_2="李强", filing_note="已报县备案",
             follow_up_findings="房屋失火属实", follow_up_outcome="confirm")
    assert case.status == CaseStatus.COMPLETED
    assert case.documents.last().doc_type == "relief_urgent_confirmation"


def test_urgent_above_limit_goes_to_county_leader(applicant, village, township_staff,
                                                  county_leader):
    case = file_application(user=applicant, village=village, urgent="on",
                            requested_amount="6000")
    complete(case, township_staff, "urgent_review", urgent_facts="车祸重伤", amount="6000")
    task = open_task(case, "urgent_county_decide")
    assert task.lane == "county_leader"
    _approve(case, county_leader, "urgent_county_decide", amount="6000")
    assert open_task(case).spec_name == "urgent_paperwork"


def test_filed_by_village_staff_on_behalf(village, village_staff, other_village_staff,
                                          township_staff):
    case = file_application(user=village_staff, village=village, on_behalf=True)
    assert case.applicant is None
    complete(case, township_staff, "accept", acceptance="return", missing_items="身份证复印件")
    # The applicant's step goes to the staff of the case's own village only.
    from engine.selectors import task_list_for_user

    assert not task_list_for_user(user=other_village_staff).exists()
    complete(case, village_staff, "supplement", supplement_note="已代为补交")
    assert open_task(case).spec_name == "accept"


def test_second_application_this_year_shows_the_grant_on_record(
        applicant, village, village_staff, township_staff, township_leader):
    first = file_application(user=applicant, village=village)
    _through_review(first, village_staff=village_staff, township_staff=township_staff)
    _after_notice(first, township_staff)
    _approve(first, township_leader, "township_decide", amount="2500")
    second = file_application(user=applicant, village=village)
    assert second.data["recorded_grants"]["count"] == 1
    assert second.data["recorded_grants"]["total"] == 2500
