"""急难型先行救助: the 24-hour limit runs on the case (engine.clocks), shown in the inbox and
flagged when passed; the follow-up ends in confirm / adjust / recover, each with its document."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from engine.clocks import case_clock_statuses
from engine.models import AuditAction, CaseClock, CaseStatus, TaskStatus
from engine.notifications import deadline_sweep
from engine.services import ActionRefused, DefinitionError, definition_check, task_complete
from engine.services import unit_settings_update

from .helpers import complete, file_application, letter, open_task
from .test_documents import APPEAL, pdf_text

pytestmark = pytest.mark.django_db

INBOX = reverse("portal:inbox")


def _urgent_case(applicant, village, amount="2000"):
    return file_application(user=applicant, village=village, urgent="on",
                            requested_amount=amount)


def _inbox(client, user) -> str:
    client.force_login(user)
    response = client.get(INBOX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_24_hour_clock_runs_on_the_case_and_is_flagged_when_passed(
        applicant, village, township_staff, township_leader, supervisor, clock, client):
    case = _urgent_case(applicant, village)
    urgent_clock = CaseClock.objects.get(case=case, name="urgent_relief")
    assert urgent_clock.deadline - urgent_clock.started_at == timedelta(hours=24)
    assert abs((urgent_clock.started_at - case.created_at).total_seconds()) < 5  # from filing
    clock.shift(timedelta(hours=3))
    assert "先行救助时限：剩余 20 小时" in _inbox(client, township_staff)

    # The review takes 11 hours, the decision 11 more: each within its own 12 hours, yet
    # together past the 24 hours the case has.
    clock.shift(timedelta(hours=8))
    complete(case, township_staff, "urgent_review", urgent_facts="房屋失火", amount="2000")
    assert deadline_sweep()["escalated"] == 0
    clock.shift(timedelta(hours=14))
    page = _inbox(client, township_leader)
    assert "先行救助时限：已超时" in page
    assert "先行救助时限：剩余" not in page
    deadline_sweep()
    flag = case.audit.get(action=AuditAction.ESCALATED, data__clock="urgent_relief")
    assert flag.summary.startswith("先行救助时限已超时")
    deadline_sweep()  # flagged once
    assert case.audit.filter(action=AuditAction.ESCALATED,
                             data__clock="urgent_relief").count() == 1
    from engine.models import Notification

    assert Notification.objects.filter(user=township_leader,
                                       title__startswith="先行救助时限已超时").exists()
    client.force_login(supervisor)
    board = client.get(reverse("portal:dashboard")).content.decode()
    assert "案件时限已超时" in board and "先行救助时限已超时" in board

    complete(case, township_leader, "urgent_township_decide", decision="approve",
             approved_amount="2000", payment_method="bank", decision_opinion="同意")
    urgent_clock.refresh_from_db()
    assert urgent_clock.stopped_at is not None
    status, = case_clock_statuses(case)
    assert status.overdue and status.text == "先行救助时限：已超时（用时 25 小时）"
    # The follow-up task's row still shows that the grant came late; so does the case page.
    assert "先行救助时限：已超时（用时 25 小时）" in _inbox(client, township_staff)
    page = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "先行救助时限：已超时（用时 25 小时）" in page


def test_a_grant_in_time_reads_as_done_and_is_never_flagged(applicant, village, township_staff,
                                                            township_leader, supervisor, clock,
                                                            client):
    case = _urgent_case(applicant, village)
    clock.shift(timedelta(hours=2))
    complete(case, township_staff, "urgent_review", urgent_facts="房屋失火", amount="2000")
    complete(case, township_leader, "urgent_township_decide", decision="approve",
             approved_amount="2000", payment_method="bank", decision_opinion="同意")
    clock.shift(timedelta(hours=30))
    deadline_sweep()
    assert not case.audit.filter(action=AuditAction.ESCALATED,
                                 data__clock="urgent_relief").exists()
    assert "先行救助时限：按时完成（用时 2 小时）" in _inbox(client, township_staff)
    client.force_login(supervisor)
    assert "案件时限已超时" not in client.get(reverse("portal:dashboard")).content.decode()


def test_the_county_sets_the_limit(applicant, village, township_staff, county_leader, clock,
                                   client):
    unit_settings_update(unit=village.county, changes={"urgent_relief_hours": 48},
                         actor=county_leader)
    case = _urgent_case(applicant, village)
    urgent_clock = CaseClock.objects.get(case=case)
    assert urgent_clock.deadline - urgent_clock.started_at == timedelta(hours=48)
    clock.shift(timedelta(hours=30))
    # 18 hours less the seconds the test took: whole hours left are shown.
    assert "先行救助时限：剩余 17 小时" in _inbox(client, township_staff)


def test_normal_cases_have_no_clock(applicant, village, township_staff, client):
    case = file_application(user=applicant, village=village)
    assert not CaseClock.objects.filter(case=case).exists()
    assert "先行救助时限" not in _inbox(client, township_staff)


def test_deploy_refuses_a_clock_without_a_valid_length():
    xml = (Path(settings.BPMN_DIR) / "temporary_relief.bpmn").read_text(encoding="utf-8")
    dmn = (Path(settings.BPMN_DIR) / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
    broken = xml.replace('<spiffworkflow:parameter id="hours" type="int" value="24"/>',
                         '<spiffworkflow:parameter id="hours" type="int" value="0"/>')
    assert broken != xml
    with pytest.raises(DefinitionError, match="计时时长"):
        definition_check(bpmn_xml=broken, dmn_xmls=[dmn])


# -- the follow-up (补办手续) ---------------------------------------------------------------------


def _granted(applicant, village, township_staff, township_leader, amount="2000"):
    case = _urgent_case(applicant, village, amount=amount)
    complete(case, township_staff, "urgent_review", urgent_facts="房屋失火", amount=amount)
    complete(case, township_leader, "urgent_township_decide", decision="approve",
             approved_amount=amount, payment_method="bank", decision_opinion="同意")
    return case


PAPERWORK = {"visit_date": "2026-12-04", "investigator_1": "王芳", "investigator_2": "李强",
             "filing_note": "已签字并报县备案"}


def _follow_up(case, township_staff, **data):
    complete(case, township_staff, "urgent_paperwork", **PAPERWORK, **data)
    return case.documents.order_by("pk").last()


def test_follow_up_confirms_the_grant(applicant, village, township_staff, township_leader):
    case = _granted(applicant, village, township_staff, township_leader)
    decision = letter(case)
    document = _follow_up(case, township_staff, follow_up_findings="房屋失火属实，全家无处居住",
                          follow_up_outcome="confirm")
    assert case.status == CaseStatus.COMPLETED
    assert document.doc_type == "relief_urgent_confirmation"
    assert document.number.startswith("罗店政救确〔")  # the township granted (下放 in the demo county)
    text = pdf_text(document)
    assert f"本机关已以{decision.number}决定书对你户先行救助，发放临时救助金人民币2000元" in text
    assert "经2026年12月4日补充入户调查，并补办签字和备案手续，核实情况如下：房屋失火属实" in text
    assert "本机关确认对你户的临时救助金人民币2000元" in text
    assert APPEAL not in text


def test_follow_up_reduces_the_amount(applicant, village, township_staff, township_leader):
    case = _granted(applicant, village, township_staff, township_leader)
    document = _follow_up(case, township_staff, follow_up_findings="保险公司已赔付部分损失",
                          follow_up_outcome="adjust", adjusted_amount="1500",
                          follow_up_reason="损失已部分获得保险赔付")
    assert document.doc_type == "relief_urgent_adjustment"
    assert document.number.startswith("罗店政救调〔")
    text = pdf_text(document)
    assert "查明以下事实：保险公司已赔付部分损失" in text
    assert "理由和依据：损失已部分获得保险赔付" in text
    assert "由人民币2000元调整为人民币1500元" in text
    assert "已多发放的人民币500元应予退回" in text
    assert APPEAL in text  # an adverse decision
    assert "补发" not in text


def test_follow_up_raises_the_amount(applicant, village, township_staff, township_leader):
    case = _granted(applicant, village, township_staff, township_leader)
    text = pdf_text(_follow_up(case, township_staff, follow_up_findings="医疗费用高于预估",
                               follow_up_outcome="adjust", adjusted_amount="2600",
                               follow_up_reason="住院费用清单显示自付部分增加"))
    assert "由人民币2000元调整为人民币2600元" in text
    assert "差额人民币600元予以补发" in text
    assert "退回" not in text


def test_follow_up_recovers_a_wrong_grant(applicant, village, township_staff, township_leader):
    case = _granted(applicant, village, township_staff, township_leader)
    document = _follow_up(case, township_staff, follow_up_findings="火灾发生前已迁出本村",
                          follow_up_outcome="recover", recovery_amount="2000",
                          follow_up_reason="申请时隐瞒已迁出的事实，不符合临时救助条件")
    assert case.status == CaseStatus.COMPLETED
    assert document.doc_type == "relief_urgent_recovery"
    assert document.number.startswith("罗店政救追〔")
    text = pdf_text(document)
    assert "查明以下事实：火灾发生前已迁出本村" in text
    assert "本机关决定追回已发放的临时救助金人民币2000元" in text
    assert APPEAL in text


@pytest.mark.parametrize("data, message", [
    ({"follow_up_outcome": "recover", "recovery_amount": 2000.01,
      "follow_up_reason": "不符合条件"}, "不能超过已发放的2000.00元"),
    ({"follow_up_outcome": "recover", "recovery_amount": 500}, "必须写明事实、理由和依据"),
    ({"follow_up_outcome": "adjust", "adjusted_amount": 2000, "follow_up_reason": "无"},
     "请选择“确认”"),
    ({"follow_up_outcome": "adjust", "follow_up_reason": "少发"}, "请填写调整后的救助金额"),
])
def test_follow_up_that_does_not_hold_together_is_refused(applicant, village, township_staff,
                                                          township_leader, data, message):
    case = _granted(applicant, village, township_staff, township_leader)
    task = open_task(case, "urgent_paperwork")
    from workflows.registry import procedure_get

    form = procedure_get("temporary_relief").task_form_class("urgent_paperwork")(
        data={**PAPERWORK, "follow_up_findings": "核实", **data}, case_data=case.data)
    assert not form.is_valid()
    assert message in str(form.errors)
    with pytest.raises(ActionRefused, match=message.replace("（", ".").replace("）", ".")):
        task_complete(user=township_staff, task_pk=task.pk, form_data={
            **PAPERWORK, "follow_up_findings": "核实", **data})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert case.documents.count() == 2  # the decision and its 审核审批表


def test_the_county_sets_the_limit_on_its_settings_page(applicant, village, supervisor, client):
    client.force_login(supervisor)
    url = reverse("portal:county_settings")
    assert "先行救助时限（小时）" in client.get(url).content.decode()
    post = {"holidays": "", "workdays": "", "dibao_monthly": "1100"}
    response = client.post(url, {**post, "urgent_relief_hours": "169"})
    assert response.status_code == 200 and "168" in response.content.decode()  # refused
    client.post(url, {**post, "urgent_relief_hours": "48"})
    village.county.refresh_from_db()
    assert village.county.settings["urgent_relief_hours"] == 48
    case = _urgent_case(applicant, village)
    urgent_clock = CaseClock.objects.get(case=case)
    assert urgent_clock.deadline - urgent_clock.started_at == timedelta(hours=48)
