"""Access matrix: every URL pattern of the site × every kind of persona (least privilege).

The URL patterns are read from the resolver, so a new page fails this test until it gets an
entry in ``MATRIX`` saying who may open it. One temporary-relief case of 张建国 in 罗店村 is
set up once (urgent path: a 先行救助 decision issued, 补办手续 open for the township staff, a
诊断证明 attached) and every persona requests every pattern:

* a GET answers 200 exactly to the personas the entry lists; everyone else is refused
  (302 to the login, 400, 403, 404 or 405) — and a persona who may not see the case gets 404
  on every URL naming it (they must not learn it exists; 405 for POST-only URLs);
* a POST by anyone the entry does not list is refused (a page that ignores POST may answer
  those who may GET it) and changes nothing (tasks, cases, audit trail, copies,
  notifications, documents, settings, definitions);
* list pages (inbox, cases, 我的申请, notifications, copies, dashboard) never link the case
  for a persona who may not see it.
"""
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from engine.models import Notification, ProcessDefinition, Unit, UnitLevel
from engine.notifications import case_copy_send
from engine.services import role_assign, unit_create
from tests.files import PDF
from tests.workflows.temporary_relief.helpers import application_data, complete, open_task
from workflows.registry import procedure_get
from workflows.services import application_submit

pytestmark = pytest.mark.django_db

ACCOUNT = "6217000000000001"
DIAGNOSIS = "户主突发脑梗住院"

PERSONAS = {
    "anonymous": None,
    "applicant": "applicant_zhang",
    "other_applicant": "applicant_li",
    "village_staff": "luodian_v1_staff",
    "other_village_staff": "luodian_v2_staff",
    "township_staff": "luodian_staff",
    "township_leader": "luodian_leader",
    "other_township_staff": "andi_staff",
    "county_staff": "wucheng_county_staff",
    "county_leader": "wucheng_county_leader",
    "supervisor": "wucheng_supervisor",
    "department": "wucheng_dept_police",
    "department_land": "wucheng_dept_land",
    "assessor": "wucheng_assessor",
    "provider": "wucheng_provider",
    "org_supervisor": "wucheng_org_supervisor",
    "other_county": "jindong_county_staff",
}
ALL = frozenset(PERSONAS)
LOGGED_IN = ALL - {"anonymous"}
APPLICANTS = frozenset({"applicant", "other_applicant"})
STAFF = LOGGED_IN - APPLICANTS
# Who may see the relief case at all: its applicant and the procedure's own roles over
# 罗店村 — nobody at the county level outside the bureau, nobody of another village,
# township or county.
CASE_VISIBLE = frozenset({"applicant", "village_staff", "township_staff", "township_leader",
                          "county_staff", "county_leader", "supervisor"})
BUREAU_OVER_CASE = CASE_VISIBLE - {"applicant"}
SUPERVISOR = frozenset({"supervisor"})
FILERS = APPLICANTS | {"village_staff", "other_village_staff"}
REFUSED = {302, 400, 403, 404, 405}
FILING_STAFF = frozenset({"township_staff", "township_leader", "other_township_staff",
                          "county_staff", "county_leader", "supervisor", "other_county"})


@dataclass(frozen=True)
class Entry:
    """Who gets a 200 on GET; who may POST (everyone else must change nothing);
    ``case_bound``: the URL names the case (or its task, document, attachment, copy...), so
    personas who may not see the case get 404."""

    kwargs: object = None  # world -> URL kwargs
    get: frozenset = frozenset()
    post: frozenset | None = frozenset()  # None: not POSTed (own data, e.g. 注册, 全部已读)
    data: object = None  # world -> POST body
    case_bound: bool = False
    # Personas refused by their role before any object is looked up (403 tells them nothing
    # about the case), e.g. the 备案 pages for anyone not township or county bureau staff.
    gate: frozenset = frozenset()
    query: str = ""
    lists_case: bool = False  # a list page: must not link the case for outsiders
    # The URL has no POST at all (an API read): 405 to everyone before any lookup, so the
    # answer tells nothing about the case (a page instead answers a POST like a GET: 404).
    get_only: bool = False
    notes: tuple = field(default=())


def _pk(name):
    return lambda w: {"pk": getattr(w, name).pk}


TASK = _pk("task")
CASE = _pk("case")

MATRIX = {
    "portal:home": Entry(),  # a redirect for everyone
    "portal:login": Entry(get=ALL - LOGGED_IN, post=None),
    "portal:logout": Entry(post=None),
    "portal:register": Entry(get=frozenset({"anonymous"}), post=None),
    "portal:password_set": Entry(kwargs=lambda w: {"uidb64": "MQ", "token": "x-y"}, get=ALL,
                                 post=None),
    "portal:password_set_done": Entry(get=ALL, post=None),
    "portal:procedures": Entry(get=FILERS),
    "portal:apply": Entry(kwargs=lambda w: {"procedure_key": "temporary_relief"}, get=FILERS,
                          post=None),  # files the user's own new case
    "portal:inbox": Entry(get=STAFF, lists_case=True),
    "portal:task": Entry(kwargs=TASK, get=CASE_VISIBLE, post=frozenset({"township_staff"}),
                         case_bound=True),
    "portal:task_claim": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                               case_bound=True),
    "portal:task_release": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                 case_bound=True),
    "portal:task_return": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                case_bound=True,
                                data=lambda w: {"target": w.done.pk, "comment": "退回"}),
    "portal:task_return_to_applicant": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                             case_bound=True,
                                             data=lambda w: {"missing": "户口簿"}),
    "portal:task_transfer": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                  case_bound=True,
                                  data=lambda w: {"to_user": w.users["township_leader"].pk,
                                                  "comment": "转办"}),
    "portal:task_delegate": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                  case_bound=True,
                                  data=lambda w: {"to_user": w.users["village_staff"].pk,
                                                  "comment": "委派"}),
    "portal:task_add_signer": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                    case_bound=True,
                                    data=lambda w: {"signer": w.users["township_leader"].pk,
                                                    "position": "before", "comment": "加签"}),
    "portal:task_remove_signer": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                       case_bound=True, data=lambda w: {"comment": "减签"}),
    "portal:case_take_back": Entry(kwargs=CASE, case_bound=True,
                                   post=frozenset({"township_staff", "township_leader"}),
                                   data=lambda w: {"comment": "撤回"}),
    "portal:case_state": Entry(kwargs=lambda w: {"pk": w.case.pk, "action": "suspend"},
                               post=SUPERVISOR, case_bound=True,
                               data=lambda w: {"reason": "挂起"}),
    "portal:substitutes": Entry(get=STAFF, post=None),  # the user's own substitute
    "portal:cases": Entry(get=STAFF, lists_case=True),
    "portal:case": Entry(kwargs=CASE, get=CASE_VISIBLE, case_bound=True),
    "portal:case_withdraw": Entry(kwargs=CASE, case_bound=True,
                                  post=frozenset({"applicant", "village_staff"}),
                                  data=lambda w: {"reason": "不需要了"}),
    "portal:my": Entry(get=LOGGED_IN, lists_case=True),
    "portal:document": Entry(kwargs=lambda w: {"uuid": w.document.uuid}, get=CASE_VISIBLE,
                             case_bound=True),
    # The certificate: the applicant, and the township staff and leader who accepted and
    # decided (engine.visibility); village and county staff see the case, not the file.
    "portal:attachment": Entry(kwargs=lambda w: {"uuid": w.attachment.uuid}, case_bound=True,
                               get=frozenset({"applicant", "township_staff",
                                              "township_leader"})),
    "portal:verify": Entry(kwargs=lambda w: {"uuid": w.document.uuid}, get=ALL, post=None,
                           query="?c={checksum}"),
    # Upload a PDF to check its signature: public, nothing of the case without the file.
    "portal:verify_upload": Entry(get=ALL, post=ALL),
    "portal:county_settings": Entry(get=SUPERVISOR, post=SUPERVISOR),
    "portal:county_quota_set": Entry(
        kwargs=lambda w: {"key": "elderly_home_adaptation", "township_pk": w.township.pk},
        post=SUPERVISOR, data=lambda w: {"capacity": "3"}),
    "portal:modeler:index": Entry(get=SUPERVISOR),
    "portal:modeler:camunda_mapping": Entry(get=SUPERVISOR, post=SUPERVISOR),
    "portal:modeler:library_diagram": Entry(kwargs=_pk("definition"), get=SUPERVISOR,
                                            post=None),
    "portal:modeler:library_upload": Entry(get=SUPERVISOR, post=SUPERVISOR),
    **{f"portal:modeler:{name}": Entry(kwargs=lambda w: {"key": "temporary_relief"},
                                       get=get, post=SUPERVISOR)
       for name, get in [("editor", SUPERVISOR), ("draft_save", frozenset()),
                         ("draft_discard", frozenset()), ("validate", frozenset()),
                         ("layout", frozenset()), ("dry_run", frozenset()),
                         ("deploy", frozenset()), ("versions", SUPERVISOR),
                         ("camunda_import", SUPERVISOR),
                         ("migrate", SUPERVISOR)]},
    "portal:modeler:rollback": Entry(kwargs=lambda w: {"key": "temporary_relief",
                                                       "version": w.definition.version},
                                     get=SUPERVISOR, post=SUPERVISOR),
    "portal:notifications": Entry(get=LOGGED_IN, lists_case=True),
    "portal:notification_open": Entry(kwargs=_pk("notification"), case_bound=True,
                                      post=frozenset({"township_staff"})),
    "portal:notifications_read_all": Entry(post=None),  # the user's own notifications
    "portal:copies": Entry(get=STAFF, lists_case=True),
    "portal:copy_open": Entry(kwargs=_pk("copy"), case_bound=True,
                              post=frozenset({"county_leader"})),
    "portal:case_urge": Entry(kwargs=CASE, post=BUREAU_OVER_CASE, case_bound=True,
                              data=lambda w: {"comment": "请尽快"}),
    "portal:case_copy": Entry(kwargs=CASE, post=BUREAU_OVER_CASE, case_bound=True,
                              data=lambda w: {"users": [w.users["township_leader"].pk]}),
    "portal:public_notices": Entry(get=ALL),
    "portal:public_notice": Entry(kwargs=lambda w: {"uuid": uuid.uuid4()}, post=None),
    "portal:case_notice_objection": Entry(
        kwargs=CASE, post=BUREAU_OVER_CASE, case_bound=True,
        data=lambda w: {"name": "李四", "contact": "13800000009",
                        "content": "申请人家中有车，不符合救助条件"}),
    "portal:dashboard": Entry(get=SUPERVISOR, lists_case=True),
    # Excel exports (portal/exports.py): the pages' rows, so the pages' personas.
    "portal:cases_export": Entry(get=STAFF, lists_case=True),
    "portal:inbox_export": Entry(get=STAFF, lists_case=True),
    "portal:register_book": Entry(kwargs=lambda w: {"procedure_key": "temporary_relief"},
                                  get=STAFF, lists_case=True),
    "portal:register_export": Entry(kwargs=lambda w: {"procedure_key": "temporary_relief"},
                                    get=STAFF, lists_case=True),
    "portal:dashboard_data": Entry(get=SUPERVISOR),
    "portal:county_calendar": Entry(get=SUPERVISOR, post=SUPERVISOR),
    # 报县备案 of the township's decision: the township's own staff and the county bureau.
    "portal:filings": Entry(get=FILING_STAFF),
    "portal:filing": Entry(kwargs=_pk("filing"), case_bound=True,
                           get=frozenset({"township_staff", "township_leader",
                                          "county_staff", "county_leader", "supervisor"}),
                           post=frozenset({"county_staff", "county_leader", "supervisor"}),
                           data=lambda w: {"outcome": "confirm"}, gate=LOGGED_IN - FILING_STAFF),
    "portal:document_revoke": Entry(kwargs=lambda w: {"uuid": w.document.uuid},
                                    get=SUPERVISOR, post=SUPERVISOR, case_bound=True,
                                    data=lambda w: {"reason": "错误"}),
    "portal:county_issuer_settings": Entry(post=SUPERVISOR),  # POST only
    "portal:api_tokens": Entry(get=SUPERVISOR, post=SUPERVISOR,
                               data=lambda w: {"username": "wucheng_dept_police",
                                               "label": "公安"}),
    "portal:api_token_revoke": Entry(kwargs=_pk("token"), post=SUPERVISOR),
    "portal:api_token_webhook": Entry(kwargs=_pk("token"), post=SUPERVISOR,
                                      data=lambda w: {"action": "save",
                                                      f"hook{w.token.pk}-url":
                                                      "http://127.0.0.1:9/hook",
                                                      f"hook{w.token.pk}-active": "on"}),
    "annual_inspection:campaign": Entry(
        get=frozenset({"county_staff", "county_leader", "supervisor", "other_county"}),
        post=frozenset({"county_staff", "county_leader", "supervisor", "other_county"})),
    "annual_inspection:spot_checks": Entry(
        get=frozenset({"county_staff", "county_leader", "supervisor", "org_supervisor",
                       "other_county"})),
    # The REST API (api/): the same access rules as the pages, through the same selectors
    # and services (here with the browser's session; tokens in tests/api/).
    "api:schema": Entry(get=ALL),
    "api:docs": Entry(get=ALL),
    "api:redoc": Entry(get=ALL),
    "api:procedures": Entry(get=FILERS),
    "api:procedure": Entry(kwargs=lambda w: {"procedure_key": "temporary_relief"}, get=FILERS),
    "api:apply": Entry(kwargs=lambda w: {"procedure_key": "temporary_relief"},
                       post=None),  # files the user's own new case (tests/api/)
    "api:cases": Entry(get=LOGGED_IN, lists_case=True),
    "api:case": Entry(kwargs=CASE, get=CASE_VISIBLE, case_bound=True, get_only=True),
    "api:tasks": Entry(get=LOGGED_IN, lists_case=True),
    "api:outbox": Entry(get=LOGGED_IN, lists_case=True),
    "api:task": Entry(kwargs=TASK, get=CASE_VISIBLE, case_bound=True, get_only=True),
    "api:task_claim": Entry(kwargs=TASK, post=frozenset({"township_staff"}), case_bound=True),
    "api:task_release": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                              case_bound=True),
    "api:task_complete": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                               case_bound=True),
    "api:task_return": Entry(kwargs=TASK, post=frozenset({"township_staff"}), case_bound=True,
                             data=lambda w: {"target": w.done.pk, "comment": "退回"}),
    "api:task_return_to_applicant": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                          case_bound=True,
                                          data=lambda w: {"missing": "户口簿"}),
    "api:task_transfer": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                               case_bound=True,
                               data=lambda w: {"to_user": "luodian_leader", "comment": "转办"}),
    "api:task_delegate": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                               case_bound=True,
                               data=lambda w: {"to_user": "luodian_v1_staff", "comment": "委派"}),
    "api:task_add_signer": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                 case_bound=True,
                                 data=lambda w: {"signer": "luodian_leader",
                                                 "position": "before", "comment": "加签"}),
    "api:task_remove_signer": Entry(kwargs=TASK, post=frozenset({"township_staff"}),
                                    case_bound=True, data=lambda w: {"comment": "减签"}),
    # The certificate, as the page: the applicant and the township's deciders only.
    "api:attachment": Entry(kwargs=lambda w: {"uuid": w.attachment.uuid}, case_bound=True,
                            get=frozenset({"applicant", "township_staff", "township_leader"}),
                            get_only=True),
    "api:document": Entry(kwargs=lambda w: {"uuid": w.document.uuid}, get=CASE_VISIBLE,
                          case_bound=True, get_only=True),
    "api:document_pdf": Entry(kwargs=lambda w: {"uuid": w.document.uuid}, get=CASE_VISIBLE,
                              case_bound=True, get_only=True),
    "api:document_verify": Entry(kwargs=lambda w: {"uuid": w.document.uuid}, get=ALL,
                                 post=None, query="?c={checksum}"),
    # Public, POST only (a multipart upload): a GET is 405 for everyone.
    "api:document_upload_verify": Entry(post=ALL),
    "api:tokens": Entry(get=SUPERVISOR, post=SUPERVISOR,
                        data=lambda w: {"username": "wucheng_dept_police", "label": "公安"}),
    "api:token_revoke": Entry(kwargs=_pk("token"), post=SUPERVISOR),
    # The calling token's own webhook: a session has none (404 for all; tests/api/).
    "api:webhook": Entry(get_only=True),
    # Django's admin: only is_staff accounts, which no persona is (one sample pattern).
    "admin:*": Entry(),
}


def _url_names(resolver=None, namespace="") -> list[str]:
    names = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                names.append("admin:*")
                continue
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            names += _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(namespace + pattern.name)
    return names


def test_every_url_pattern_has_an_entry():
    names = _url_names()
    missing = sorted(set(names) - set(MATRIX))
    assert not missing, f"URL patterns without an access-matrix entry: {missing}"
    stale = sorted(set(MATRIX) - set(names))
    assert not stale, f"matrix entries for URL patterns that no longer exist: {stale}"


def _world(demo):
    """The personas and the one case every request is about."""
    user_model = get_user_model()
    user_model.objects.create_user("applicant_li", password="x", first_name="李四")
    # Another county, with its own county staff.
    jindong = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    township = unit_create(name="孝顺镇", level=UnitLevel.TOWNSHIP, parent=jindong)
    unit_create(name="孝顺村", level=UnitLevel.VILLAGE, parent=township)
    other = user_model.objects.create_user("jindong_county_staff", password="x")
    role_assign(user=other, role="county_staff", unit=jindong)
    role_assign(user=other, role="county_leader", unit=jindong)

    users = {key: user_model.objects.get(username=name) for key, name in PERSONAS.items()
             if name}
    village = Unit.objects.get(name="罗店村")
    procedure = procedure_get("temporary_relief")
    form = procedure.application_form(data=application_data(
        village, urgent="on", requested_amount="2000", bank_account=ACCOUNT,
        description=DIAGNOSIS))
    assert form.is_valid(), form.errors
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = application_submit(
        procedure=procedure, cleaned_data=form.cleaned_data, user=users["applicant"],
        on_behalf=False,
        uploads={"attachments": [SimpleUploadedFile("脑梗诊断.pdf", PDF, "application/pdf")]})
    done = complete(case, users["township_staff"], "urgent_review", urgent_facts="住院属实",
                    amount="2000")
    complete(case, users["township_leader"], "urgent_township_decide", decision="approve",
             approved_amount="2000", payment_method="bank", decision_opinion="同意")
    task = open_task(case, "urgent_paperwork")
    document = case.documents.get(doc_type="relief_decision")
    from engine.documents import document_render

    document = document_render(document_pk=document.pk)
    [copy] = case_copy_send(user=users["township_staff"], case_pk=case.pk,
                            recipients=[users["county_leader"]])
    from api.services import api_token_create
    from engine.models import DocumentFiling

    token, _ = api_token_create(user=users["department"], label="公安户籍核查系统")
    from api.webhooks import webhook_set

    webhook_set(token_pk=token.pk, url="http://127.0.0.1:9/police")
    return SimpleNamespace(
        token=token,
        users=users, case=case, task=task, done=done, document=document,
        attachment=case.attachments.get(), copy=copy,
        notification=Notification.objects.filter(user=users["township_staff"],
                                                 case=case).first(),
        filing=DocumentFiling.objects.get(document=document),
        township=Unit.objects.get(name="罗店镇"),
        definition=ProcessDefinition.objects.filter(key="temporary_relief").first(),
    )


_STATE_SQL = """SELECT
  (SELECT COUNT(*) || ':' || COALESCE(MAX(id), 0) FROM engine_auditentry),
  (SELECT string_agg(id || status || COALESCE(assignee_id, 0) || '/'
                     || COALESCE(delegated_by_id, 0), ',' ORDER BY id) FROM engine_humantask),
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM engine_case),
  (SELECT string_agg(id || ':' || COALESCE(read_at::text, ''), ',' ORDER BY id)
     FROM engine_casecopy),
  (SELECT string_agg(id || ':' || COALESCE(read_at::text, ''), ',' ORDER BY id)
     FROM engine_notification),
  (SELECT string_agg(id || validity, ',' ORDER BY id) FROM engine_document),
  (SELECT COUNT(*) FROM engine_substitution),
  (SELECT string_agg(id || ':' || capacity, ',' ORDER BY id) FROM engine_quota),
  (SELECT md5(string_agg(id || settings::text, ',' ORDER BY id)) FROM engine_unit),
  (SELECT COUNT(*) FROM engine_processdefinition),
  (SELECT COUNT(*) FROM engine_definitiondraft),
  (SELECT COUNT(*) FROM engine_calendaryear),
  (SELECT string_agg(id || ':' || COALESCE(revoked_at::text, ''), ',' ORDER BY id)
     FROM api_apitoken),
  (SELECT string_agg(id || ':' || url || active || md5(secret), ',' ORDER BY id)
     FROM api_webhook),
  (SELECT COUNT(*) FROM api_webhookdelivery)"""


def _state():
    """Everything a refused request must leave as it was (one query: it runs ~900 times)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL)
        return cursor.fetchone()


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _text(response) -> str:
    """The page, or every cell of an Excel export (a zip: its bytes say nothing)."""
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        from io import BytesIO

        from openpyxl import load_workbook

        book = load_workbook(BytesIO(response.content), read_only=True)
        return " ".join(str(cell) for sheet in book.worksheets
                        for row in sheet.iter_rows(values_only=True) for cell in row
                        if cell is not None)
    return response.content.decode()


def test_access_matrix(demo, monkeypatch):
    import logging

    # Hundreds of refusals: Django logs each 403/404 with its traceback, which is most of the
    # time this test would take.
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)
    w = _world(demo)
    from engine.documents import document_checksum

    clients = {key: _client(w.users.get(key)) for key in PERSONAS}
    case_links = [reverse("portal:case", args=[w.case.pk]),
                  reverse("portal:task", args=[w.task.pk])]
    failures = []
    for name, entry in MATRIX.items():
        if name == "admin:*":
            url = reverse("admin:index")
        else:
            url = reverse(name, kwargs=entry.kwargs(w) if entry.kwargs else None)
        url += entry.query.format(checksum=document_checksum(w.document))
        before_gets = _state()
        for persona, client in clients.items():
            sees_case = persona in CASE_VISIBLE
            # GET
            response = client.get(url)
            status = response.status_code
            if status == 500:
                failures.append(f"GET {name} as {persona}: 500")
            elif persona in entry.get:
                if status != 200:
                    failures.append(f"GET {name} as {persona}: {status}, expected 200")
            elif status == 200 or status not in REFUSED:
                failures.append(f"GET {name} as {persona}: {status}, expected a refusal")
            elif entry.case_bound and not sees_case and persona != "anonymous" \
                    and status not in (404, 405) and not (status == 403 and persona in entry.gate):
                failures.append(f"GET {name} as {persona}: {status}, expected 404")
            if status == 200 and entry.lists_case and not sees_case:
                page = _text(response)
                leaked = [link for link in case_links if link in page]
                if leaked or DIAGNOSIS in page or ACCOUNT in page:
                    failures.append(f"GET {name} as {persona}: the case leaks {leaked}")
            if status == 200 and not sees_case:
                page = _text(response)
                if DIAGNOSIS in page or ACCOUNT in page:
                    failures.append(f"GET {name} as {persona}: sensitive data leaks")
            # POST
            if entry.post is None or persona in entry.post:
                continue
            before = _state()
            if before != before_gets:
                failures.append(f"GET {name} as {persona} changed state")
            response = client.post(url, entry.data(w) if entry.data else {})
            status = response.status_code
            # A page that ignores POST answers it like a GET: fine for those who may GET it.
            if (status == 200 and persona not in entry.get) or status not in REFUSED | {200}:
                failures.append(f"POST {name} as {persona}: {status}, expected a refusal")
            elif entry.case_bound and not sees_case and persona != "anonymous" \
                    and status != (405 if entry.get_only else 404) \
                    and not (status == 403 and persona in entry.gate):
                failures.append(f"POST {name} as {persona}: {status}, expected 404")
            if _state() != before:
                failures.append(f"POST {name} as {persona} changed state")
            before_gets = _state()
        if _state() != before_gets:
            failures.append(f"a GET of {name} changed state")
    assert not failures, "\n".join(failures)
