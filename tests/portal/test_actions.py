"""Approval actions through the pages: every action refuses outsiders (404) and the wrong
role (403), and works for the right person."""
import pytest
from django.urls import reverse

from engine.models import AuditAction, CaseStatus, Substitution, TaskStatus
from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

pytestmark = pytest.mark.django_db

TASK_ACTIONS = ["task_return", "task_return_to_applicant", "task_transfer", "task_delegate",
                "task_add_signer"]


@pytest.fixture
def case(applicant, village):
    return file_application(user=applicant, village=village)


@pytest.mark.parametrize("name", TASK_ACTIONS)
def test_task_actions_refuse_outsiders_and_wrong_roles(client, case, name, outsider,
                                                       township_leader):
    task = open_task(case, "accept")
    client.force_login(outsider)
    assert client.post(reverse(f"portal:{name}", args=[task.pk]), {}).status_code == 404
    client.force_login(township_leader)
    assert client.post(reverse(f"portal:{name}", args=[task.pk]),
                       {"comment": "x", "missing": "x", "target": 1, "to_user": 1,
                        "signer": 1, "position": "before"}).status_code == 403


def test_task_page_offers_actions_and_prefills_a_reopened_step(client, case, township_staff,
                                                               village_staff):
    complete(case, township_staff, "accept", acceptance="accept")
    investigate = open_task(case, "investigate")
    client.force_login(village_staff)
    page = client.get(reverse("portal:task", args=[investigate.pk])).content.decode()
    assert "更多操作" in page and "退回到已办环节" in page and "受理审查" in page
    accept = case.tasks.get(spec_name="accept", status=TaskStatus.COMPLETED)
    response = client.post(reverse("portal:task_return", args=[investigate.pk]),
                           {"target": accept.pk, "comment": "请核实户籍"})
    assert response.status_code == 302
    reopened = open_task(case, "accept")
    client.force_login(township_staff)
    page = client.get(reverse("portal:task", args=[reopened.pk])).content.decode()
    import re

    radio = re.search(r'<input[^>]*name="acceptance"[^>]*value="accept"[^>]*>', page).group(0)
    assert "checked" in radio  # the earlier answer is offered again


def test_return_without_reason_shows_a_message_and_keeps_the_task(client, case, township_staff):
    task = open_task(case, "accept")
    client.force_login(township_staff)
    response = client.post(reverse("portal:task_return_to_applicant", args=[task.pk]),
                           {"missing": ""}, follow=True)
    assert "请填写需要补正的材料" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_take_back_from_the_case_page(client, case, township_staff, outsider):
    complete(case, township_staff, "accept", acceptance="accept")
    client.force_login(township_staff)
    assert "撤回" in client.get(reverse("portal:case", args=[case.pk])).content.decode()
    response = client.post(reverse("portal:case_take_back", args=[case.pk]), {})
    assert response.status_code == 302
    assert open_task(case).spec_name == "accept"
    client.force_login(outsider)
    assert client.post(reverse("portal:case_take_back", args=[case.pk])).status_code == 404


def test_supervisor_suspends_and_others_cannot(client, case, supervisor, county_leader,
                                               outsider):
    client.force_login(county_leader)
    assert client.post(reverse("portal:case_state", args=[case.pk, "suspend"]),
                       {"reason": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("portal:case_state", args=[case.pk, "suspend"]),
                       {"reason": "x"}).status_code == 404
    client.force_login(supervisor)
    assert "案件管理" in client.get(reverse("portal:case", args=[case.pk])).content.decode()
    client.post(reverse("portal:case_state", args=[case.pk, "suspend"]), {"reason": "核查"})
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert case.audit.filter(action=AuditAction.SUSPENDED).exists()


def test_substitutes_page(client, township_leader, township_staff, applicant):
    client.force_login(township_leader)
    assert "代理人" in client.get(reverse("portal:substitutes")).content.decode()
    client.post(reverse("portal:substitutes"), {"substitute": township_staff.pk,
                                                "starts_on": "2026-12-01",
                                                "ends_on": "2026-12-05"})
    assert Substitution.objects.filter(user=township_leader, substitute=township_staff).exists()
    client.force_login(applicant)
    assert client.get(reverse("portal:substitutes")).status_code == 403


def test_countersign_page_offers_removing_a_fellow_signer(client, demo, village):
    from pathlib import Path

    from django.contrib.auth import get_user_model

    from engine.services import case_start, definition_deploy

    bpmn = (Path(__file__).resolve().parent.parent / "data" / "countersign" /
            "countersign.bpmn").read_text(encoding="utf-8")
    definition_deploy(key="sign_all", name="多人审批", bpmn_xml=bpmn, dmn_xmls=[])
    leader, supervisor = (get_user_model().objects.get(username=name) for name in
                          ("wucheng_county_leader", "wucheng_supervisor"))
    case = case_start(procedure="sign_all", title="会签", village=village,
                      applicant_name="张建国", started_by=leader,
                      data={"mode": "all", "signers": [leader.username, supervisor.username],
                            "pass_ratio": 1})
    mine = case.tasks.get(assignee=leader)
    theirs = case.tasks.get(assignee=supervisor)
    client.force_login(leader)
    page = client.get(reverse("portal:task", args=[mine.pk])).content.decode()
    assert "同一环节的其他签署人" in page and "同意" in page
    client.post(reverse("portal:task_remove_signer", args=[theirs.pk]), {"comment": "回避"})
    theirs.refresh_from_db()
    assert theirs.status == TaskStatus.COMPLETED
    assert case.audit.filter(action=AuditAction.SIGNER_REMOVED).exists()
