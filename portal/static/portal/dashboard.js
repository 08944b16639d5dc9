/* 督办看板: fetch the dashboard's figures (JSON) every few seconds, and on 刷新, and re-render
 * its tables in place. The server renders the same tables on first load from the same figures
 * (portal/dashboard.py), so this file only has to repeat that markup. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) return;
  var url = root.dataset.url;
  var interval = (Number(root.dataset.refresh) || 30) * 1000;
  var statusEl = document.getElementById("dashboard-status");
  var button = document.getElementById("dashboard-refresh");
  var loading = false;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function overdueCell(count) {
    var td = el("td");
    if (count) td.appendChild(el("span", count, { "class": "count count-danger" }));
    else td.textContent = "0";
    return td;
  }

  function row(cells, attrs) {
    var tr = el("tr", null, attrs);
    cells.forEach(function (cell) { tr.appendChild(cell); });
    return tr;
  }

  function emptyRow(text) {
    return row([el("td", text, { colspan: "4", "class": "empty" })]);
  }

  function strong(text) {
    var td = el("td");
    td.appendChild(el("strong", text));
    return td;
  }

  function renderWorkload(figures) {
    var rows = [];
    figures.townships.forEach(function (township) {
      rows.push(row([strong(township.name), strong("合计"), strong(township.open_cases),
                     overdueCell(township.overdue_tasks)]));
      township.procedures.forEach(function (procedure) {
        rows.push(row([el("td"), el("td", procedure.name), el("td", procedure.open_cases),
                       overdueCell(procedure.overdue_tasks)],
                      procedure.overdue_tasks ? { "class": "row-overdue" } : {}));
      });
    });
    if (!rows.length) rows.push(emptyRow("本县尚未设置乡镇（街道）"));
    document.getElementById("workload-rows").replaceChildren(...rows);
  }

  function renderSteps(figures) {
    var rows = figures.steps.map(function (step) {
      return row([el("td", step.procedure_name), el("td", step.title), el("td", step.completed),
                  el("td", step.average_label, { title: step.average_seconds + "秒" })]);
    });
    if (!rows.length) rows.push(emptyRow("尚无已办理的步骤"));
    document.getElementById("step-rows").replaceChildren(...rows);
  }

  function renderCalendarWarnings(figures) {
    var alerts = (figures.calendar_warnings || []).map(function (warning) {
      var div = el("div", "⚠ " + warning.label + "。", { "class": "alert alert-warning", role: "alert" });
      div.appendChild(el("a", "录入" + warning.year + "年节假日",
                         { href: root.dataset.calendarUrl + "?year=" + warning.year }));
      return div;
    });
    document.getElementById("calendar-warnings").replaceChildren(...alerts);
  }

  function renderTrend(figures) {
    var months = figures.trend || [];
    document.getElementById("trend-months").replaceChildren(
      el("th", "月份"), ...months.map(function (m) { return el("th", m.month); }));
    document.getElementById("trend-rows").replaceChildren(
      row([el("th", "受理")].concat(months.map(function (m) { return el("td", m.filed); }))),
      row([el("th", "办结")].concat(months.map(function (m) { return el("td", m.decided); }))));
  }

  function render(figures) {
    document.getElementById("total-open").textContent = figures.totals.open_cases;
    document.getElementById("total-overdue").textContent = figures.totals.overdue_tasks;
    document.getElementById("total-overdue-card").classList.toggle(
      "card-attention", figures.totals.overdue_tasks > 0);
    renderWorkload(figures);
    renderSteps(figures);
    renderCalendarWarnings(figures);
    renderTrend(figures);
    if (window.dashboardCharts) window.dashboardCharts.render(figures);  // dashboard_charts.js
  }

  function status(text, isError) {
    statusEl.textContent = text;
    statusEl.style.color = isError ? "var(--red)" : "";
  }

  async function refresh() {
    if (loading) return;  // a slow answer must not be overtaken by the next poll's
    loading = true;
    button.disabled = true;
    try {
      var response = await fetch(url, { headers: { Accept: "application/json" },
                                        credentials: "same-origin", cache: "no-store" });
      var type = response.headers.get("Content-Type") || "";
      if (response.status === 403) throw new Error("无权查看督办看板");
      if (!response.ok) throw new Error("服务器错误 " + response.status);
      // An expired session is redirected to the login page (HTML).
      if (response.redirected || type.indexOf("application/json") === -1) {
        var expired = new Error("登录已过期，请重新登录");
        expired.final = true;
        throw expired;
      }
      var figures = await response.json();
      render(figures);
      status("更新于 " + figures.generated_label);
    } catch (error) {
      // fetch() rejects with a TypeError (in English) when the network is down.
      var reason = error instanceof TypeError ? "网络不可用" : error.message;
      status("刷新失败：" + reason + (error.final ? "" : "，稍后自动重试"), true);
    } finally {
      loading = false;
      button.disabled = false;
    }
  }

  button.addEventListener("click", refresh);
  // Poll only while the page is visible; catch up at once when it is shown again.
  setInterval(function () { if (!document.hidden) refresh(); }, interval);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
