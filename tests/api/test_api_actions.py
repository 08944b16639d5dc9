"""The task actions of the API (transfer, delegate, return to the applicant, add and remove
signers) and attachment downloads: the engine's services and the pages' visibility rules,
with the adversaries — another township, a department without the task, the applicant,
anonymous, a malformed body. A refusal changes nothing."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api.services import api_token_create
from engine.models import AuditEntry, HumanTask, TaskStatus
from engine.services import role_assign
from tests.files import PDF
from tests.workflows.bundles.helpers import department_user
from tests.workflows.temporary_relief.helpers import application_data, file_application, open_task
from workflows.registry import procedure_get
from workflows.services import application_submit

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _post(client, url, body):
    return client.post(url, json.dumps(body) if not isinstance(body, str) else body,
                       content_type="application/json")


def _state(case):
    return (list(case.tasks.order_by("pk").values_list("pk", "status", "assignee_id",
                                                       "delegated_by_id")),
            AuditEntry.objects.filter(case=case).count())


@pytest.fixture
def colleague(village):
    user = get_user_model().objects.create_user("luodian_staff2", first_name="罗店镇经办人二")
    role_assign(user=user, role="township_staff", unit=village.parent)
    return user


@pytest.fixture
def accept_task(applicant, village):
    case = file_application(user=applicant, village=village)
    return open_task(case, "accept")


@pytest.fixture
def police_client(demo):
    return Client(HTTP_AUTHORIZATION="Token " + api_token_create(
        user=department_user("公安"), label="公安系统")[1])


ACTIONS = {
    "transfer": {"to_user": "luodian_staff2", "comment": "出差"},
    "delegate": {"to_user": "luodian_v1_staff", "comment": "请代为核实"},
    "return-to-applicant": {"missing": "户口簿复印件"},
    "add-signer": {"signer": "luodian_leader", "position": "before", "comment": "请会签"},
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_adversaries_are_refused_and_change_nothing(
        action, accept_task, colleague, applicant, village_staff, outsider, police_client):
    case = accept_task.case
    url = f"/api/tasks/{accept_task.pk}/{action}/"
    before = _state(case)
    body = ACTIONS[action]
    # Another township's staff and a department without the task: the case does not exist.
    assert _post(_client(outsider), url, body).status_code == 404
    assert _post(police_client, url, body).status_code == 404
    # The applicant and the village staff see the case but may not act on this step.
    assert _post(_client(applicant), url, body).status_code == 403
    assert _post(_client(village_staff), url, body).status_code == 403
    assert _post(_client(), url, body).status_code == 403  # anonymous
    assert _state(case) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_malformed_bodies_get_a_chinese_400(action, accept_task, colleague, township_staff):
    case = accept_task.case
    url = f"/api/tasks/{accept_task.pk}/{action}/"
    client = _client(township_staff)
    before = _state(case)
    for body in ("[1, 2]", "{", {}, {name: "" for name in ACTIONS[action]},
                 {name: "x" * 3000 for name in ACTIONS[action]}):
        response = _post(client, url, body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["detail"], body
    assert _state(case) == before


def test_transfer_to_a_colleague_of_the_same_role_only(accept_task, colleague, township_staff,
                                                      outsider, township_leader):
    client = _client(township_staff)
    url = f"/api/tasks/{accept_task.pk}/transfer/"
    for other in ("andi_staff", "luodian_leader", "no_such_user", "luodian_staff"):
        refused = _post(client, url, {"to_user": other, "comment": "x"})
        assert refused.status_code == 400 and "相同角色" in refused.json()["detail"], other
    done = _post(client, url, {"to_user": "luodian_staff2", "comment": "出差"})
    assert done.status_code == 200 and done.json()["assignee"] == "luodian_staff2"
    accept_task.refresh_from_db()
    assert accept_task.assignee == colleague
    assert AuditEntry.objects.filter(case=accept_task.case, action="transferred").exists()
    # It has left the clerk's hands: a second transfer by them is refused (held by another).
    again = _post(client, url, {"to_user": "luodian_staff2", "comment": "x"})
    assert again.status_code == 409 and again.json()["detail"]


def test_delegate_and_return_to_applicant(accept_task, township_staff, village_staff, outsider,
                                          applicant):
    client = _client(township_staff)
    refused = _post(client, f"/api/tasks/{accept_task.pk}/delegate/",
                    {"to_user": "andi_staff", "comment": "x"})
    assert refused.status_code == 400 and refused.json()["detail"] == "只能委派给本辖区的工作人员"
    done = _post(client, f"/api/tasks/{accept_task.pk}/delegate/",
                 {"to_user": "luodian_v1_staff", "comment": "请代为核实"})
    assert done.status_code == 200 and done.json()["assignee"] == "luodian_v1_staff"

    other = file_application(user=applicant, village=accept_task.village)
    task = open_task(other, "accept")
    back = _post(client, f"/api/tasks/{task.pk}/return-to-applicant/",
                 {"missing": "户口簿复印件"})
    assert back.status_code == 200, back.content
    assert back.json()["role"] == "applicant"
    assert open_task(other).lane == "applicant"


def test_add_and_remove_a_signer(accept_task, township_staff, township_leader, village_staff,
                                 outsider):
    client = _client(township_staff)
    url = f"/api/tasks/{accept_task.pk}/add-signer/"
    assert _post(client, url, {"signer": "andi_staff", "position": "before",
                               "comment": "x"}).status_code == 400
    assert _post(client, url, {"signer": "luodian_leader", "position": "sideways",
                               "comment": "x"}).json()["errors"]["position"]
    added = _post(client, url, {"signer": "luodian_leader", "position": "before",
                                "comment": "请会签"})
    assert added.status_code == 201, added.content
    co_sign = HumanTask.objects.get(pk=added.json()["id"])
    assert co_sign.assignee == township_leader and co_sign.status == TaskStatus.OPEN
    assert _post(client, url, {"signer": "luodian_leader", "position": "before",
                               "comment": "再加"}).status_code == 400  # already signing
    remove = f"/api/tasks/{co_sign.pk}/remove-signer/"
    assert _post(_client(outsider), remove, {"comment": "x"}).status_code == 404
    assert _post(_client(village_staff), remove, {"comment": "x"}).status_code == 403
    co_sign.refresh_from_db()
    assert co_sign.status == TaskStatus.OPEN
    removed = _post(client, remove, {"comment": "不需要了"})
    assert removed.status_code == 200 and removed.json()["status"] == TaskStatus.CANCELLED
    # Twice: it is no longer open.
    assert _post(client, remove, {"comment": "x"}).status_code == 400


def test_attachment_download_follows_the_visibility_rules(
        demo, applicant, village, township_staff, township_leader, village_staff,
        county_staff, outsider, police_client):
    procedure = procedure_get("temporary_relief")
    form = procedure.application_form(data=application_data(village))
    assert form.is_valid(), form.errors
    case = application_submit(
        procedure=procedure, cleaned_data=form.cleaned_data, user=applicant, on_behalf=False,
        uploads={"attachments": [SimpleUploadedFile("诊断证明.pdf", PDF, "application/pdf")]})
    attachment = case.attachments.get()
    url = f"/api/attachments/{attachment.uuid}/"
    for user in (applicant, township_staff):
        response = _client(user).get(url)
        assert response.status_code == 200 and response.content == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Cache-Control"] == "private, no-store"
    # The case detail names it for them, and hides it from who may not open it.
    assert _client(township_staff).get(f"/api/cases/{case.pk}/").json()["attachments"][0][
        "hidden"] is False
    hidden = _client(village_staff).get(f"/api/cases/{case.pk}/").json()["attachments"][0]
    assert hidden["hidden"] is True and "诊断" not in hidden["name"]
    # Confidential: the village staff see the case, not the file; nor does the county staff.
    for user in (village_staff, county_staff):
        refused = _client(user).get(url, HTTP_ACCEPT="application/octet-stream")
        assert refused.status_code == 403 and PDF not in refused.content
        assert refused["Content-Type"] == "application/json"  # a refusal is JSON
        assert refused.json()["detail"]
    assert _client(outsider).get(url).status_code == 404
    assert police_client.get(url).status_code == 404
    assert _client().get(url).status_code == 403
    assert _client(township_staff).get(
        "/api/attachments/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert _client(township_staff).post(url).status_code == 405
