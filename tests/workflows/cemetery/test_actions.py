"""Approval actions on cemetery approval (a second procedure besides temporary relief):
delegate, add signer, urge, CC, substitute and suspend work the same way."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from engine.actions import (
    ActionRefused,
    case_resume,
    case_suspend,
    signer_add,
    substitution_set,
    task_delegate,
)
from engine.models import AuditAction, CaseCopy, Notification, NotificationKind, TaskStatus
from engine.notifications import case_copy_send, case_urge
from engine.selectors import task_list_for_user
from engine.services import TaskAlreadyHandled, role_assign, task_complete

from .helpers import file_application, open_task, public_data, public_files

pytestmark = pytest.mark.django_db

@pytest.fixture
def case(village_staff, village):
    return file_application(user=village_staff, data=public_data(village),
                            files=public_files(), on_behalf=True)


def test_delegate_and_add_signer_on_township_review(case, township_staff, village_staff,
                                                    township_leader, outsider):
    task = open_task(case, "township_review")
    with pytest.raises(ActionRefused):
        task_delegate(user=township_staff, task_pk=task.pk, to_user=outsider, comment="x")
    task_delegate(user=township_staff, task_pk=task.pk, to_user=village_staff,
                  comment="请核实村民会议决议")
    assert task in task_list_for_user(user=village_staff)
    with pytest.raises(PermissionDenied):
        signer_add(user=outsider, task_pk=task.pk, signer=township_leader, position="before",
                   comment="x")
    assert case.audit.filter(action=AuditAction.DELEGATED).exists()


def test_add_signer_on_township_review(case, township_staff, township_leader):
    task = open_task(case, "township_review")
    co_sign = signer_add(user=township_staff, task_pk=task.pk, signer=township_leader,
                         position="before", comment="请领导先看")
    assert co_sign in task_list_for_user(user=township_leader)
    with pytest.raises(TaskAlreadyHandled, match="加签"):
        task_complete(user=township_staff, task_pk=task.pk, form_data={})


def test_urge_and_cc_within_jurisdiction_only(case, township_staff, county_staff, outsider,
                                              township_leader):
    with pytest.raises(Http404):
        case_urge(user=outsider, case_pk=case.pk)
    case_urge(user=county_staff, case_pk=case.pk, comment="请尽快审核")
    assert Notification.objects.filter(user=township_staff, kind=NotificationKind.URGE).exists()
    with pytest.raises(ValidationError, match="催办过"):
        case_urge(user=county_staff, case_pk=case.pk)  # at most once an hour
    with pytest.raises(PermissionDenied):
        case_copy_send(user=township_staff, case_pk=case.pk, recipients=[outsider])
    case_copy_send(user=township_staff, case_pk=case.pk, recipients=[township_leader],
                   comment="请阅")
    assert CaseCopy.objects.filter(case=case, user=township_leader).exists()


def test_substitute_and_suspension(case, township_staff, supervisor, village):
    colleague = get_user_model().objects.create_user("luodian_staff2", first_name="代理人")
    role_assign(user=colleague, role="village_staff", unit=village)
    today = timezone.localdate()
    substitution_set(user=township_staff, substitute=colleague, starts_on=today,
                     ends_on=today + timedelta(days=1))
    task = open_task(case, "township_review")
    assert task in task_list_for_user(user=get_user_model().objects.get(pk=colleague.pk))
    case_suspend(user=supervisor, case_pk=case.pk, reason="信访核查")
    with pytest.raises(TaskAlreadyHandled):
        task_complete(user=township_staff, task_pk=task.pk, form_data={})
    case_resume(user=supervisor, case_pk=case.pk, reason="核查完毕")
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
