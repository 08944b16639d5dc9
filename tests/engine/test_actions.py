"""Approval actions on temporary relief and elderly-home adaptation: return, 补正, withdraw,
transfer, delegate, substitute, suspend / resume / void."""
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone

from engine.actions import (
    ActionRefused,
    case_resume,
    case_suspend,
    case_void,
    previous_form_data,
    returnable_steps,
    substitution_set,
    task_delegate,
    task_return,
    task_return_to_applicant,
    task_transfer,
    task_withdraw,
)
from engine.models import AuditAction, AuditEntry, CaseStatus, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import (
    TaskAlreadyHandled,
    role_assign,
    task_claim,
    task_complete,
    timers_fire_due,
)
from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(village):
    user = get_user_model().objects.create_user("luodian_staff2", first_name="罗店镇经办人二")
    role_assign(user=user, role="township_staff", unit=village.parent)
    return user


def _investigated(case, township_staff, village_staff):
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="属实", proposed_amount="2500",
             village_opinion="同意")
    return open_task(case, "township_review")


def test_return_to_an_earlier_step_reopens_it_with_its_data(applicant, village, township_staff,
                                                           village_staff):
    case = file_application(user=applicant, village=village)
    review = _investigated(case, township_staff, village_staff)
    steps = [row.spec_name for row in returnable_steps(case)]
    assert steps == ["accept", "investigate"]
    investigate = case.tasks.get(spec_name="investigate", status=TaskStatus.COMPLETED)
    with pytest.raises(ActionRefused, match="退回理由"):
        task_return(user=township_staff, task_pk=review.pk, target_pk=investigate.pk,
                    comment="")
    reopened = task_return(user=township_staff, task_pk=review.pk, target_pk=investigate.pk,
                           comment="入户调查只有一人签字")
    assert reopened.spec_name == "investigate" and reopened.assignee == village_staff
    assert previous_form_data(reopened)["investigator_1"] == "王芳"
    review.refresh_from_db()
    assert review.status == TaskStatus.CANCELLED  # kept in the history
    entry = case.audit.get(action=AuditAction.RETURNED)
    assert entry.data["comment"] == "入户调查只有一人签字"
    complete(case, village_staff, "investigate", visit_date="2026-11-21", investigator_1="王芳",
             investigator_2="赵敏", household_findings="属实", proposed_amount="2500",
             village_opinion="同意")
    assert open_task(case).spec_name == "township_review"


def test_outsider_and_wrong_role_cannot_return(applicant, village, township_staff,
                                               village_staff, outsider, township_leader):
    case = file_application(user=applicant, village=village)
    review = _investigated(case, township_staff, village_staff)
    accept = case.tasks.get(spec_name="accept")
    for user in (outsider, township_leader, applicant):
        with pytest.raises(PermissionDenied):
            task_return(user=user, task_pk=review.pk, target_pk=accept.pk, comment="x")


def test_return_to_applicant_for_material(applicant, village, township_staff, village_staff):
    case = file_application(user=applicant, village=village)
    review = _investigated(case, township_staff, village_staff)
    supplement = task_return_to_applicant(user=township_staff, task_pk=review.pk,
                                          missing="医院费用清单原件")
    assert supplement.assignee == applicant
    assert supplement in task_list_for_user(user=applicant)
    assert review.pk not in task_list_for_user(user=township_staff).values_list("pk", flat=True)
    task_complete(user=applicant, task_pk=supplement.pk,
                  form_data={"supplement_note": "已上传费用清单"})
    case.refresh_from_db()
    again = open_task(case, "township_review")
    assert again.assignee == township_staff
    assert case.data["applicant_supplements"][0]["supplement_note"] == "已上传费用清单"


def test_withdraw_while_next_step_untouched(applicant, village, township_staff, village_staff):
    case = file_application(user=applicant, village=village)
    accept = complete(case, township_staff, "accept", acceptance="accept")
    reopened = task_withdraw(user=township_staff, task_pk=accept.pk)
    assert reopened.spec_name == "accept" and reopened.assignee == township_staff
    assert case.audit.filter(action=AuditAction.WITHDRAWN).exists()
    accept2 = complete(case, township_staff, "accept", acceptance="accept")
    task_claim(user=village_staff, task_pk=open_task(case, "investigate").pk)
    with pytest.raises(ActionRefused, match="已被认领"):
        task_withdraw(user=township_staff, task_pk=accept2.pk)
    with pytest.raises(PermissionDenied):
        task_withdraw(user=village_staff, task_pk=accept2.pk)


@pytest.mark.django_db(transaction=True)
def test_withdraw_racing_the_next_claim(applicant, village, township_staff, village_staff):
    assert connection.vendor == "postgresql"
    case = file_application(user=applicant, village=village)
    accept = complete(case, township_staff, "accept", acceptance="accept")
    investigate = open_task(case, "investigate")
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(name, action):
        try:
            barrier.wait()
            action()
            outcomes[name] = "won"
        except (ActionRefused, TaskAlreadyHandled):
            outcomes[name] = "lost"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("withdraw", lambda: task_withdraw(
            user=township_staff, task_pk=accept.pk))),
        threading.Thread(target=run, args=("claim", lambda: task_claim(
            user=village_staff, task_pk=investigate.pk))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["lost", "won"]
    case.refresh_from_db()
    open_rows = list(case.tasks.filter(status=TaskStatus.OPEN))
    assert len(open_rows) == 1
    expected = "accept" if outcomes["withdraw"] == "won" else "investigate"
    assert open_rows[0].spec_name == expected


def test_transfer_to_same_role_in_jurisdiction_only(applicant, village, township_staff,
                                                    colleague, outsider, township_leader):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    for other in (outsider, township_leader, township_staff):
        with pytest.raises(ActionRefused):
            task_transfer(user=township_staff, task_pk=task.pk, to_user=other, comment="x")
    task_transfer(user=township_staff, task_pk=task.pk, to_user=colleague, comment="出差")
    task.refresh_from_db()
    assert task.assignee == colleague
    assert task in task_list_for_user(user=colleague)
    assert task not in task_list_for_user(user=township_staff)
    with pytest.raises(PermissionDenied):
        task_transfer(user=outsider, task_pk=task.pk, to_user=township_staff, comment="x")


def test_delegate_does_the_work_and_the_owner_confirms(applicant, village, township_staff,
                                                       village_staff, outsider):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    with pytest.raises(ActionRefused):
        task_delegate(user=township_staff, task_pk=task.pk, to_user=outsider, comment="x")
    task_delegate(user=township_staff, task_pk=task.pk, to_user=village_staff,
                  comment="请核对材料")
    task_complete(user=village_staff, task_pk=task.pk, form_data={"acceptance": "accept"})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.assignee == township_staff
    assert previous_form_data(task) == {"acceptance": "accept"}
    with pytest.raises(PermissionDenied):
        task_complete(user=village_staff, task_pk=task.pk, form_data={"acceptance": "accept"})
    task_complete(user=township_staff, task_pk=task.pk, form_data={"acceptance": "accept"})
    case.refresh_from_db()
    assert open_task(case).spec_name == "investigate"


def test_substitute_acts_on_behalf_within_dates(applicant, village, township_staff,
                                                village_staff, township_leader, colleague,
                                                clock):
    today = timezone.localdate()
    substitution_set(user=township_leader, substitute=colleague, starts_on=today,
                     ends_on=today + timedelta(days=3))
    case = file_application(user=applicant, village=village, requested_amount="800")
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="有收入", proposed_amount="800",
             village_opinion="不同意")
    complete(case, township_staff, "township_review", economic_check="ineligible",
             amount="800", recommendation="refuse", review_opinion="不符合",
             refusal_reason="有稳定收入")
    decide = open_task(case, "township_decide")
    colleague.__dict__.pop("_principals", None)
    assert decide in task_list_for_user(user=colleague)
    task_complete(user=colleague, task_pk=decide.pk,
                  form_data={"decision": "refuse", "refusal_reason": "有稳定收入",
                             "decision_opinion": "不同意"})
    entry = case.audit.get(action=AuditAction.COMPLETED, task=decide)
    assert entry.actor == colleague and entry.on_behalf_of == township_leader
    clock.shift(timedelta(days=5))
    fresh = get_user_model().objects.get(pk=colleague.pk)
    other = file_application(user=applicant, village=village)
    assert open_task(other, "accept") in task_list_for_user(user=fresh)  # own role still
    with pytest.raises(ActionRefused):
        substitution_set(user=township_leader, substitute=township_leader,
                         starts_on=today, ends_on=today)


def test_suspend_resume_void_by_county_supervisor(applicant, village, township_staff,
                                                  village_staff, supervisor, county_leader,
                                                  outsider, township_leader, clock):
    case = file_application(user=applicant, village=village)
    for user, error in ((county_leader, PermissionDenied), (township_staff, PermissionDenied),
                        (outsider, Http404)):
        with pytest.raises(error):
            case_suspend(user=user, case_pk=case.pk, reason="x")
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="属实", proposed_amount="2500",
             village_opinion="同意")
    complete(case, township_staff, "township_review", economic_check="eligible", amount="2500",
             recommendation="grant", review_opinion="属实")
    case_suspend(user=supervisor, case_pk=case.pk, reason="群众举报，暂停核查")
    clock.shift(timedelta(days=8))
    assert timers_fire_due() == 0  # a suspended case's timers do not fire
    case_resume(user=supervisor, case_pk=case.pk, reason="核查无问题")
    assert timers_fire_due() == 1
    case.refresh_from_db()
    decide = open_task(case, "township_decide")  # the notice ended after the resume
    case_suspend(user=supervisor, case_pk=case.pk, reason="再次核查")
    with pytest.raises(TaskAlreadyHandled, match="挂起"):
        task_complete(user=township_leader, task_pk=decide.pk,
                      form_data={"decision": "refuse", "refusal_reason": "x"})
    assert decide not in task_list_for_user(user=township_leader)
    case_void(user=supervisor, case_pk=case.pk, reason="申请人死亡，终止办理")
    case.refresh_from_db()
    assert case.status == CaseStatus.VOIDED
    assert not case.tasks.filter(status=TaskStatus.OPEN).exists()
    actions = set(AuditEntry.objects.filter(case=case).values_list("action", flat=True))
    assert {AuditAction.SUSPENDED, AuditAction.RESUMED, AuditAction.VOIDED} <= actions
