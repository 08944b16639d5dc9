"""The REST API: the same access rules and services as the pages, with the adversaries —
another township's staff, a department without a task, another applicant, anonymous, a
revoked token — and a department system's token seeing only cases where it has a task."""
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from api.models import ApiToken
from api.services import api_token_create
from engine.models import TaskStatus
from tests.workflows.bundles.helpers import after_death_data, department_user, file_bundle
from tests.workflows.temporary_relief.helpers import application_data, open_task

pytestmark = pytest.mark.django_db

AFTER_DEATH = "after_death_bundle"


def _session(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _token_client(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def _file_relief(client, village, **overrides):
    return client.post("/api/procedures/temporary_relief/applications/",
                       json.dumps(application_data(village, **{"urgent": "on",
                                                             "requested_amount": "2000",
                                                             **overrides})),
                       content_type="application/json")


def test_schema_and_docs_are_served_locally_in_chinese(demo):
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "民政审批引擎 API"
    assert "/api/tasks/{id}/complete/" in schema["paths"]
    docs = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()
    assert "/static/drf_spectacular_sidecar/" in docs


def test_applicant_files_through_the_form_and_only_they_and_the_bureau_see_it(
        demo, applicant, other_applicant, village, township_staff, outsider):
    client = _session(applicant)
    # The application form's validation, with Chinese messages: nothing filed.
    bad = _file_relief(client, village, id_number="123", requested_amount="abc")
    assert bad.status_code == 400
    assert "id_number" in bad.json()["errors"] and "表单校验未通过" in bad.json()["detail"]
    assert applicant.cases.count() == 0
    response = _file_relief(client, village)
    assert response.status_code == 201, response.content.decode()
    case_pk = response.json()["id"]
    detail = client.get(f"/api/cases/{case_pk}/").json()
    assert detail["status"] == "running"
    assert detail["data"]["bank_account"] == "6217000000000001"  # their own, in full
    assert [t["spec_name"] for t in detail["open_tasks"]] == ["urgent_review"]
    # Another applicant, another township's staff, anonymous: not found / refused.
    assert _session(other_applicant).get(f"/api/cases/{case_pk}/").status_code == 404
    assert _session(outsider).get(f"/api/cases/{case_pk}/").status_code == 404
    assert case_pk not in [c["id"] for c in _session(outsider).get("/api/cases/").json()[
        "results"]]
    assert Client().get(f"/api/cases/{case_pk}/").status_code == 403
    # The township staff see it, the account masked (they have not reached a deciding step).
    staff_view = _session(township_staff).get(f"/api/cases/{case_pk}/").json()
    assert staff_view["data"]["bank_account"] != "6217000000000001"
    assert staff_view["data"]["id_number"] != application_data(village)["id_number"] or \
        staff_view["open_tasks"]  # ID in full only for who may act now (the page's rule)


def test_claim_and_complete_go_through_the_task_form_and_the_services(
        demo, applicant, village, township_staff, township_leader, outsider):
    response = _file_relief(_session(applicant), village)
    case_pk = response.json()["id"]
    from engine.models import Case

    task = open_task(Case.objects.get(pk=case_pk), "urgent_review")
    # Another township's staff: 404 (no case for them); the leader holds no such role: 403.
    assert _session(outsider).post(f"/api/tasks/{task.pk}/claim/").status_code == 404
    assert _session(township_leader).post(f"/api/tasks/{task.pk}/claim/").status_code == 403
    assert _session(township_leader).post(f"/api/tasks/{task.pk}/complete/", {},
                                          content_type="application/json").status_code == 403
    staff = _session(township_staff)
    inbox = staff.get("/api/tasks/").json()["results"]
    assert task.pk in [t["id"] for t in inbox]
    detail = staff.get(f"/api/tasks/{task.pk}/").json()
    assert detail["may_act"] and "urgent_facts" in detail["form_schema"]["properties"]
    claimed = staff.post(f"/api/tasks/{task.pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "luodian_staff"
    # The task form's validation: an empty body is refused with the form's errors.
    empty = staff.post(f"/api/tasks/{task.pk}/complete/", {}, content_type="application/json")
    assert empty.status_code == 400 and empty.json()["errors"]
    done = staff.post(f"/api/tasks/{task.pk}/complete/",
                      {"urgent_facts": "住院属实", "amount": "2000"},
                      content_type="application/json")
    assert done.status_code == 200, done.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    # Twice: the service says it was handled (409), never a 500.
    again = staff.post(f"/api/tasks/{task.pk}/complete/",
                       {"urgent_facts": "住院属实", "amount": "2000"},
                       content_type="application/json")
    assert again.status_code == 409 and again.json()["detail"]


def test_token_of_a_department_sees_only_cases_where_it_has_a_task(
        demo, applicant, village, township_staff):
    police = department_user("公安")
    out = io.StringIO()
    call_command("api_token_create", user=police.username, label="公安户籍核查系统",
                 stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=police)
    # Hashed at rest: the table holds the SHA-256, never the token.
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in token.key_hash and raw not in str(token.__dict__.values())
    relief = _file_relief(_session(applicant), village).json()["id"]
    bundle = file_bundle(AFTER_DEATH, after_death_data(village, death_type="unnatural",
                                                       wanted_items=[]), user=applicant)
    client = _token_client(raw)
    assert [c["id"] for c in client.get("/api/cases/").json()["results"]] == [bundle.pk]
    assert client.get(f"/api/cases/{relief}/").status_code == 404
    [task] = client.get("/api/tasks/").json()["results"]
    assert task["case"] == bundle.pk and task["role"] == "department:公安"
    # The outbox: offered since the cursor; asked again with the new cursor, nothing new.
    feed = client.get("/api/tasks/outbox/", {"after": 0}).json()
    assert [t["id"] for t in feed["tasks"]] == [task["id"]]
    assert client.get("/api/tasks/outbox/", {"after": feed["cursor"]}).json()["tasks"] == []
    # Only its TaskView of the bundle: not the relief bank account, not other steps' data.
    view = client.get(f"/api/cases/{bundle.pk}/").json()
    assert "6217000000000001" not in json.dumps(view, ensure_ascii=False)
    # Another department (卫健) holds no task of it: 404.
    health, health_raw = api_token_create(user=department_user("卫健"), label="卫健系统")
    assert _token_client(health_raw).get(f"/api/cases/{bundle.pk}/").status_code == 404
    assert _token_client(health_raw).post(f"/api/tasks/{task['id']}/claim/").status_code == 404
    # Revoked: refused at once.
    call_command("api_token_revoke", token.pk, stdout=io.StringIO())
    assert client.get("/api/tasks/").status_code == 403
    assert _token_client("mz_not-a-token").get("/api/tasks/").status_code == 403


def test_only_the_county_supervisor_issues_lists_and_revokes_tokens(
        demo, supervisor, township_staff, county_staff):
    police = department_user("公安")
    for user in (township_staff, county_staff):
        assert _session(user).get("/api/tokens/").status_code == 403
        assert _session(user).post("/api/tokens/", {"username": police.username,
                                                    "label": "x"}).status_code == 403
    client = _session(supervisor)
    created = client.post("/api/tokens/", {"username": police.username, "label": "公安系统"})
    assert created.status_code == 201
    raw = created.json()["token"]
    assert _token_client(raw).get("/api/tasks/").status_code == 200
    listed = client.get("/api/tokens/").json()
    assert [t["label"] for t in listed] == ["公安系统"] and "token" not in listed[0]
    assert client.post("/api/tokens/", {"username": police.username, "label": " "}
                       ).status_code == 400
    pk = created.json()["id"]
    assert _session(county_staff).post(f"/api/tokens/{pk}/revoke/").status_code == 403
    assert client.post(f"/api/tokens/{pk}/revoke/").json()["active"] is False
    assert _token_client(raw).get("/api/tasks/").status_code == 403
