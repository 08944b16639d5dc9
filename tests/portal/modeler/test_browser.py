"""The modeler in a real browser (Debian chromium driven by Playwright): a supervisor lowers
the township's temporary-relief limit in the dmn-js table, deploys, and a new 2,000-yuan case
then goes to the county.

Run alone with ``pytest -m browser``. Chromium missing is a failure, not a skip.
"""
import os
import tempfile
from pathlib import Path

import pytest
from django.db import connections

from engine.models import ProcessDefinition, TaskStatus
from engine.services import definition_current
from tests.workflows.temporary_relief.helpers import (
    file_application,
    walk_past_notice,
    walk_to_notice,
)
from workflows.demo import DEMO_PASSWORD
from workflows.registry import procedure_list

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain
# synchronous calls made between browser steps, not from inside a coroutine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(tempfile.gettempdir()) / "modeler-screenshots"  # looked at by hand

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium"
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The test's ORM calls opened a connection of their own while Playwright ran: close
        # it, or PostgreSQL refuses to drop the test database.
        connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def _login_as_supervisor(page, base):
    page.goto(f"{base}/login/")
    page.fill("#id_username", "wucheng_supervisor")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_load_state()


def _open_modeler(page, base, key):
    page.goto(f"{base}/modeler/{key}/")
    page.wait_for_selector("body[data-modeler-ready=true]")


def _set_cell(page, cell, text):
    """Replace the text of a dmn-js table cell the way a user does: click, select, type."""
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_lowering_the_township_limit_sends_a_2000_yuan_case_to_the_county(
        page, live_server, transactional_db, demo, clock, applicant, village, village_staff,
        township_staff):
    base = live_server.url
    _login_as_supervisor(page, base)
    page.click("header >> text=流程管理")
    page.click("tr:has-text('临时救助') >> text=编辑流程")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert page.locator("#pane-bpmn .djs-shape[data-element-id=township_decide]").count() == 1

    # Switch to the table and lower the township's limit from 3000 to 1000 yuan.
    page.click(".modeler-tab:has-text('决策表：临时救助审批层级')")
    table = page.locator("#pane-dmn-0")
    township = table.locator("td[data-row-id=rule_township].input-cell")
    county = table.locator("td[data-row-id=rule_county].input-cell")
    # (stored in the engine's syntax, "? <= 3000", since the engine translates on deploy)
    assert township.inner_text().strip().endswith("<= 3000")
    _set_cell(page, township, "<= 1000")
    _set_cell(page, county, "]1000..20000]")
    page.click("#pane-dmn-0 .tjs-table-head, #pane-dmn-0 th >> nth=0")
    assert township.inner_text().strip() == "<= 1000"
    assert county.inner_text().strip() == "]1000..20000]"
    page.screenshot(path=str(SCREENSHOTS / "temporary_relief_dmn.png"), full_page=True)

    # Check it, then deploy with a reason.
    page.click("[data-action=validate]")
    page.wait_for_selector("#modeler-status:has-text('校验通过')")
    page.click("[data-action=deploy]")
    page.wait_for_url(f"{base}/modeler/temporary_relief/deploy/")
    changes = page.inner_text(".modeler-diff")
    assert "1000" in changes and "决策表" in changes
    page.screenshot(path=str(SCREENSHOTS / "temporary_relief_deploy.png"), full_page=True)
    page.fill("#id_reason", "县政府文件：乡镇临时救助审批权限调整为1000元")
    page.click("button:has-text('确认部署')")
    page.wait_for_url(f"{base}/modeler/temporary_relief/versions/")
    assert "已部署第 2 版" in page.inner_text(".messages")
    assert "县政府文件：乡镇临时救助审批权限调整为1000元" in page.inner_text("table")
    assert not page.js_errors, page.js_errors

    v2 = _county_current("temporary_relief")
    assert v2.version == 2 and v2.deployed_by.username == "wucheng_supervisor"

    # A new 2,000-yuan case now goes to the county after the township's review.
    case = file_application(user=applicant, village=village, requested_amount="2000")
    assert case.definition == v2
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff,
                   amount="2000")
    walk_past_notice(case, clock=clock, township_staff=township_staff)
    task = case.tasks.get(status=TaskStatus.OPEN)
    assert task.spec_name == "county_review"
    assert task.lane == "county_staff"
    assert task.candidate_unit.name == "婺城区"


def test_every_shipped_diagram_opens_with_every_element_drawn(page, live_server,
                                                              transactional_db, demo):
    from lxml import etree

    base = live_server.url
    _login_as_supervisor(page, base)
    for procedure in procedure_list():
        definition = ProcessDefinition.objects.filter(key=procedure.key).latest("version")
        root = etree.fromstring(definition.bpmn_xml.encode())
        ids = {e.get("id") for e in root.iter("{*}process") for e in e.iter()
               if isinstance(e.tag, str) and etree.QName(e).localname.endswith(
                   ("Task", "Event", "Gateway", "callActivity", "subProcess", "task"))}
        _open_modeler(page, base, procedure.key)
        drawn = set(page.eval_on_selector_all(
            "#pane-bpmn .djs-shape", "els => els.map(e => e.dataset.elementId)"))
        assert ids <= drawn, (procedure.key, ids - drawn)
        page.screenshot(path=str(SCREENSHOTS / f"{procedure.key}.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def test_editing_a_task_in_the_panel_round_trips_through_a_draft(page, live_server,
                                                                 transactional_db, demo):
    from engine.models import DefinitionDraft
    from portal.modeler.selectors import draft_problems
    from workflows.registry import procedure_get

    base = live_server.url
    _login_as_supervisor(page, base)
    _open_modeler(page, base, "temporary_relief")
    page.click("#pane-bpmn .djs-shape[data-element-id=accept]")
    page.fill("#prop-name", "受理审查（含材料核对）")
    page.fill("#prop-due_working_days", "5")
    page.click("#properties button:has-text('应用')")
    page.click("[data-action=save]")
    page.wait_for_selector("#modeler-status:has-text('草稿已保存')")
    assert not page.js_errors, page.js_errors

    draft = DefinitionDraft.objects.get(key="temporary_relief", county=demo)
    assert 'name="受理审查（含材料核对）"' in draft.bpmn_xml
    assert '<spiffworkflow:property name="due_working_days" value="5"' in draft.bpmn_xml
    # what bpmn-js wrote still checks clean: conditions, service tasks, rules all survived
    assert draft_problems(procedure_get("temporary_relief"), bpmn_xml=draft.bpmn_xml,
                          dmn_xmls=list(draft.dmn_xml)) == []


def test_a_diagram_bpmnjs_cannot_fully_read_stays_editable(page, live_server,
                                                          transactional_db, demo):
    """A multi-instance naming task variables it never declares (loopDataInputRef without a
    bpmn:property) is dropped by bpmn-js on export: the diagram still opens editable, the
    warnings are listed in Chinese, and the saved draft keeps the references
    (portal/modeler/roundtrip.py)."""
    from pathlib import Path

    from engine.layout import bpmn_with_layout
    from engine.models import DefinitionDraft
    from engine.services import definition_deploy
    from portal.modeler.roundtrip import semantic_form

    legacy = (Path(__file__).resolve().parents[2] / "data" / "modeler" /
              "mi_unresolved_refs.bpmn").read_text(encoding="utf-8")
    current = _county_current("cemetery_approval")
    definition_deploy(key="cemetery_approval", name="公墓审批", bpmn_xml=legacy,
                      dmn_xmls=list(current.dmn_xml), comment="旧版图")
    base = live_server.url
    _login_as_supervisor(page, base)
    _open_modeler(page, base, "cemetery_approval")
    assert page.is_visible("#diagram-warnings")
    assert "引用了不存在的元素" in page.inner_text("#import-warnings")
    assert page.is_visible("#pane-bpmn .djs-palette")
    page.click("[data-action=save]")
    page.wait_for_selector("#modeler-status:has-text('草稿已保存')")
    draft = DefinitionDraft.objects.get(key="cemetery_approval", county=demo)
    deployed = bpmn_with_layout(_county_current("cemetery_approval").bpmn_xml)
    assert semantic_form(draft.bpmn_xml) == semantic_form(deployed)
    assert "loopDataInputRef" in draft.bpmn_xml

    _open_modeler(page, base, "temporary_relief")
    assert not page.is_visible("#diagram-warnings")


def test_shipped_multi_instance_diagrams_are_editable(page, live_server, transactional_db,
                                                      demo):
    """The shipped diagrams declare their multi-instance collections (bpmn:property), so
    bpmn-js keeps them and a saved draft still checks clean."""
    from engine.models import DefinitionDraft
    from portal.modeler.selectors import draft_problems
    from workflows.registry import procedure_get

    base = live_server.url
    _login_as_supervisor(page, base)
    for key in ("cemetery_approval", "after_death_bundle", "marriage_birth_bundle"):
        _open_modeler(page, base, key)
        assert not page.is_visible("#diagram-warnings"), key
        page.click("[data-action=save]")
        page.wait_for_selector("#modeler-status:has-text('草稿已保存')")
        draft = DefinitionDraft.objects.get(key=key, county=demo)
        assert "loopDataInputRef" in draft.bpmn_xml, key
        errors = [p for p in draft_problems(procedure_get(key), bpmn_xml=draft.bpmn_xml,
                                            dmn_xmls=list(draft.dmn_xml))
                  if p.severity == "error"]
        assert errors == [], (key, errors)
    assert not page.js_errors, page.js_errors


def test_a_file_from_bpmn_io_imports_validates_and_runs(page, live_server, transactional_db,
                                                       demo):
    """A diagram drawn in bpmn.io with generic forms, imported through the page."""
    data = Path(__file__).resolve().parents[2] / "data" / "modeler"
    base = live_server.url
    _login_as_supervisor(page, base)
    _open_modeler(page, base, "temporary_relief")
    page.set_input_files("#modeler-import", str(data / "bpmnjs_generic.bpmn"))
    page.wait_for_selector("#modeler-status:has-text('已导入流程图')")
    assert page.locator("#pane-bpmn .djs-shape[data-element-id=Activity_1q2h8cz]").count() == 1
    page.click("[data-action=validate]")
    page.wait_for_selector("#modeler-status:text-matches('^校验(通过|发现)')")
    assert page.inner_text("#modeler-status") == "校验通过", page.inner_text("#problems")
    page.click("[data-action=dryrun]")
    page.select_option("#dryrun-village", label="罗店镇 罗店村")
    page.click("#dryrun-form button")
    page.wait_for_selector("#dryrun-result .dryrun-end")
    steps = page.inner_text("#dryrun-result ol")
    assert "罗店镇乡镇经办人（luodian_staff）" in steps
    assert "罗店镇乡镇分管领导（luodian_leader）" in steps
    page.screenshot(path=str(SCREENSHOTS / "imported_generic.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def _county_current(key):
    """The version the demo county's new cases start on (its own deploys, else the
    product's)."""
    from engine.models import Unit

    return definition_current(key, Unit.objects.get(level="county", name="婺城区"))
