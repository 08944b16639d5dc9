"""The DMN editor in a real browser: Chinese labels (dmn_zh.js, a dmn-js translate module),
the FEEL help line, and the production build of dmn-js (no Inferno development warning).

Run alone with ``pytest -m browser``. Chromium missing is a failure, not a skip.
"""
import pytest

from .test_browser import SCREENSHOTS, _login_as_supervisor, _open_modeler, browser, page

__all__ = ["browser", "page"]  # the fixtures, shared with test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_decision_table_speaks_chinese_and_loads_no_development_build(
        page, live_server, transactional_db, demo):
    messages = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    _login_as_supervisor(page, live_server.url)
    _open_modeler(page, live_server.url, "temporary_relief")
    page.click(".modeler-tab:has-text('决策表：临时救助审批层级')")
    table = page.locator("#pane-dmn-0")
    head = table.locator(".tjs-table-head, thead").first.inner_text()
    assert "条件（When）" in head and "结果（Then）" in head and "备注" in head, head
    assert "When" not in head.replace("条件（When）", "")
    assert "Annotations" not in head
    hit_policy = table.locator(".hit-policy").inner_text()
    assert "命中策略" in hit_policy and "Hit policy" not in hit_policy, hit_policy
    hint = table.locator(".feel-hint")
    assert hint.is_visible()
    assert "FEEL" in hint.inner_text() and "[1000..3000]" in hint.inner_text()
    # The context menu of a rule is Chinese too.
    table.locator("td.input-cell").first.click(button="right")
    menu = page.locator(".context-menu").inner_text()
    assert "添加规则" in menu or "在上方添加规则" in menu, menu
    page.keyboard.press("Escape")
    page.screenshot(path=str(SCREENSHOTS / "dmn_zh.png"), full_page=True)
    assert not page.js_errors, page.js_errors
    noisy = [(kind, text) for kind, text in messages
             if "development" in text.lower() or kind in ("warning", "error")]
    assert noisy == [], noisy
