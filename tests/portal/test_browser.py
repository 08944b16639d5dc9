"""One real-browser walk through the portal (Debian chromium driven by Playwright):
an applicant files a temporary-relief application, the township staff accept it.

Run alone with ``pytest -m browser``. Chromium missing is a failure, not a skip.
"""
import os
import tempfile
from pathlib import Path

import pytest
from django.db import connections

from engine.models import Case, TaskStatus
from tests.workflows.temporary_relief.helpers import VALID_ID
from workflows.demo import DEMO_PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain
# synchronous calls made between browser steps, not from inside a coroutine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(tempfile.gettempdir())  # looked at by hand, never committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright runs, this thread's code sees its own context variables, so the
        # test's ORM calls opened a connection of their own: close it, or PostgreSQL refuses
        # to drop the test database ("being accessed by other users").
        connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _login(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def test_applicant_files_and_township_staff_accept(page, live_server, transactional_db, demo):
    base = live_server.url

    # The applicant logs in and opens the application form.
    _login(page, base, "applicant_zhang")
    page.wait_for_url(f"{base}/my/")
    assert "张建国" in page.inner_text("header")
    page.click("text=在线申请 >> nth=0")
    page.click("a.card-link:has-text('临时救助')")
    page.wait_for_url(f"{base}/apply/temporary_relief/")
    assert page.input_value("#id_applicant_name") == "张建国"  # pre-filled

    # Fill the form with a wrong ID check character first.
    wrong_id = VALID_ID[:17] + ("3" if VALID_ID[17] != "3" else "4")
    page.select_option("#id_gender", "男")
    page.fill("#id_id_number", wrong_id)
    page.fill("#id_phone", "13800000001")
    page.select_option("#id_village", label="罗店村")
    page.fill("#id_current_address", "罗店村12号")
    page.select_option("#id_hardship_type", "illness")
    page.fill("#id_description", "户主突发脑梗住院，医疗费用超出家庭承受能力")
    page.fill("#id_monthly_income", "800")
    page.fill("#id_requested_amount", "2500")
    page.fill("#id_bank_account", "6217000000000001")
    page.check("#id_authorization_signed")
    page.click("button:has-text('提交申请')")

    error = page.locator(".field-text.has-error .error")
    assert error.inner_text() == "身份证号码校验位不正确，请核对后重新输入"
    assert Case.objects.count() == 0
    # everything else is still filled in
    assert page.input_value("#id_id_number") == wrong_id
    assert page.input_value("#id_phone") == "13800000001"
    assert page.input_value("#id_current_address") == "罗店村12号"
    assert page.input_value("#id_description").startswith("户主突发脑梗住院")
    assert page.input_value("#id_requested_amount") == "2500"
    assert page.locator("#id_village option:checked").inner_text() == "罗店村"
    assert page.is_checked("#id_authorization_signed")

    page.fill("#id_id_number", VALID_ID)
    page.click("button:has-text('提交申请')")
    page.wait_for_url(f"{base}/cases/*/")
    assert "申请已提交" in page.inner_text(".messages")
    case = Case.objects.get()
    assert case.applicant.username == "applicant_zhang"

    page.click("button:has-text('退出登录')")
    page.wait_for_url(f"{base}/login/")

    # The township staff of 罗店镇 find it in their inbox.
    _login(page, base, "luodian_staff")
    page.wait_for_url(f"{base}/tasks/")
    row = page.locator("tbody tr", has_text="张建国")
    assert row.count() == 1
    assert "受理审查" in row.inner_text() and "待认领" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "portal_inbox.png"), full_page=True)

    # ...open it, claim it and accept it.
    row.locator("a:has-text('受理审查')").click()
    page.wait_for_url(f"{base}/tasks/*/")
    page.click("button:has-text('认领任务')")
    assert "已认领" in page.inner_text(".messages")
    page.screenshot(path=str(SCREENSHOTS / "portal_task.png"), full_page=True)
    page.check("text=材料齐全，予以受理")
    page.click("button:has-text('提交办理结果')")
    page.wait_for_url(f"{base}/tasks/")
    assert "已办理“受理审查”" in page.inner_text(".messages")
    assert page.locator("tbody tr", has_text="张建国").count() == 0

    accept = case.tasks.get(spec_name="accept")
    assert accept.status == TaskStatus.COMPLETED
    assert accept.completed_by.username == "luodian_staff"
    assert case.tasks.get(status=TaskStatus.OPEN).spec_name == "investigate"


def test_the_supervisors_top_menu_fits_one_row_at_1366_px(page, live_server, transactional_db,
                                                           demo):
    """The supervisor has the most menu entries; at 1366 px (the common office screen) they
    stay on one row beside the product name and the account."""
    _login(page, live_server.url, "wucheng_supervisor")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / "portal_supervisor_menu.png"))
    tops = page.eval_on_selector_all(
        "header.topbar nav.menu a, header.topbar nav.menu button",
        "items => items.filter(i => i.offsetParent !== null)"
        "             .map(i => Math.round(i.getBoundingClientRect().top))")
    assert len(tops) >= 5, tops
    assert max(tops) - min(tops) <= 4, tops  # one row
    header = page.eval_on_selector("header.topbar", "h => h.getBoundingClientRect().height")
    assert header < 80, header


def test_the_dashboard_draws_its_charts_without_console_errors(page, live_server,
                                                               transactional_db, demo,
                                                               applicant, village,
                                                               township_staff):
    """ECharts (served from frontend/node_modules) draws the three charts on canvases from
    the figures in the page, and again after a refresh; the console stays clean."""
    from tests.workflows.temporary_relief.helpers import complete, file_application

    file_application(user=applicant, village=village)
    complete(file_application(user=applicant, village=village), township_staff, "accept",
             acceptance="accept")
    problems = []
    page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url')}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    _login(page, live_server.url, "wucheng_supervisor")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/dashboard/")
    for chart in ("chart-townships", "chart-steps", "chart-trend"):
        page.wait_for_selector(f"#{chart} canvas")
        size = page.eval_on_selector(f"#{chart} canvas", "c => [c.width, c.height]")
        assert min(size) > 100, (chart, size)
    page.click("#dashboard-refresh")
    page.wait_for_function("document.getElementById('dashboard-status').textContent"
                           ".startsWith('更新于')")
    page.screenshot(path=str(SCREENSHOTS / "portal_dashboard.png"), full_page=True)
    assert page.locator("#trend-rows tr").count() == 2
    assert page.locator("#trend-rows tr").first.inner_text().split()[-1] == "2"  # this month
    assert problems == []
