"""Every path of the annual-inspection diagram, walked through the forms and the engine."""
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.models import AuditAction, Case, CaseStatus, Document
from engine.selectors import task_list_for_user
from engine.services import timers_fire_due
from workflows.annual_inspection.models import (
    AbnormalListing,
    InspectionRecord,
    InspectionResult,
)
from workflows.annual_inspection.selectors import abnormal_directory, conclusions_published

from .helpers import (
    case_of,
    complete,
    draw_and_close,
    file_report,
    open_specs,
    open_task,
    propose,
)

pytestmark = pytest.mark.django_db


def _deadline(days=10):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _county_pass(case, county_staff, proposed="pass"):
    complete(case, county_staff, "county_review", county_result="pass", site_visit="on",
             proposed_conclusion=proposed, opinion="报告内容齐全", return_reason="")


def _close_draw(case, county_staff, year):
    """The case finishes only once the year's spot-check draw has been received."""
    assert case.status == CaseStatus.RUNNING
    assert open_specs(case) == set()
    draw_and_close(case, county_staff, year)
    case.refresh_from_db()


def test_campaign_opens_one_case_per_organisation_except_exempt(campaign, register, year):
    assert Case.objects.filter(procedure="annual_inspection").count() == 3
    baby = InspectionRecord.objects.get(organisation=register["baby"], year=year)
    assert baby.result == InspectionResult.EXEMPT and baby.case is None
    laonian = case_of(register["laonian"], year)
    assert laonian.data["has_supervisor"] is True
    assert laonian.data["rectification_required"] is True
    assert laonian.data["last_year_result"] == "basic"
    assert laonian.data["report_deadline"] == campaign.report_deadline.isoformat()
    chess = case_of(register["chess"], year)
    assert chess.data["has_supervisor"] is False and chess.data["missed_last_year"] is False
    assert case_of(register["bees"], year).data["missed_last_year"] is True


def test_report_task_goes_to_the_organisation_account_only(campaign, register, year,
                                                           org_account, direct_account,
                                                           outsider, county_staff,
                                                           village_staff):
    case = case_of(register["laonian"], year)
    task = open_task(case, "file_report")
    assert task.lane == "applicant"
    # The campaign's deadline is the time limit: the boundary timer waits for midnight after it.
    deadline_end = timezone.localtime(case.next_timer_at)
    assert deadline_end.date() == campaign.report_deadline + timedelta(days=1)
    assert (deadline_end.hour, deadline_end.minute) == (0, 0)
    assert task in task_list_for_user(user=org_account)
    for other in (direct_account, outsider, county_staff, village_staff):
        assert task not in task_list_for_user(user=other)
    # An organisation without an account: its report is filed through its village's staff.
    bees_task = open_task(case_of(register["bees"], year), "file_report")
    from django.contrib.auth import get_user_model
    andi_village = get_user_model().objects.get(username="andi_v1_staff")
    assert bees_task in task_list_for_user(user=andi_village)
    assert bees_task not in task_list_for_user(user=village_staff)


def test_report_form_validates_in_chinese_and_keeps_input(campaign, register, year):
    from .helpers import form_for, report_data

    case = case_of(register["laonian"], year)
    form = form_for(case, "file_report", report_data(audit="audited", income="-5",
                                                     declaration_confirmed=""))
    assert not form.is_valid()
    assert form.errors["audit_report"] == ["已审计的，请填写审计机构及审计报告文号"]
    assert form.errors["income"] == ["金额不能为负数"]
    assert form.errors["declaration_confirmed"] == ["必须确认声明页已签字盖章才能报送"]
    assert form.errors["attachments"] == ["请上传年检报告书签章页及财务会计报告"]
    assert "须提交整改情况报告" in form.errors["rectification_report"][0]
    assert form["activities"].value() == report_data()["activities"]  # nothing lost
    # Without last year's problems no rectification report is asked for.
    chess = case_of(register["chess"], year)
    assert "rectification_report" not in form_for(chess, "file_report", report_data()).errors


def test_supervised_organisation_passes(campaign, register, year, org_account,
                                        supervising_unit_user, county_staff, county_leader,
                                        outsider):
    case = case_of(register["laonian"], year)
    file_report(case, org_account, rectification_report="已按整改通知完善财务制度")
    task = open_task(case, "supervisor_review")
    assert task.lane == "org_supervisor"
    assert task not in task_list_for_user(user=county_staff)
    assert task not in task_list_for_user(user=outsider)
    complete(case, supervising_unit_user, "supervisor_review", supervisor_result="pass",
             opinion="同意报送", return_reason="")
    _county_pass(case, county_staff)
    assert open_task(case, "conclude") not in task_list_for_user(user=county_staff)
    complete(case, county_leader, "conclude", conclusion="pass", problems="",
             rectification_deadline="", conclusion_opinion="同意")
    docs = list(Document.objects.filter(case=case).values_list("doc_type", flat=True))
    assert docs == ["inspection_conclusion"]
    record = InspectionRecord.objects.get(case=case)
    assert record.result == InspectionResult.PASS and record.concluded_on is not None
    _close_draw(case, county_staff, year)
    assert case.status == CaseStatus.COMPLETED
    assert case.data["conclusion"] == "pass"  # data of both branches merged at the end


def test_direct_registration_skips_the_supervisor_basic_conclusion(
        campaign, register, year, direct_account, county_staff, county_leader):
    case = case_of(register["chess"], year)
    file_report(case, direct_account)
    assert open_specs(case) == {"county_review"}
    _county_pass(case, county_staff, proposed="basic")
    form_initial = open_task(case, "conclude")
    assert form_initial.lane == "county_leader"
    complete(case, county_leader, "conclude", conclusion="basic", problems="财务制度不健全",
             rectification_deadline=_deadline(), conclusion_opinion="基本合格")
    docs = list(Document.objects.filter(case=case).order_by("pk"))
    assert [d.doc_type for d in docs] == ["inspection_conclusion", "inspection_rectification"]
    assert docs[1].number.startswith("婺民社整〔")
    record = InspectionRecord.objects.get(case=case)
    assert record.result == InspectionResult.BASIC
    assert record.rectification_deadline.isoformat() == _deadline()
    assert conclusions_published(year=year) == [
        {"name": "婺城区围棋协会", "credit_code": register["chess"].credit_code,
         "conclusion": "基本合格", "result": "basic"}]


def test_fail_conclusion_issues_the_rectification_notice_with_appeal(
        campaign, register, year, direct_account, county_staff, county_leader):
    case = case_of(register["chess"], year)
    file_report(case, direct_account)
    _county_pass(case, county_staff, proposed="fail")
    from .helpers import form_for

    form = form_for(case, "conclude", {"conclusion": "fail", "problems": "",
                                       "rectification_deadline": "",
                                       "conclusion_opinion": "不合格"})
    assert not form.is_valid()
    assert form.errors["problems"] == ["基本合格或不合格的，必须写明存在的问题"]
    assert form.errors["rectification_deadline"] == ["基本合格或不合格的，必须规定整改期限"]
    complete(case, county_leader, "conclude", conclusion="fail",
             problems="未按章程换届，账目混乱", rectification_deadline=_deadline(),
             conclusion_opinion="不合格")
    assert [d.doc_type for d in Document.objects.filter(case=case).order_by("pk")] == [
        "inspection_conclusion", "inspection_rectification_fail"]
    assert InspectionRecord.objects.get(case=case).result == InspectionResult.FAIL
    assert AuditAction.DOCUMENT in case.audit.values_list("action", flat=True)


def test_supervisor_and_county_return_for_correction(campaign, register, year, org_account,
                                                     supervising_unit_user, county_staff,
                                                     county_leader):
    case = case_of(register["laonian"], year)
    file_report(case, org_account, rectification_report="已整改")
    from .helpers import form_for

    form = form_for(case, "supervisor_review", {"supervisor_result": "return",
                                                "opinion": "x", "return_reason": ""})
    assert form.errors["return_reason"] == ["退回补正时必须一次性列明需补正的全部内容"]
    complete(case, supervising_unit_user, "supervisor_review", supervisor_result="return",
             opinion="材料不全", return_reason="缺少财务会计报告")
    task = open_task(case, "correct_report")
    assert task in task_list_for_user(user=org_account)
    file_report(case, org_account, spec_name="correct_report",
                rectification_report="已整改")
    complete(case, supervising_unit_user, "supervisor_review", supervisor_result="pass",
             opinion="同意", return_reason="")
    complete(case, county_staff, "county_review", county_result="return", opinion="退回",
             return_reason="理事名单与备案不一致", proposed_conclusion="")
    file_report(case, org_account, spec_name="correct_report", rectification_report="已整改")
    # A corrected report goes through the supervising unit's first review again.
    complete(case, supervising_unit_user, "supervisor_review", supervisor_result="pass",
             opinion="同意", return_reason="")
    _county_pass(case, county_staff)
    complete(case, county_leader, "conclude", conclusion="pass", problems="",
             rectification_deadline="", conclusion_opinion="合格")
    assert InspectionRecord.objects.get(case=case).result == InspectionResult.PASS


def test_missed_deadline_warning_after_due_process(campaign, register, year, clock,
                                                    county_staff, county_leader,
                                                    direct_account):
    case = case_of(register["chess"], year)
    assert timers_fire_due() == 0
    clock.shift(timedelta(days=32))
    assert timers_fire_due() == 3  # every case of the campaign that did not file
    case.refresh_from_db()
    # The timer decided nothing: it opened the county's task and the late filing.
    assert open_specs(case) == {"overdue_review", "late_report"}
    assert not Document.objects.filter(case=case).exists()
    assert not AbnormalListing.objects.filter(year_missed=year).exists()
    propose(case, county_staff)
    complete(case, direct_account, "penalty_statement", answer="waive", statement="")
    complete(case, county_leader, "penalty_decide", decision="warning",
             decision_reason="逾期未报送，情节一般")
    docs = list(Document.objects.filter(case=case).order_by("pk"))
    assert [d.doc_type for d in docs] == ["inspection_penalty_notice", "inspection_warning"]
    listing = AbnormalListing.objects.get(organisation=register["chess"], year_missed=year)
    assert listing.listed_on == timezone.localdate() and listing.removed_on is None
    assert InspectionRecord.objects.get(case=case).result == InspectionResult.MISSED
    # chess missed once: no revocation case for it.
    assert not Case.objects.filter(procedure="org_revocation",
                                   applicant_name="婺城区围棋协会").exists()
    assert listing in abnormal_directory()
    assert open_specs(case) == {"late_report"}  # it may still file, for half a year
    clock.shift(timedelta(days=190))
    timers_fire_due()
    case.refresh_from_db()
    assert open_specs(case) == set()
    _close_draw(case, county_staff, year)
    assert case.status == CaseStatus.COMPLETED
