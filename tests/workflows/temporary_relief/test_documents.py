"""The documents of temporary relief state only what the case recorded: the PDF text of every
path, with the sentences that must be there and those that must not."""
import shutil
import subprocess

import pytest
from django.urls import reverse

from engine.documents import document_render
from engine.models import AuditAction, CaseStatus, TaskStatus
from engine.services import ActionRefused, task_complete, timers_fire_due

from .helpers import (
    complete,
    file_application,
    letter,
    open_task,
    walk_past_notice,
    walk_to_notice,
)

pytestmark = pytest.mark.django_db

APPEAL = "如不服本决定，可以自收到之日起六十日内向婺城区人民政府申请行政复议"
FULL_STEPS = "经入户调查、家庭经济状况核对和公示"


@pytest.fixture(autouse=True)
def _clock(clock, monkeypatch):
    from engine.models import Case

    monkeypatch.setattr(Case, "clock", clock, raising=False)


def pdf_text(document) -> str:
    """The rendered PDF's text without whitespace (pdftotext breaks lines anywhere)."""
    assert shutil.which("pdftotext"), "poppler-utils is required"
    document = document_render(document_pk=document.pk, force=True)
    result = subprocess.run(["pdftotext", "-", "-"], input=bytes(document.pdf),  # noqa: S607
                            capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())


def _approve(case, user, spec_name, amount="2500", **extra):
    complete(case, user, spec_name, decision="approve", approved_amount=amount,
             payment_method="bank", decision_opinion="同意", **extra)


def _investigate_and_recommend_refusal(case, *, village_staff, township_staff):
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="有营运车辆", proposed_amount="2000",
             village_opinion="不同意")
    complete(case, township_staff, "township_review", economic_check="ineligible",
             amount="2000", recommendation="refuse", review_opinion="不符合",
             refusal_reason="经核对家庭有稳定收入")


def test_normal_grant_names_investigation_check_and_notice(applicant, village, village_staff,
                                                           township_staff, township_leader):
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    walk_past_notice(case, clock=case.clock, township_staff=township_staff)
    _approve(case, township_leader, "township_decide")
    text = pdf_text(letter(case))
    assert f"{FULL_STEPS}，你户因突发重大疾病，基本生活暂时出现严重困难，符合临时救助条件" in text
    assert "给予你户临时救助金人民币2500元" in text
    for absent in ("不采纳", "拟不予救助", "集体研究", "先行救助", APPEAL):
        assert absent not in text, absent


def test_approval_against_a_refusal_recommendation_needs_a_reason_and_the_notice(
        applicant, village, village_staff, township_staff, township_leader, client):
    case = file_application(user=applicant, village=village)
    _investigate_and_recommend_refusal(case, village_staff=village_staff,
                                       township_staff=township_staff)
    task = open_task(case, "township_decide")
    # The form says why; the engine refuses the same post whatever form sent it.
    from workflows.registry import procedure_get

    form = procedure_get("temporary_relief").task_form_class("township_decide")(
        data={"decision": "approve", "approved_amount": "2000", "payment_method": "bank",
              "decision_opinion": "同意"}, case_data=case.data)
    assert not form.is_valid()
    assert "不采纳审核意见的理由" in form.errors["override_reason"][0]
    audit_before = case.audit.count()
    with pytest.raises(ActionRefused, match="拟不予救助"):
        task_complete(user=township_leader, task_pk=task.pk, form_data={
            "decision": "approve", "approved_amount": 2000, "payment_method": "bank",
            "decision_opinion": "同意", "override_reason": "  "})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and case.audit.count() == audit_before

    reason = "车辆已于年初报废，核对数据未及时更新"
    _approve(case, township_leader, "township_decide", amount="2000", override_reason=reason)
    # No decision yet: the approval goes to the notice the diagram requires.
    assert not case.documents.exists()
    assert case.status == CaseStatus.RUNNING and case.next_timer_at is not None
    assert not case.tasks.filter(status=TaskStatus.OPEN).exists()
    note = case.audit.get(action=AuditAction.DECISION, data__note__isnull=False)
    assert note.summary == f"审批意见与审核建议（拟不予救助）不一致：理由：{reason}"
    assert case.data["override_reason"] == reason

    walk_past_notice(case, clock=case.clock, township_staff=township_staff)
    assert case.data["notice_held"] is True
    again = open_task(case, "township_decide")  # decided again, with the notice held
    client.force_login(township_leader)
    page = client.get(reverse("portal:task", args=[again.pk])).content.decode()
    assert f"审批意见与审核建议（拟不予救助）不一致：理由：{reason}" in page
    _approve(case, township_leader, "township_decide", amount="2000", override_reason=reason)
    assert case.status == CaseStatus.COMPLETED  # not sent round the notice again
    document = letter(case)
    assert document.doc_type == "relief_decision"
    text = pdf_text(document)
    assert "经入户调查和家庭经济状况核对，家庭经济状况核对结果为不符合条件" in text
    assert "罗店镇审核意见为拟不予救助" in text
    assert f"本机关审查认为：{reason}。本机关不采纳该审核意见，经公示无异议" in text
    assert "给予你户临时救助金人民币2000元" in text
    assert FULL_STEPS not in text
    assert "核对结果为符合条件" not in text


def test_refusal_after_investigation_claims_no_notice(applicant, village, village_staff,
                                                      township_staff, township_leader):
    case = file_application(user=applicant, village=village)
    _investigate_and_recommend_refusal(case, village_staff=village_staff,
                                       township_staff=township_staff)
    complete(case, township_leader, "township_decide", decision="refuse",
             decision_opinion="同意审核意见", refusal_reason="家庭月收入高于当地低保标准")
    text = pdf_text(letter(case))
    assert ("经入户调查和家庭经济状况核对，家庭经济状况核对结果为不符合条件；经审核审批，"
            "你户不符合临时救助条件") in text
    assert "理由：家庭月收入高于当地低保标准" in text
    assert APPEAL in text
    for absent in ("公示", "不采纳", "先行救助", "受理条件"):
        assert absent not in text, absent


def test_refusal_against_a_grant_recommendation_states_the_override(
        applicant, village, village_staff, township_staff, township_leader):
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    walk_past_notice(case, clock=case.clock, township_staff=township_staff)
    task = open_task(case, "township_decide")
    with pytest.raises(ActionRefused, match="拟给予救助"):
        task_complete(user=township_leader, task_pk=task.pk, form_data={
            "decision": "refuse", "decision_opinion": "不同意",
            "refusal_reason": "本年度已获同一事由救助"})
    complete(case, township_leader, "township_decide", decision="refuse",
             decision_opinion="不同意", refusal_reason="本年度已因同一事由获得临时救助",
             override_reason="系统记录显示该户本年度已获同一事由救助")
    assert case.audit.filter(summary__startswith="审批意见与审核建议（拟给予救助）不一致").exists()
    text = pdf_text(letter(case))
    assert f"{FULL_STEPS}，罗店镇审核意见为拟给予救助" in text
    assert "本机关审查认为：系统记录显示该户本年度已获同一事由救助。本机关不采纳该审核意见" in text
    assert "理由：本年度已因同一事由获得临时救助" in text
    assert APPEAL in text


def test_not_accepted_names_only_the_acceptance_review(applicant, village, township_staff):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="reject",
             refusal_reason="申请人户籍不在本辖区")
    text = pdf_text(letter(case))
    assert "经受理审查，不符合临时救助申请受理条件" in text
    assert "本机关决定对你的申请不予受理" in text
    assert APPEAL in text
    for absent in ("入户调查", "公示", "核对", "不予临时救助。"):
        assert absent not in text, absent


def test_urgent_grant_claims_no_investigation_or_notice(applicant, village, township_staff,
                                                        township_leader):
    case = file_application(user=applicant, village=village, urgent="on")
    complete(case, township_staff, "urgent_review", urgent_facts="房屋失火", amount="2000")
    _approve(case, township_leader, "urgent_township_decide", amount="2000")
    text = pdf_text(letter(case))
    assert "经核实，你户因突发重大疾病，基本生活陷入困境，情况紧急，符合急难型临时救助条件" in text
    assert "本机关决定对你户先行救助，给予你户临时救助金人民币2000元" in text
    assert "入户调查、签字和备案等手续依规补办" in text
    for absent in ("经入户调查", "公示", "核对结果", "不采纳"):
        assert absent not in text, absent


def test_urgent_refusal_claims_no_investigation_or_notice(applicant, village, township_staff,
                                                          township_leader):
    case = file_application(user=applicant, village=village, urgent="on")
    complete(case, township_staff, "urgent_review", urgent_facts="未发现急难情形", amount="500")
    complete(case, township_leader, "urgent_township_decide", decision="refuse",
             decision_opinion="不同意", refusal_reason="困难情形不属于急难型救助范围")
    assert case.status == CaseStatus.COMPLETED
    text = pdf_text(letter(case))
    assert "经急难情况核实，不符合急难型临时救助（先行救助）条件" in text
    assert "理由：困难情形不属于急难型救助范围" in text
    assert APPEAL in text
    for absent in ("入户调查", "公示", "核对", "审核审批"):
        assert absent not in text, absent


def test_collective_decision_says_so(applicant, village, village_staff, township_staff,
                                     county_staff, county_leader):
    case = file_application(user=applicant, village=village, requested_amount="30000")
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff,
                   amount="30000")
    walk_past_notice(case, clock=case.clock, township_staff=township_staff)
    complete(case, county_staff, "county_review", county_opinion="建议集体研究")
    _approve(case, county_leader, "collective_decide", amount="30000",
             meeting_record="2026年11月24日局务会议研究同意")
    text = pdf_text(letter(case))
    assert FULL_STEPS in text
    assert "经本机关集体研究（一事一议），本机关决定给予你户临时救助金人民币30000元" in text


def test_county_decision_is_not_called_collective(applicant, village, village_staff,
                                                  township_staff, county_staff, county_leader):
    case = file_application(user=applicant, village=village, requested_amount="8000")
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff,
                   amount="8000")
    walk_past_notice(case, clock=case.clock, township_staff=township_staff)
    complete(case, county_staff, "county_review", county_opinion="同意")
    _approve(case, county_leader, "county_decide", amount="8000")
    text = pdf_text(letter(case))
    assert FULL_STEPS in text and "集体研究" not in text


def test_objection_resets_the_notice_for_the_new_review(applicant, village, village_staff,
                                                        township_staff, township_leader):
    """After an objection the case is reviewed again; the earlier notice does not count for an
    approval against the new refusal recommendation."""
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    walk_past_notice(case, clock=case.clock, township_staff=township_staff, objection=True)
    assert timers_fire_due() == 0
    complete(case, village_staff, "investigate", visit_date="2026-11-29", investigator_1="王芳",
             investigator_2="李强", household_findings="有营运车辆", proposed_amount="2000",
             village_opinion="不同意")
    complete(case, township_staff, "township_review", economic_check="ineligible",
             amount="2000", recommendation="refuse", review_opinion="不符合",
             refusal_reason="有营运车辆")
    assert case.data["notice_held"] is False
    _approve(case, township_leader, "township_decide", amount="2000",
             override_reason="车辆为他人所有")
    assert not case.documents.exists() and case.next_timer_at is not None


def test_the_override_rule_holds_on_delegated_and_co_signed_answers(
        applicant, village, village_staff, township_staff, township_leader):
    """Not only the task form: a delegate's answer and an owner's answer waiting for an added
    signer are refused the same way, before anything is kept."""
    from engine.actions import signer_add, task_delegate

    case = file_application(user=applicant, village=village)
    _investigate_and_recommend_refusal(case, village_staff=village_staff,
                                       township_staff=township_staff)
    decide = open_task(case, "township_decide")
    approve = {"decision": "approve", "approved_amount": 2000, "payment_method": "bank",
               "decision_opinion": "同意"}
    task_delegate(user=township_leader, task_pk=decide.pk, to_user=township_staff,
                  comment="请拟办")
    with pytest.raises(ActionRefused, match="不采纳审核意见的理由"):
        task_complete(user=township_staff, task_pk=decide.pk, form_data=approve)
    decide.refresh_from_db()
    assert decide.delegate_answer is None
    task_complete(user=township_staff, task_pk=decide.pk,
                  form_data={**approve, "override_reason": "车辆已报废"})
    signer_add(user=township_leader, task_pk=decide.pk, signer=township_staff,
               position="after", comment="请会签")
    with pytest.raises(ActionRefused, match="不采纳审核意见的理由"):
        task_complete(user=township_leader, task_pk=decide.pk, form_data=approve)
    decide.refresh_from_db()
    assert not decide.task_data.get("stashed_completion")
    task_complete(user=township_leader, task_pk=decide.pk,
                  form_data={**approve, "override_reason": "车辆已报废"})
    co_sign = case.tasks.get(status=TaskStatus.OPEN, spec_name="co_sign")
    task_complete(user=township_staff, task_pk=co_sign.pk, form_data={"opinion": "同意"})
    case.refresh_from_db()
    assert case.next_timer_at is not None and not case.documents.exists()  # on to the notice
    assert case.audit.filter(summary="审批意见与审核建议（拟不予救助）不一致：理由：车辆已报废").count() == 1


def _approval_form_text(case) -> str:
    return pdf_text(case.documents.get(doc_type="relief_approval_form"))


def test_approval_form_records_each_level_and_the_override(
        applicant, village, village_staff, township_staff, township_leader):
    case = file_application(user=applicant, village=village)
    _investigate_and_recommend_refusal(case, village_staff=village_staff,
                                       township_staff=township_staff)
    _approve(case, township_leader, "township_decide", amount="2000",
             override_reason="车辆已报废")
    assert not case.documents.exists()  # nothing is issued before the notice
    walk_past_notice(case, clock=case.clock, township_staff=township_staff)
    _approve(case, township_leader, "township_decide", amount="2000",
             override_reason="车辆已报废")
    form = case.documents.get(doc_type="relief_approval_form")
    assert form.number.startswith("罗店政救审〔")  # the township decided; the demo county devolves
    text = _approval_form_text(case)
    for present in ("临时救助审核审批表", "入户调查", "王芳、李强", "有营运车辆",
                    "经济状况核对不符合条件", "拟不予救助：不符合（理由：经核对家庭有稳定收入）",
                    "已在村（居）公示，公示期满无异议", "同意救助", "2000",
                    "审批意见与审核建议（拟不予救助）不一致：理由：车辆已报废",
                    "办理记录", "乡镇审核", "乡镇审批"):
        assert present in text, present
    assert APPEAL not in text and "330702198001011232" not in text


def test_approval_form_of_an_urgent_refusal_names_no_investigation(
        applicant, village, township_staff, township_leader):
    case = file_application(user=applicant, village=village, urgent="on")
    complete(case, township_staff, "urgent_review", urgent_facts="未发现急难情形", amount="500")
    complete(case, township_leader, "urgent_township_decide", decision="refuse",
             decision_opinion="不同意", refusal_reason="不属于急难情形")
    text = _approval_form_text(case)
    for present in ("急难型（先行救助）", "未发现急难情形", "未经公示", "不予救助",
                    "不予救助的事实和理由：不属于急难情形"):
        assert present in text, present
    for absent in ("调查日期", "公示期满无异议", "不一致"):
        assert absent not in text, absent


def test_no_approval_form_for_an_application_not_accepted(applicant, village, township_staff):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="reject", refusal_reason="户籍不符")
    assert list(case.documents.values_list("doc_type", flat=True)) == ["relief_refusal"]
