"""Withdrawal by the applicant before works: the quota place comes back; after works have
started it is refused; only the applicant (or the village staff who filed) may withdraw."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from engine.models import CaseStatus, Quota, TaskStatus
from workflows.elderly_home.services import application_withdraw

from .helpers import approve_to_assessment, assess, complete, file_application

pytestmark = pytest.mark.django_db


def _used(village):
    return Quota.objects.get(key="elderly_home_adaptation", unit=village.parent,
                             year=timezone.localdate().year).used


def test_withdrawal_after_approval_releases_the_quota_place(wang, village, township_staff,
                                                            county_staff, county_leader):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    assert _used(village) == 1
    application_withdraw(case_pk=case.pk, user=wang, reason="子女接去城里同住")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.data["withdraw"]["reason"] == "子女接去城里同住"
    assert not case.tasks.filter(status=TaskStatus.OPEN).exists()
    assert case.tasks.get(spec_name="assess").status == TaskStatus.CANCELLED
    assert _used(village) == 0
    assert not case.documents.exists()


def test_withdrawal_before_any_decision_needs_no_release(wang, village):
    case = file_application(user=wang, village=village)
    application_withdraw(case_pk=case.pk, user=wang, reason="暂不需要")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and _used(village) == 0


def test_no_withdrawal_once_works_started(wang, village, township_staff, county_staff,
                                          county_leader, assessor):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    assess(case, assessor)
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    with pytest.raises(ValidationError, match="不能再撤回"):
        application_withdraw(case_pk=case.pk, user=wang, reason="不想改了")
    assert _used(village) == 1


def test_only_the_applicant_may_withdraw(wang, village, township_staff, outsider, village_staff,
                                         other_applicant):
    case = file_application(user=wang, village=village)
    with pytest.raises(PermissionDenied):
        application_withdraw(case_pk=case.pk, user=township_staff, reason="x")
    # The applicant has an account of their own, and village staff have no step in this
    # procedure: they do not even see the case.
    with pytest.raises(Http404):
        application_withdraw(case_pk=case.pk, user=village_staff, reason="x")
    with pytest.raises(Http404):
        application_withdraw(case_pk=case.pk, user=outsider, reason="x")
    with pytest.raises(Http404):
        application_withdraw(case_pk=case.pk, user=other_applicant, reason="x")
    with pytest.raises(ValidationError, match="撤回原因"):
        application_withdraw(case_pk=case.pk, user=wang, reason=" ")


def test_village_staff_withdraw_what_they_filed(seeded, village, village_staff):
    case = file_application(user=village_staff, village=village, on_behalf=True)
    application_withdraw(case_pk=case.pk, user=village_staff, reason="老人已入住养老院")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
