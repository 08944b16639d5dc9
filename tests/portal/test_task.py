"""The task page: reading a case, claiming, releasing and completing a task."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engine.models import AuditAction, HumanTask, TaskStatus
from engine.services import task_claim
from tests.workflows.temporary_relief.helpers import (
    VALID_ID,
    complete,
    file_application,
    id_with_checksum,
    open_task,
)
from tests.files import PDF

pytestmark = pytest.mark.django_db


def _url(task, action=None):
    return reverse(f"portal:task_{action}" if action else "portal:task", args=[task.pk])


# -- reading ------------------------------------------------------------------------------------


def test_staff_who_may_act_see_the_case_and_the_form(client_for, township_staff, accept_task):
    response = client_for(township_staff).get(_url(accept_task))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("张建国", VALID_ID, "罗店镇 罗店村", "突发重大疾病", "2500",
                 "办理记录", "发起申请", "受理意见", "提交办理结果", "认领任务"):
        assert text in content, text
    # Acceptance does not decide: diagnosis and account masked (see test_visibility.py).
    assert "户主突发脑梗住院" not in content and "6217********0001" in content
    assert response.context["form"] is not None


MEMBER_ID = id_with_checksum("33070219850315002")


def test_household_members_show_as_a_table_masked_for_readers(client_for, township_staff,
                                                              village_staff, applicant,
                                                              village):
    case = file_application(user=applicant, village=village,
                            members_text=f"李梅 {MEMBER_ID} 配偶")
    complete(case, township_staff, "accept", acceptance="accept")
    investigate = open_task(case, "investigate")
    reader = client_for(township_staff).get(_url(investigate))
    assert reader.status_code == 200
    content = reader.content.decode()
    assert "<th>姓名</th><th>身份证号码</th><th>关系</th>" in content
    assert "李梅" in content and "配偶" in content
    assert MEMBER_ID not in content and "330***********0021" in content
    actor = client_for(village_staff).get(_url(investigate)).content.decode()
    assert MEMBER_ID in actor and VALID_ID in actor


def test_outsider_gets_404_everywhere(client_for, outsider, accept_task):
    client = client_for(outsider)
    assert client.get(_url(accept_task)).status_code == 404
    assert client.post(_url(accept_task), {"acceptance": "accept"}).status_code == 404
    assert client.post(_url(accept_task, "claim")).status_code == 404
    assert client.post(_url(accept_task, "release")).status_code == 404
    accept_task.refresh_from_db()
    assert accept_task.status == TaskStatus.OPEN and accept_task.assignee is None


def test_another_applicant_gets_404(client_for, other_applicant, accept_task):
    assert client_for(other_applicant).get(_url(accept_task)).status_code == 404


def test_unknown_task_is_404(client_for, township_staff):
    assert client_for(township_staff).get(reverse("portal:task", args=[999999])).status_code \
        == 404


def test_staff_without_the_role_read_only_with_masked_id(client_for, township_staff,
                                                         leader_task):
    client = client_for(township_staff)
    response = client.get(_url(leader_task))
    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["form"] is None
    assert "只读" in content
    assert "提交办理结果" not in content
    assert VALID_ID not in content
    assert "330***********1232" in content
    # the previous step's form shows in the history
    assert "急难情况核实" in content and "住院属实" in content


def test_wrong_role_post_is_403(client_for, township_staff, leader_task):
    client = client_for(township_staff)
    response = client.post(_url(leader_task), {
        "decision": "approve", "approved_amount": "1000", "payment_method": "bank",
        "decision_opinion": "同意"})
    assert response.status_code == 403
    assert client.post(_url(leader_task, "claim")).status_code == 403
    leader_task.refresh_from_db()
    assert leader_task.status == TaskStatus.OPEN and leader_task.assignee is None


def test_claim_and_release_need_post(client_for, township_staff, accept_task):
    client = client_for(township_staff)
    assert client.get(_url(accept_task, "claim")).status_code == 405
    assert client.get(_url(accept_task, "release")).status_code == 405


def test_previous_grants_warning(client_for, township_staff, applicant, village):
    case = file_application(user=applicant, village=village, previous_grants_count="2",
                            previous_grants_total="1500")
    response = client_for(township_staff).get(_url(open_task(case)))
    assert "本年度已获临时救助2次，同一事由原则上一年一次" in response.content.decode()


def test_grants_on_record_are_warned_too(client_for, township_staff, township_leader,
                                         applicant, village, leader_task):
    complete(leader_task.case, township_leader, "urgent_township_decide", decision="approve",
             approved_amount="1000", payment_method="bank", decision_opinion="同意")
    # The applicant declares no earlier grant; the system knows of the one above.
    second = file_application(user=applicant, village=village)
    content = client_for(township_staff).get(_url(open_task(second))).content.decode()
    assert "系统记录：该户（户主或家庭成员）本年度已批准临时救助1次，共1000元" in content
    # The grant itself is listed and linked (重复申请核查).
    assert f"href=\"/cases/{leader_task.case_id}/\"" in content
    assert "同一事由原则上一年一次" not in content


def test_no_warning_without_previous_grants(client_for, township_staff, accept_task):
    response = client_for(township_staff).get(_url(accept_task))
    assert "同一事由原则上一年一次" not in response.content.decode()


# -- claim and release ----------------------------------------------------------------------------


def test_claim_then_release(client_for, township_staff, accept_task):
    client = client_for(township_staff)
    response = client.post(_url(accept_task, "claim"), follow=True)
    assert response.redirect_chain[-1][0] == _url(accept_task)
    assert "已认领" in response.content.decode()
    assert "释放任务" in response.content.decode()
    accept_task.refresh_from_db()
    assert accept_task.assignee == township_staff
    response = client.post(_url(accept_task, "release"), follow=True)
    assert "已释放" in response.content.decode()
    accept_task.refresh_from_db()
    assert accept_task.assignee is None
    actions = list(accept_task.case.audit.values_list("action", flat=True))
    assert AuditAction.CLAIMED in actions and AuditAction.RELEASED in actions


def test_claimed_by_a_colleague(client_for, township_staff, accept_task, demo):
    from django.contrib.auth import get_user_model

    from engine.models import Unit
    from engine.services import role_assign

    colleague = get_user_model().objects.create_user("luodian_staff_2", first_name="钱同事")
    role_assign(user=colleague, role="township_staff", unit=Unit.objects.get(name="罗店镇"))
    task_claim(user=colleague, task_pk=accept_task.pk)
    client = client_for(township_staff)
    response = client.get(_url(accept_task))
    assert "已由 钱同事 认领办理" in response.content.decode()
    assert response.context["form"] is None
    response = client.post(_url(accept_task, "claim"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:inbox")
    assert "该任务已由钱同事认领" in response.content.decode()
    # releasing someone else's claim is refused
    assert client.post(_url(accept_task, "release")).status_code == 403
    accept_task.refresh_from_db()
    assert accept_task.assignee == colleague


# -- completing ----------------------------------------------------------------------------------


def test_completing_the_task_moves_the_case_on(client_for, township_staff, accept_task):
    client = client_for(township_staff)
    response = client.post(_url(accept_task), {"acceptance": "accept"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:inbox")
    assert "已办理“受理审查”" in response.content.decode()
    accept_task.refresh_from_db()
    assert accept_task.status == TaskStatus.COMPLETED
    assert accept_task.completed_by == township_staff
    assert open_task(accept_task.case).spec_name == "investigate"
    # the completion shows in the history, labelled
    response = client.get(reverse("portal:case", args=[accept_task.case_id]))
    content = response.content.decode()
    assert "受理意见" in content and "材料齐全，予以受理" in content and "罗店镇经办人" in content


def test_invalid_task_form_comes_back_with_errors(client_for, township_staff, accept_task):
    response = client_for(township_staff).post(_url(accept_task), {"acceptance": "return"})
    assert response.status_code == 200
    assert "退回补正时必须一次性列明全部需补正的材料" in response.content.decode()
    accept_task.refresh_from_db()
    assert accept_task.status == TaskStatus.OPEN


def test_already_handled_meanwhile(client_for, township_staff, accept_task, case):
    client = client_for(township_staff)
    assert client.get(_url(accept_task)).status_code == 200  # the page is open...
    complete(case, township_staff, "accept", acceptance="accept")  # ...a colleague acts
    response = client.post(_url(accept_task), {"acceptance": "accept"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:inbox")
    assert "该任务已被办理" in response.content.decode()
    assert case.tasks.filter(spec_name="accept").count() == 1


def test_already_handled_inside_the_lock(client_for, township_staff, accept_task,
                                         monkeypatch):
    """The task is completed between the page's check and the engine's lock."""
    from engine.services import TaskAlreadyHandled

    def handled(**kwargs):
        raise TaskAlreadyHandled("该任务已被办理，请刷新待办列表")

    monkeypatch.setattr("portal.views.task_submit", handled)
    response = client_for(township_staff).post(_url(accept_task), {"acceptance": "accept"},
                                               follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:inbox")
    assert "该任务已被办理" in response.content.decode()


def test_leader_completes_the_urgent_decision(client_for, township_leader, leader_task):
    response = client_for(township_leader).post(_url(leader_task), {
        "decision": "approve", "approved_amount": "1000", "payment_method": "bank",
        "decision_opinion": "同意先行救助"})
    assert response.status_code == 302
    leader_task.refresh_from_db()
    assert leader_task.status == TaskStatus.COMPLETED


def test_applicant_completes_their_supplement_task(client_for, applicant, township_staff,
                                                   case):
    complete(case, township_staff, "accept", acceptance="return", missing_items="医院诊断证明")
    supplement = open_task(case, "supplement")
    client = client_for(applicant)
    response = client.get(_url(supplement))
    assert response.status_code == 200
    content = response.content.decode()
    assert "补正材料说明" in content and "认领任务" not in content
    # the one-time list of what is missing, next to the form
    assert "上一环节：办理“受理审查”" in content and "医院诊断证明" in content
    response = client.post(_url(supplement), {
        "supplement_note": "已补交诊断证明",
        "attachments": [SimpleUploadedFile("诊断证明.pdf", PDF, "application/pdf")]})
    assert response["Location"] == reverse("portal:my")
    assert open_task(case, "accept")
    assert HumanTask.objects.get(pk=supplement.pk).completed_by == applicant
    assert case.attachments.get().task_id == supplement.pk
    content = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "诊断证明.pdf" in content and "上传附件" in content


def test_other_applicant_cannot_post_the_supplement(client_for, other_applicant,
                                                    township_staff, case):
    complete(case, township_staff, "accept", acceptance="return", missing_items="诊断证明")
    supplement = open_task(case, "supplement")
    response = client_for(other_applicant).post(_url(supplement), {"supplement_note": "x"})
    assert response.status_code == 404
