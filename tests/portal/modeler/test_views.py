"""The supervisors' modeler pages: access, drafts, checks, dry runs, deploys, history,
rollback and migration."""
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from engine.models import AuditAction, AuditEntry, DefinitionDraft, ProcessDefinition
from engine.services import definition_current, definition_deploy
from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

DATA = Path(__file__).resolve().parents[2] / "data" / "modeler"
KEY = "temporary_relief"


def _url(name, *args):
    return reverse(f"portal:modeler:{name}", args=args)


def _bpmn() -> str:
    return (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")


def _dmn_1000() -> str:
    """The limits table as dmn-js writes it (FEEL), township limit lowered to 1000 yuan."""
    return (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")


def _post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _save_draft(client, bpmn=None, dmns=None):
    return _post_json(client, _url("draft_save", KEY),
                      {"bpmn_xml": bpmn or _bpmn(), "dmn_xmls": dmns or [_dmn_1000()]})


# ---------------------------------------------------------------------------------------------
# Access


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["county_staff", "township_staff", "applicant",
                                     "outsider"])
@pytest.mark.parametrize(("name", "method"), [
    ("index", "get"), ("editor", "get"), ("draft_save", "post"), ("validate", "post"),
    ("dry_run", "post"), ("layout", "post"), ("deploy", "get"), ("deploy", "post"),
    ("versions", "get"), ("migrate", "get"), ("migrate", "post"), ("draft_discard", "post"),
])
def test_only_supervisors_get_in(request, client_for, persona, name, method):
    user = request.getfixturevalue(persona)
    url = _url(name) if name == "index" else _url(name, KEY)
    response = getattr(client_for(user), method)(url)
    assert response.status_code == 403


@pytest.mark.django_db
def test_rollback_is_refused_to_county_staff(client_for, county_staff):
    response = client_for(county_staff).post(_url("rollback", KEY, 1), {"reason": "x"})
    assert response.status_code == 403
    assert ProcessDefinition.objects.filter(key=KEY).count() == 1


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    response = client.get(_url("editor", KEY))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_supervisor_sees_the_menu_and_the_procedures(client_for, supervisor):
    client = client_for(supervisor)
    home = client.get(reverse("portal:inbox"))
    assert _url("index") in home.content.decode()
    page = client.get(_url("index")).content.decode()
    assert "临时救助" in page and "第 1 版" in page
    assert _url("editor", KEY) in page


# ---------------------------------------------------------------------------------------------
# Editor and drafts


@pytest.mark.django_db
def test_editor_opens_the_deployed_version_with_a_drawing(client_for, supervisor):
    response = client_for(supervisor).get(_url("editor", KEY))
    assert response.status_code == 200
    config = response.context["config"]
    assert "BPMNShape" in config["bpmn"]  # the shipped diagram has none: one was generated
    assert [d["name"] for d in config["dmns"]] == ["临时救助审批层级"]
    page = response.content.decode()
    assert "bpmn-js/bpmn-modeler.production.min.js" in page
    assert "第 1 版" in page and "决策表：临时救助审批层级" in page


@pytest.mark.django_db
def test_unknown_procedure_is_404(client_for, supervisor):
    assert client_for(supervisor).get(_url("editor", "nonexistent")).status_code == 404


@pytest.mark.django_db
def test_save_draft_keeps_it_and_reports_feel_problems(client_for, supervisor, demo):
    client = client_for(supervisor)
    broken = _dmn_1000().replace("]1000..20000]", "1000..20000")

    response = _save_draft(client, dmns=[broken])

    assert response.status_code == 200
    body = response.json()
    assert body["saved"] is True
    assert [p["code"] for p in body["problems"]] == ["feel_input_entry"]
    assert "1000..20000" in body["problems"][0]["message"]
    draft = DefinitionDraft.objects.get(key=KEY, county=demo)
    assert draft.dmn_xml == [broken] and draft.updated_by == supervisor
    assert draft.based_on == _county_current(KEY)
    # the editor now opens the draft
    page = client.get(_url("editor", KEY))
    assert page.context["content"].is_draft
    assert page.context["config"]["dmns"][0]["xml"] == broken
    assert "草稿（基于第 1 版）" in page.content.decode()


@pytest.mark.django_db
def test_discarding_the_draft_reopens_the_deployed_version(client_for, supervisor, demo):
    client = client_for(supervisor)
    _save_draft(client)
    response = client.post(_url("draft_discard", KEY))
    assert response.status_code == 302
    assert not DefinitionDraft.objects.filter(key=KEY).exists()
    assert not client.get(_url("editor", KEY)).context["content"].is_draft


@pytest.mark.django_db
def test_save_without_a_diagram_is_refused(client_for, supervisor):
    response = _post_json(client_for(supervisor), _url("draft_save", KEY), {"dmn_xmls": []})
    assert response.status_code == 400
    assert response.json()["error"] == "缺少流程图"


@pytest.mark.django_db
def test_an_imported_file_without_a_drawing_gets_one(client_for, supervisor):
    client = client_for(supervisor)
    original = (settings.BPMN_DIR / "org_revocation.bpmn").read_text(encoding="utf-8")
    assert "BPMNShape" not in original
    response = _post_json(client, _url("layout", KEY), {"bpmn_xml": original})
    assert response.status_code == 200
    assert "BPMNShape" in response.json()["bpmn_xml"]
    broken = _post_json(client, _url("layout", KEY), {"bpmn_xml": "<bpmn:definitions"})
    assert broken.status_code == 400
    assert broken.json()["error"].startswith("文件不是合法的 BPMN XML")


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.django_db
def test_validate_lists_chinese_problems_with_their_elements(client_for, supervisor):
    bpmn = _bpmn().replace('<bpmn:flowNodeRef>county_review</bpmn:flowNodeRef>', "")
    bpmn = bpmn.replace('<bpmn:exclusiveGateway id="gw_urgent"',
                        '<bpmn:complexGateway id="cx"/><bpmn:exclusiveGateway id="gw_urgent"')

    response = _post_json(client_for(supervisor), _url("validate", KEY),
                          {"bpmn_xml": bpmn, "dmn_xmls": [_dmn_1000()]})

    body = response.json()
    assert body["errors"] >= 2
    by_element = {p["element_id"]: p for p in body["problems"]}
    assert "不在任何泳道中" in by_element["county_review"]["message"]
    assert by_element["county_review"]["severity"] == "error"
    assert any("不支持的元素：复杂网关" in p["message"] for p in body["problems"])
    # errors come first
    severities = [p["severity"] for p in body["problems"]]
    assert severities == sorted(severities, key=lambda s: s != "error")


@pytest.mark.django_db
def test_validate_passes_the_shipped_diagram_with_a_dmnjs_table(client_for, supervisor):
    response = _post_json(client_for(supervisor), _url("validate", KEY),
                          {"bpmn_xml": _bpmn(), "dmn_xmls": [_dmn_1000()]})
    assert response.json() == {"problems": [], "errors": 0}


# ---------------------------------------------------------------------------------------------
# Dry run


@pytest.mark.django_db
def test_dry_run_shows_the_path_and_who_receives_each_task(client_for, supervisor, village):
    response = _post_json(client_for(supervisor), _url("dry_run", KEY), {
        "bpmn_xml": _bpmn(), "dmn_xmls": [_dmn_1000()], "village": village.pk,
        "data": "urgent = false\nrequested_amount = 2000",
        "decisions": 'accept.acceptance = "accept"\n'
                     'investigate.proposed_amount = "2000"\n'
                     'township_review.amount = 2000\n'
                     'township_review.recommendation = "grant"\n'
                     "notice_period_end.held = true\n"
                     'notice_period_end.ended_on = "2026-12-10"',
    })

    assert response.status_code == 200
    body = response.json()
    steps = {s["element_id"]: s for s in body["steps"]}
    assert steps["accept"]["receiver"] == "罗店镇乡镇经办人"
    assert "luodian_staff" in steps["accept"]["users"]
    assert steps["level_rule"]["data"]["level"] == "county"
    assert steps["county_review"]["role"] == "county_staff"
    assert steps["county_review"]["receiver"] == "婺城区县民政局科室经办人"
    assert "wucheng_county_staff" in steps["county_review"]["users"]
    assert "township_decide" not in steps
    assert not body["finished"] and "decision" in body["stop_reason"]


@pytest.mark.django_db
def test_dry_run_rejects_malformed_lines_and_other_counties(client_for, supervisor, village):
    from engine.models import Unit

    client = client_for(supervisor)
    response = _post_json(client, _url("dry_run", KEY), {
        "bpmn_xml": _bpmn(), "dmn_xmls": [], "village": village.pk, "data": "amount 2000"})
    assert response.status_code == 400
    assert "第 1 行格式应为“字段 = 值”" in response.json()["error"]
    elsewhere = Unit.objects.create(name="外县", level="county")
    response = _post_json(client, _url("dry_run", KEY), {
        "bpmn_xml": _bpmn(), "dmn_xmls": [], "village": elsewhere.pk})
    assert response.status_code == 400
    assert "请选择本县的村（社区）" in response.json()["error"]


# ---------------------------------------------------------------------------------------------
# Deploy


@pytest.mark.django_db
def test_deploy_page_lists_changes_and_requires_a_reason(client_for, supervisor):
    client = client_for(supervisor)
    bpmn = _bpmn().replace('name="县民政局科室审核"', 'name="县民政局业务科室审核"')
    _save_draft(client, bpmn=bpmn)

    page = client.get(_url("deploy", KEY))
    text = page.content.decode()
    assert "用户任务“县民政局科室审核”（county_review）改名为“县民政局业务科室审核”" in text
    # the table redrawn in dmn-js has new rule ids: old rules removed, new ones added
    assert "决策表变化" in text
    assert "决策表“临时救助审批层级”新增规则1：当 救助金额（元） ? &lt;= 1000 时" in text
    assert re.search(r"决策表“临时救助审批层级”删除规则：当 救助金额（元） (\? )?&lt;= 3000 时",
                     text)

    refused = client.post(_url("deploy", KEY), {"reason": "  "})
    assert refused.status_code == 200
    assert "请填写原因" in refused.content.decode()
    assert ProcessDefinition.objects.filter(key=KEY).count() == 1


@pytest.mark.django_db
def test_deploy_creates_a_version_recorded_with_who_and_why(client_for, supervisor, demo):
    client = client_for(supervisor)
    _save_draft(client)

    response = client.post(_url("deploy", KEY), {"reason": "县政府文件：乡镇审批权限调为1000元"})

    assert response.status_code == 302 and response["Location"] == _url("versions", KEY)
    v2 = _county_current(KEY)
    assert v2.version == 2
    assert v2.deployed_by == supervisor
    assert v2.comment == "县政府文件：乡镇审批权限调为1000元"
    # stored translated: what runs is the engine's expression, not FEEL
    assert "1000 &lt; ? &lt;= 20000" in v2.dmn_xml[0]
    assert "]1000..20000]" not in v2.dmn_xml[0]
    assert not DefinitionDraft.objects.filter(key=KEY, county=demo).exists()
    entry = AuditEntry.objects.filter(action=AuditAction.DEPLOYED).latest("pk")
    assert entry.actor == supervisor and entry.data["comment"].startswith("县政府文件")
    history = client.get(_url("versions", KEY)).content.decode()
    assert "第 2 版" in history and "县政府文件：乡镇审批权限调为1000元" in history
    assert "郑主任" in history


@pytest.mark.django_db
def test_draft_with_errors_cannot_be_deployed(client_for, supervisor):
    client = client_for(supervisor)
    broken = _dmn_1000().replace("]1000..20000]", "1000..20000")
    _save_draft(client, dmns=[broken])

    page = client.get(_url("deploy", KEY)).content.decode()
    assert "不能部署" in page and "1000..20000" in page
    response = client.post(_url("deploy", KEY), {"reason": "试试"})
    assert response.status_code == 200
    assert ProcessDefinition.objects.filter(key=KEY).count() == 1


@pytest.mark.django_db
def test_deploy_without_a_draft_goes_back_to_the_editor(client_for, supervisor):
    response = client_for(supervisor).get(_url("deploy", KEY))
    assert response.status_code == 302 and response["Location"] == _url("editor", KEY)


@pytest.mark.django_db
def test_new_cases_use_the_new_version_running_cases_keep_theirs(client_for, supervisor,
                                                                 applicant, village):
    running = file_application(user=applicant, village=village)
    client = client_for(supervisor)
    _save_draft(client)
    client.post(_url("deploy", KEY), {"reason": "调整权限"})

    new = file_application(user=applicant, village=village)
    running.refresh_from_db()
    assert running.definition.version == 1
    assert new.definition.version == 2


# ---------------------------------------------------------------------------------------------
# Rollback


@pytest.mark.django_db
def test_rollback_deploys_the_old_content_as_a_new_version(client_for, supervisor):
    client = client_for(supervisor)
    v1 = _county_current(KEY)
    _save_draft(client)
    client.post(_url("deploy", KEY), {"reason": "调整权限"})

    page = client.get(_url("rollback", KEY, 1)).content.decode()
    assert "回滚到第 1 版" in page and "决策表变化" in page
    assert client.post(_url("rollback", KEY, 1), {"reason": ""}).status_code == 200
    response = client.post(_url("rollback", KEY, 1), {"reason": "文件撤回"})

    assert response.status_code == 302
    v3 = _county_current(KEY)
    assert v3.version == 3
    assert (v3.bpmn_xml, v3.dmn_xml, v3.content_hash) == (v1.bpmn_xml, v1.dmn_xml,
                                                         v1.content_hash)
    assert v3.deployed_by == supervisor and v3.comment == "回滚到第 1 版：文件撤回"
    history = client.get(_url("versions", KEY)).content.decode()
    assert history.count("回滚到此版本") == 2  # every version but the current one


@pytest.mark.django_db
def test_rollback_to_an_unknown_version_is_404(client_for, supervisor):
    assert client_for(supervisor).get(_url("rollback", KEY, 9)).status_code == 404


# ---------------------------------------------------------------------------------------------
# Migration


def _without_supplement(bpmn: str) -> str:
    bpmn = bpmn.replace('<bpmn:flowNodeRef>supplement</bpmn:flowNodeRef>', "")
    bpmn = bpmn.replace('targetRef="supplement"', 'targetRef="issue_refusal"')
    start = bpmn.index('<bpmn:userTask id="supplement"')
    end = bpmn.index('<bpmn:sequenceFlow id="f_supplement"')
    end = bpmn.index("/>", end) + 2
    return bpmn[:start] + bpmn[end:]


@pytest.mark.django_db
def test_migration_page_moves_cases_and_refuses_with_the_reason(client_for, supervisor,
                                                                applicant, village,
                                                                township_staff):
    waiting = file_application(user=applicant, village=village)
    returned = file_application(user=applicant, village=village)
    complete(returned, township_staff, "accept", acceptance="return",
             missing_items="缺少收入证明")
    definition_deploy(key=KEY, name="临时救助", bpmn_xml=_without_supplement(_bpmn()),
                      dmn_xmls=list(_county_current(KEY).dmn_xml), deployed_by=supervisor,
                      comment="取消补正")
    client = client_for(supervisor)

    page = client.get(_url("migrate", KEY)).content.decode()
    assert f'value="{waiting.pk}"' in page and f'value="{returned.pk}"' in page
    assert "案件当前停在“补正材料”（supplement），新版本中已没有这一步" in page

    response = client.post(_url("migrate", KEY), {"cases": [waiting.pk, returned.pk]})

    results = {r.case.pk: r for r in response.context["results"]}
    assert results[waiting.pk].migrated
    assert results[waiting.pk].message == "已由第 1 版迁移到第 2 版"
    assert not results[returned.pk].migrated
    assert "补正材料" in results[returned.pk].message
    waiting.refresh_from_db()
    returned.refresh_from_db()
    assert waiting.definition.version == 2 and open_task(waiting, "accept")
    assert returned.definition.version == 1 and open_task(returned, "supplement")
    text = response.content.decode()
    assert "已迁移" in text and "未迁移" in text
    # the migrated case no longer needs migrating
    assert f'value="{waiting.pk}"' not in text


@pytest.mark.django_db
def test_migration_ignores_cases_outside_the_list(client_for, supervisor, applicant, village):
    case = file_application(user=applicant, village=village)  # already on the current version
    response = client_for(supervisor).post(_url("migrate", KEY), {"cases": [case.pk]})
    assert response.status_code == 200
    assert "所选案件不在列表中" in response.content.decode()


def _county_current(key):
    """The version the demo county's new cases start on (its own deploys, else the
    product's)."""
    from engine.models import Unit

    return definition_current(key, Unit.objects.get(level="county", name="婺城区"))


@pytest.mark.django_db
def test_dry_run_stops_where_the_procedure_has_no_form_for_a_step(client_for, supervisor,
                                                                  village):
    """The dry run asks the procedure's form lookup, like the task page: a user task added
    without a form stops it there, in Chinese (validation refuses the same draft)."""
    bpmn = _bpmn().replace(
        '<bpmn:userTask id="accept"',
        '<bpmn:userTask id="extra_check" name="加签审核"/>'
        '<bpmn:userTask id="accept"', 1)
    bpmn = bpmn.replace('sourceRef="start" targetRef="gw_urgent"',
                        'sourceRef="start" targetRef="extra_check"', 1)
    bpmn = bpmn.replace("<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>"
                        "<bpmn:flowNodeRef>extra_check</bpmn:flowNodeRef>", 1)
    bpmn = bpmn.replace("</bpmn:process>", '<bpmn:sequenceFlow id="flow_extra" '
                        'sourceRef="extra_check" targetRef="gw_urgent"/></bpmn:process>', 1)
    response = _post_json(client_for(supervisor), _url("dry_run", KEY), {
        "bpmn_xml": bpmn, "dmn_xmls": [_dmn_1000()], "village": village.pk,
        "data": "urgent = false", "decisions": ""})
    body = response.json()
    assert response.status_code == 200, body
    assert body["stopped_at"] == "extra_check", body
    assert "“加签审核”（extra_check）没有可填写的表单" in body["stop_reason"]
