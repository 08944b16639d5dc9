"""Completing tasks: validation, ownership, and the double-submit race on PostgreSQL."""
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from engine.models import AuditAction, HumanTask, TaskStatus
from engine.services import TaskAlreadyHandled, task_claim, task_complete, task_release
from tests.workflows.temporary_relief.helpers import file_application, open_task


@pytest.mark.django_db
def test_completion_records_who_and_what_changed(applicant, village, township_staff):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    task_complete(user=township_staff, task_pk=task.pk, form_data={"acceptance": "accept"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completed_by == township_staff
    entry = case.audit.get(action=AuditAction.COMPLETED)
    assert entry.actor == township_staff
    assert entry.data["changed"] == {"acceptance": [None, "accept"]}


@pytest.mark.django_db
def test_form_data_must_be_plain_json_with_safe_names(applicant, village, township_staff):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    with pytest.raises(ValueError, match="字段名"):
        task_complete(user=township_staff, task_pk=task.pk, form_data={"__class__": 1})
    with pytest.raises(ValueError, match="JSON"):
        task_complete(user=township_staff, task_pk=task.pk, form_data={"when": object()})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


@pytest.mark.django_db
def test_wrong_role_and_outsider_cannot_complete(applicant, village, township_staff,
                                                 township_leader, outsider):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    for user in (township_leader, outsider, applicant):
        with pytest.raises(PermissionDenied):
            task_complete(user=user, task_pk=task.pk, form_data={"acceptance": "accept"})
        with pytest.raises(PermissionDenied):
            task_claim(user=user, task_pk=task.pk)


@pytest.mark.django_db
def test_claim_hides_task_from_colleagues_until_released(applicant, village, township_staff):
    from django.contrib.auth import get_user_model

    from engine.selectors import task_list_for_user
    from engine.services import role_assign

    colleague = get_user_model().objects.create_user("luodian_staff2")
    role_assign(user=colleague, role="township_staff", unit=village.parent)
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    assert task in task_list_for_user(user=colleague)
    task_claim(user=township_staff, task_pk=task.pk)
    assert task not in task_list_for_user(user=colleague)
    with pytest.raises(TaskAlreadyHandled):
        task_complete(user=colleague, task_pk=task.pk, form_data={"acceptance": "accept"})
    with pytest.raises(PermissionDenied):
        task_release(user=colleague, task_pk=task.pk)
    task_release(user=township_staff, task_pk=task.pk)
    assert task in task_list_for_user(user=colleague)
    actions = list(case.audit.values_list("action", flat=True))
    assert AuditAction.CLAIMED in actions and AuditAction.RELEASED in actions


@pytest.mark.django_db(transaction=True)
def test_two_staff_completing_the_same_task_at_once(applicant, village, township_staff):
    """Real concurrent connections: exactly one wins, the other is told it was handled."""
    assert connection.vendor == "postgresql"
    from django.contrib.auth import get_user_model

    from engine.services import role_assign

    colleague = get_user_model().objects.create_user("luodian_staff2")
    role_assign(user=colleague, role="township_staff", unit=village.parent)
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    barrier = threading.Barrier(2)
    results = {}

    def submit(user, choice):
        try:
            barrier.wait()
            task_complete(user=user, task_pk=task.pk, form_data={"acceptance": choice})
            results[user.username] = "ok"
        except TaskAlreadyHandled as exc:
            results[user.username] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(township_staff, "accept")),
               threading.Thread(target=submit, args=(colleague, "accept"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values(), key=len)[0] == "ok"
    assert list(results.values()).count("ok") == 1
    assert any("已被办理" in value for value in results.values())
    # Nothing done twice: one completion, one investigation task.
    assert case.audit.filter(action=AuditAction.COMPLETED).count() == 1
    assert HumanTask.objects.filter(case=case, spec_name="investigate").count() == 1
    case.refresh_from_db()
    assert open_task(case).spec_name == "investigate"
