"""Lane → role routing within the case's jurisdiction, on every read path."""
import pytest
from django.http import Http404

from engine.models import AuditEntry
from engine.selectors import (
    case_get_for_user,
    case_list_for_user,
    task_get_for_user,
    task_list_for_user,
    user_can_act_on_task,
)
from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

pytestmark = pytest.mark.django_db


def test_task_offered_to_role_within_jurisdiction_only(applicant, village, township_staff,
                                                       township_leader, outsider,
                                                       county_staff, village_staff):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    assert task.candidate_unit.name == "罗店镇"
    assert list(task_list_for_user(user=township_staff)) == [task]
    for user in (township_leader, outsider, county_staff, village_staff, applicant):
        assert task not in task_list_for_user(user=user)
        assert not user_can_act_on_task(user, task)
    assert user_can_act_on_task(township_staff, task)


def test_village_task_goes_to_the_case_village_only(applicant, village, township_staff,
                                                    village_staff, other_village_staff):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    task = open_task(case, "investigate")
    assert task.candidate_unit == village
    assert task in task_list_for_user(user=village_staff)
    assert task not in task_list_for_user(user=other_village_staff)


def test_case_visibility(applicant, other_applicant, village, village_staff,
                         other_village_staff, township_staff, outsider, county_leader):
    case = file_application(user=applicant, village=village)
    for user in (applicant, village_staff, township_staff, county_leader):
        assert case_get_for_user(user, case.pk) == case
        assert case in case_list_for_user(user=user)
    for user in (other_applicant, other_village_staff, outsider):
        assert case not in case_list_for_user(user=user)
        with pytest.raises(Http404):
            case_get_for_user(user, case.pk)
        with pytest.raises(Http404):
            task_get_for_user(user, open_task(case).pk)


def test_audit_trail_is_append_only(applicant, village):
    from django.core.exceptions import ValidationError

    case = file_application(user=applicant, village=village)
    entry = AuditEntry.objects.filter(case=case).first()
    entry.summary = "篡改"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
