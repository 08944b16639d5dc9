"""Approval actions on the elderly-home adaptation: they work for every procedure."""
import pytest
from django.contrib.auth import get_user_model

from engine.actions import (
    ActionRefused,
    task_return,
    task_return_to_applicant,
    task_transfer,
    task_withdraw,
)
from engine.models import AuditAction, TaskStatus
from engine.services import role_assign, task_complete

from .helpers import approve_to_assessment, complete, file_application, open_task

pytestmark = pytest.mark.django_db


def test_county_leader_returns_to_township_review(wang, village, township_staff,
                                                  county_staff, county_leader):
    case = file_application(user=wang, village=village)
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="经核实，符合条件")
    complete(case, county_staff, "county_review", county_opinion="建议批准")
    decide = open_task(case, "county_decide")
    review = case.tasks.get(spec_name="township_review", status=TaskStatus.COMPLETED)
    reopened = task_return(user=county_leader, task_pk=decide.pk, target_pk=review.pk,
                           comment="请补充房屋产权核实情况")
    assert reopened.spec_name == "township_review" and reopened.assignee == township_staff
    assert case.audit.filter(action=AuditAction.RETURNED).exists()


def test_assessor_asks_the_household_for_material_then_continues(
        wang, village, township_staff, county_staff, county_leader, assessor):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    assess = open_task(case, "assess")
    supplement = task_return_to_applicant(user=assessor, task_pk=assess.pk,
                                          missing="房屋平面示意图")
    assert supplement.assignee == wang
    task_complete(user=wang, task_pk=supplement.pk, form_data={"supplement_note": "已补充"})
    case.refresh_from_db()
    assert open_task(case, "assess").assignee == assessor


def test_withdraw_and_transfer_township_review(wang, village, township_staff, outsider):
    colleague = get_user_model().objects.create_user("luodian_staff2")
    role_assign(user=colleague, role="township_staff", unit=village.parent)
    case = file_application(user=wang, village=village)
    review = open_task(case, "township_review")
    with pytest.raises(ActionRefused):
        task_transfer(user=township_staff, task_pk=review.pk, to_user=outsider, comment="x")
    task_transfer(user=township_staff, task_pk=review.pk, to_user=colleague, comment="休假")
    done = complete(case, colleague, "township_review", review_result="pass",
                    review_opinion="经核实，符合条件")
    reopened = task_withdraw(user=colleague, task_pk=done.pk, comment="意见写错")
    assert reopened.spec_name == "township_review" and reopened.assignee == colleague
