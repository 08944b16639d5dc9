"""Penalties for a missed report follow due process (《行政处罚法》 arts. 44-45): the deadline
timer only opens tasks; a 行政处罚事先告知书 precedes the decision; the organisation states its
case online or lets the period pass; the decision is never heavier than notified. Late filing
(补报) stays possible and reaches review and a sanction decision."""
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.models import AuditAction, Case, Document, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import ActionRefused, timers_fire_due
from workflows.annual_inspection.models import (
    AbnormalListing,
    InspectionRecord,
    InspectionResult,
)

from .helpers import (
    case_of,
    complete,
    engine_complete,
    file_report,
    form_for,
    open_specs,
    open_task,
    propose,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(campaign, register, year, clock):
    """The deadline has passed without any report."""
    clock.shift(timedelta(days=32))
    assert timers_fire_due() == 3
    return case_of(register["chess"], year)


def test_the_deadline_timer_only_opens_tasks(overdue, register, year, county_staff,
                                             direct_account, outsider, county_leader):
    assert open_specs(overdue) == {"overdue_review", "late_report"}
    assert not Document.objects.filter(case__procedure="annual_inspection").exists()
    assert not AbnormalListing.objects.filter(year_missed=year).exists()
    assert InspectionRecord.objects.get(case=overdue).result == InspectionResult.PENDING
    review = open_task(overdue, "overdue_review")
    assert review in task_list_for_user(user=county_staff)
    for other in (outsider, direct_account, county_leader):
        assert review not in task_list_for_user(user=other)
    assert open_task(overdue, "late_report") in task_list_for_user(user=direct_account)
    # No decision task exists before a notice: nothing a leader could complete.
    assert "penalty_decide" not in open_specs(overdue)


def test_a_penalty_without_prior_notice_is_refused(overdue, county_staff, county_leader):
    propose(overdue, county_staff, penalty="none", reasons="因疫情封控未能按期报送，有正当理由")
    assert not Document.objects.filter(case=overdue).exists()  # nothing to notify
    form = form_for(overdue, "penalty_decide", {"decision": "warning",
                                                "decision_reason": "给予警告"})
    assert not form.is_valid()
    assert form.errors["decision"] == ["处理决定不得重于事先告知的拟处理意见，且未经事先告知不得处罚"]
    # Around the form (an API client): the engine refuses and saves nothing.
    for penalty in ("warning", "listing"):
        with pytest.raises(ActionRefused, match="未向当事人送达行政处罚事先告知书"):
            engine_complete(overdue, county_leader, "penalty_decide", decision=penalty,
                            decision_reason="x")
    overdue.refresh_from_db()
    assert open_task(overdue, "penalty_decide").status == TaskStatus.OPEN
    assert not Document.objects.filter(case=overdue).exists()
    assert not AbnormalListing.objects.filter(organisation__name="婺城区围棋协会").exists()
    complete(overdue, county_leader, "penalty_decide", decision="none",
             decision_reason="有正当理由，不予处罚")
    assert [d.doc_type for d in Document.objects.filter(case=overdue)] == [
        "inspection_no_penalty"]
    assert not AbnormalListing.objects.filter(organisation__name="婺城区围棋协会").exists()
    assert InspectionRecord.objects.get(case=overdue).result == InspectionResult.PENDING


def test_late_window_closing_records_the_year_missed_without_a_sanction(overdue, clock):
    clock.shift(timedelta(days=184))
    assert timers_fire_due() >= 1
    overdue.refresh_from_db()
    assert open_specs(overdue) == {"overdue_review"}  # the sanction is still a person's call
    assert InspectionRecord.objects.get(case=overdue).result == InspectionResult.MISSED
    assert not Document.objects.filter(case=overdue).exists()
    assert not AbnormalListing.objects.filter(organisation__name="婺城区围棋协会").exists()


def test_statement_answered_then_decision(overdue, county_staff, county_leader,
                                          direct_account, outsider):
    propose(overdue, county_staff, penalty="warning")
    notice = Document.objects.get(case=overdue)
    assert notice.doc_type == "inspection_penalty_notice"
    assert notice.number.startswith("婺民社告〔")
    assert open_specs(overdue) == {"penalty_statement", "late_report"}
    statement = open_task(overdue, "penalty_statement")
    assert statement in task_list_for_user(user=direct_account)
    assert statement not in task_list_for_user(user=outsider)
    form = form_for(overdue, "penalty_statement", {"answer": "statement", "statement": " "})
    assert form.errors["statement"] == ["请写明陈述、申辩的事实和理由"]
    complete(overdue, direct_account, "penalty_statement", answer="statement",
             statement="负责人长期住院，无人办理")
    form = form_for(overdue, "penalty_decide", {})
    assert "负责人长期住院" in form.fields["decision"].help_text
    assert "该组织尚未补报年检报告书" in form.fields["decision"].help_text
    complete(overdue, county_leader, "penalty_decide", decision="warning",
             decision_reason="理由不能成立")
    assert [d.doc_type for d in Document.objects.filter(case=overdue).order_by("pk")] == [
        "inspection_penalty_notice", "inspection_warning"]
    # The record keeps notice, answer and decision.
    audit = list(overdue.audit.order_by("pk").values_list("action", "summary"))
    summaries = [summary for _, summary in audit]
    notice_at = next(i for i, s in enumerate(summaries) if "行政处罚事先告知书" in s)
    answer_at = next(i for i, s in enumerate(summaries) if "陈述、申辩" in s)
    decision_at = next(i for i, (a, _) in enumerate(audit) if a == AuditAction.DECISION)
    assert notice_at < answer_at < decision_at


def test_period_passes_unanswered_then_decision_no_heavier(overdue, county_staff,
                                                           county_leader, clock):
    propose(overdue, county_staff, penalty="listing")
    assert open_specs(overdue) == {"penalty_statement", "late_report"}
    clock.shift(timedelta(days=4))
    assert timers_fire_due() == 0  # the period is still running
    clock.shift(timedelta(days=1, hours=1))
    assert timers_fire_due() == 1
    overdue.refresh_from_db()
    statement = overdue.tasks.get(spec_name="penalty_statement")
    assert statement.status == TaskStatus.CANCELLED  # lapsed, not answered
    assert open_specs(overdue) == {"penalty_decide", "late_report"}
    form = form_for(overdue, "penalty_decide", {"decision": "warning",
                                                "decision_reason": "x"})
    assert [c for c, _ in form.fields["decision"].choices] == ["none", "listing"]
    assert not form.is_valid()
    with pytest.raises(ActionRefused, match="重于事先告知"):
        engine_complete(overdue, county_leader, "penalty_decide", decision="warning",
                        decision_reason="未陈述申辩，从重处罚")
    assert Document.objects.filter(case=overdue).count() == 1
    complete(overdue, county_leader, "penalty_decide", decision="listing",
             decision_reason="逾期未报送")
    assert Document.objects.filter(case=overdue).order_by("-pk")[0].doc_type == \
        "inspection_listing"
    assert AbnormalListing.objects.filter(organisation__name="婺城区围棋协会").exists()


def test_late_filing_reaches_review_and_a_sanction_decision(overdue, register, year,
                                                            county_staff, county_leader,
                                                            direct_account):
    file_report(overdue, direct_account, spec_name="late_report")
    record = InspectionRecord.objects.get(case=overdue)
    assert record.filed_late_on == timezone.localdate()
    assert open_specs(overdue) == {"overdue_review", "county_review"}
    complete(overdue, county_staff, "county_review", county_result="pass", site_visit="",
             proposed_conclusion="pass", opinion="补报材料齐全", return_reason="")
    complete(overdue, county_leader, "conclude", conclusion="pass", problems="",
             rectification_deadline="", conclusion_opinion="合格")
    propose(overdue, county_staff, penalty="warning")
    complete(overdue, direct_account, "penalty_statement", answer="statement",
             statement="已于逾期后补报年检报告书")
    help_text = form_for(overdue, "penalty_decide", {}).fields["decision"].help_text
    assert f"该组织已于{timezone.localdate().isoformat()}补报年检报告书" in help_text
    complete(overdue, county_leader, "penalty_decide", decision="listing",
             decision_reason="已补报，从轻处理")
    docs = [d.doc_type for d in Document.objects.filter(case=overdue).order_by("pk")]
    assert docs == ["inspection_conclusion", "inspection_penalty_notice", "inspection_listing"]
    record.refresh_from_db()
    assert record.result == InspectionResult.PASS  # the late report's conclusion stands
    assert AbnormalListing.objects.filter(organisation=register["chess"],
                                          year_missed=year).exists()


def test_missed_twice_but_filed_late_opens_no_revocation(overdue, register, year,
                                                         county_staff, county_leader):
    bees = case_of(register["bees"], year)
    from .helpers import village_staff_of

    andi = village_staff_of("安地村")  # bees has no account: its village files for it
    file_report(bees, andi, spec_name="late_report", rectification_report="已整改")
    propose(bees, county_staff, penalty="warning")
    complete(bees, andi, "penalty_statement", answer="waive", statement="")
    complete(bees, county_leader, "penalty_decide", decision="warning",
             decision_reason="逾期未报送")
    assert not Case.objects.filter(procedure="org_revocation").exists()
    assert bees.audit.filter(summary__contains="不启动撤销登记程序").exists()


def test_the_guard_refuses_a_decision_while_the_statement_period_runs(overdue,
                                                                        county_staff):
    """What an edited diagram that put the decision beside the statement would reach."""
    from workflows.annual_inspection.services import action_penalty_decision_check

    params = {"notice": "inspection_penalty_notice", "statement_task": "penalty_statement"}
    with pytest.raises(ActionRefused, match="未向当事人送达"):
        action_penalty_decision_check(case=overdue, params=params, actor=None,
                                      data={"decision": "listing"})
    propose(overdue, county_staff, penalty="warning")
    assert open_task(overdue, "penalty_statement").status == TaskStatus.OPEN
    with pytest.raises(ActionRefused, match="陈述、申辩期限尚未届满"):
        action_penalty_decision_check(case=overdue, params=params, actor=None,
                                      data={"decision": "warning"})
    with pytest.raises(ActionRefused, match="处理决定无效"):
        action_penalty_decision_check(case=overdue, params=params, actor=None,
                                      data={"decision": "fine_10000"})
    action_penalty_decision_check(case=overdue, params=params, actor=None,
                                  data={"decision": "none"})  # no penalty needs no period
