"""会签 / 或签 / 票签 declared in BPMN (multi-instance with a completion condition), and
加签 / 减签 on an open step."""
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from engine.actions import ActionRefused, signer_add, signer_remove
from engine.models import AuditAction, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import TaskAlreadyHandled, case_start, definition_deploy, task_complete
from tests.workflows.temporary_relief.helpers import (
    file_application,
    open_task,
    walk_past_notice,
    walk_to_notice,
)

pytestmark = pytest.mark.django_db
BASE = (Path(__file__).resolve().parent.parent / "data" / "countersign" / "countersign.bpmn"
        ).read_text(encoding="utf-8")
CONDITION = '<bpmn:completionCondition>decision == "refuse"</bpmn:completionCondition>'
VARIANTS = {
    "all": BASE,
    "any": BASE.replace(CONDITION, CONDITION.replace('"refuse"', '"approve"')),
    "vote": BASE.replace(CONDITION, ""),
}


@pytest.fixture
def leaders(demo, village):
    from engine.services import role_assign

    users = [get_user_model().objects.get(username="wucheng_county_leader"),
             get_user_model().objects.get(username="wucheng_supervisor")]
    third = get_user_model().objects.create_user("wucheng_leader3", first_name="王副局长")
    role_assign(user=third, role="county_leader", unit=village.parent.parent)
    return [*users, third]


def _start(mode, village, leaders):
    definition_deploy(key=f"sign_{mode}", name="多人审批", bpmn_xml=VARIANTS[mode], dmn_xmls=[])
    return case_start(procedure=f"sign_{mode}", title="多人审批", village=village,
                      applicant_name="张建国", started_by=leaders[0],
                      data={"mode": mode, "signers": [u.username for u in leaders],
                            "pass_ratio": 0.6})


def _sign(case, user, decision):
    task = case.tasks.get(status=TaskStatus.OPEN, assignee=user)
    task_complete(user=user, task_pk=task.pk, form_data={"decision": decision, "opinion": "意见"})
    case.refresh_from_db()


def test_countersign_each_signer_gets_own_task_and_one_refusal_ends(village, leaders):
    case = _start("all", village, leaders)
    tasks = case.tasks.filter(status=TaskStatus.OPEN)
    assert {t.assignee for t in tasks} == set(leaders)
    for leader in leaders:  # each sees only their own signature
        assert list(task_list_for_user(user=leader).filter(case=case)) == \
            [tasks.get(assignee=leader)]
    _sign(case, leaders[0], "approve")
    _sign(case, leaders[1], "refuse")
    assert case.status == "completed" and case.data["approved"] is False
    assert case.tasks.get(assignee=leaders[2]).status == TaskStatus.CANCELLED


def test_any_one_approval_decides(village, leaders):
    case = _start("any", village, leaders)
    _sign(case, leaders[2], "refuse")
    assert case.status == "running"
    _sign(case, leaders[0], "approve")
    assert case.status == "completed" and case.data["approved"] is True


def test_vote_passes_at_the_ratio(village, leaders):
    case = _start("vote", village, leaders)
    _sign(case, leaders[0], "approve")
    _sign(case, leaders[1], "refuse")
    _sign(case, leaders[2], "approve")
    assert case.data["votes"].count("approve") == 2 and case.data["approved"] is True


def _at_township_decision(applicant, village, village_staff, township_staff, clock):
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    walk_past_notice(case, clock=clock, township_staff=township_staff)
    return case, open_task(case, "township_decide")


DECISION = {"decision": "approve", "approved_amount": 2500, "payment_method": "bank",
            "decision_opinion": "同意"}


def test_add_signer_before_blocks_the_owner_until_signed(applicant, village, village_staff,
                                                         township_staff, township_leader,
                                                         outsider, clock):
    case, decide = _at_township_decision(applicant, village, village_staff, township_staff,
                                         clock)
    with pytest.raises(ActionRefused):
        signer_add(user=township_leader, task_pk=decide.pk, signer=outsider, position="before",
                   comment="x")
    co_sign = signer_add(user=township_leader, task_pk=decide.pk, signer=township_staff,
                         position="before", comment="请经办人再核一下金额")
    assert co_sign in task_list_for_user(user=township_staff)
    with pytest.raises(TaskAlreadyHandled, match="加签"):
        task_complete(user=township_leader, task_pk=decide.pk, form_data=DECISION)
    task_complete(user=township_staff, task_pk=co_sign.pk, form_data={"opinion": "金额无误"})
    task_complete(user=township_leader, task_pk=decide.pk, form_data=DECISION)
    case.refresh_from_db()
    assert case.status == "completed"
    assert case.audit.filter(action=AuditAction.SIGNER_ADDED).exists()


def test_add_signer_after_holds_the_case_until_signed_and_remove(applicant, village,
                                                                 village_staff, township_staff,
                                                                 township_leader, clock):
    case, decide = _at_township_decision(applicant, village, village_staff, township_staff,
                                         clock)
    co_sign = signer_add(user=township_leader, task_pk=decide.pk, signer=township_staff,
                         position="after", comment="请经办人会签")
    task_complete(user=township_leader, task_pk=decide.pk, form_data=DECISION)
    case.refresh_from_db()
    assert case.status == "running" and not case.documents.exists()
    task_complete(user=township_staff, task_pk=co_sign.pk, form_data={"opinion": "同意"})
    case.refresh_from_db()
    assert case.status == "completed"
    assert case.documents.filter(doc_type="relief_decision").count() == 1
    # 减签: a second case, the added signer is removed and the owner's answer takes effect.
    case2, decide2 = _at_township_decision(applicant, village, village_staff, township_staff,
                                           clock)
    co_sign2 = signer_add(user=township_leader, task_pk=decide2.pk, signer=township_staff,
                          position="after", comment="会签")
    task_complete(user=township_leader, task_pk=decide2.pk, form_data=DECISION)
    with pytest.raises(PermissionDenied):
        signer_remove(user=village_staff, co_sign_pk=co_sign2.pk, comment="x")
    signer_remove(user=township_leader, co_sign_pk=co_sign2.pk, comment="经办人休假")
    case2.refresh_from_db()
    assert case2.status == "completed"
    assert case2.audit.filter(action=AuditAction.SIGNER_REMOVED).exists()


def test_remove_one_signer_of_a_countersign(village, leaders, outsider):
    case = _start("all", village, leaders)
    third = case.tasks.get(status=TaskStatus.OPEN, assignee=leaders[2])
    with pytest.raises(PermissionDenied):
        signer_remove(user=outsider, co_sign_pk=third.pk, comment="x")
    signer_remove(user=leaders[0], co_sign_pk=third.pk, comment="王副局长回避")
    _sign(case, leaders[0], "approve")
    _sign(case, leaders[1], "approve")
    assert case.status == "completed" and case.data["approved"] is True
    assert case.audit.filter(action=AuditAction.SIGNER_REMOVED).exists()
