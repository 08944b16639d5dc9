/* 督办看板 charts (Apache ECharts, served from frontend/node_modules/echarts/dist): open and
 * overdue cases per township, average handling time per step, and the cases filed and decided
 * per month over the last year. Drawn from the same figures as the tables (portal/dashboard.py);
 * dashboard.js calls window.dashboardCharts.render(figures) after each refresh. The tables stay
 * the accessible, no-JavaScript view of the same numbers. */
(function () {
  "use strict";

  if (!window.echarts) return;  // the tables still show everything
  var charts = {};
  var TEXT = { fontFamily: "inherit" };

  function chart(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    if (!charts[id]) charts[id] = window.echarts.init(node, null, { renderer: "canvas" });
    return charts[id];
  }

  function workload(figures) {
    var c = chart("chart-townships");
    if (!c) return;
    var names = figures.townships.map(function (t) { return t.name; });
    c.setOption({
      textStyle: TEXT,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: ["在办件", "超时件"], top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1, name: "件" },
      series: [
        { name: "在办件", type: "bar", data: figures.townships.map(function (t) { return t.open_cases; }),
          itemStyle: { color: "#2f6fb3" } },
        { name: "超时件", type: "bar", data: figures.townships.map(function (t) { return t.overdue_tasks; }),
          itemStyle: { color: "#c0392b" } }
      ]
    }, true);
  }

  function steps(figures) {
    var c = chart("chart-steps");
    if (!c) return;
    // Slowest at the top: a horizontal bar chart draws its first category at the bottom.
    var rows = figures.steps.slice().sort(function (a, b) { return a.average_seconds - b.average_seconds; });
    c.setOption({
      textStyle: TEXT,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var step = rows[p.dataIndex];
          return step.procedure_name + " · " + step.title + "<br>平均 " + step.average_label +
            "（已办理 " + step.completed + " 件）";
        }
      },
      grid: { left: 16, right: 48, top: 16, bottom: 32, containLabel: true },
      xAxis: { type: "value", name: "小时" },
      yAxis: { type: "category", data: rows.map(function (s) { return s.procedure_name + " · " + s.title; }),
               axisLabel: { width: 220, overflow: "truncate" } },
      series: [{ type: "bar", itemStyle: { color: "#8e6c2f" },
                 data: rows.map(function (s) { return Math.round(s.average_seconds / 36) / 100; }) }]
    }, true);
    var node = document.getElementById("chart-steps");
    var height = Math.max(220, rows.length * 28 + 60) + "px";
    if (node.style.height !== height) { node.style.height = height; c.resize(); }
  }

  function trend(figures) {
    var c = chart("chart-trend");
    if (!c) return;
    var months = figures.trend || [];
    c.setOption({
      textStyle: TEXT,
      tooltip: { trigger: "axis" },
      legend: { data: ["受理", "办结"], top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 32, containLabel: true },
      xAxis: { type: "category", data: months.map(function (m) { return m.month; }) },
      yAxis: { type: "value", minInterval: 1, name: "件" },
      series: [
        { name: "受理", type: "line", smooth: false, data: months.map(function (m) { return m.filed; }),
          itemStyle: { color: "#2f6fb3" } },
        { name: "办结", type: "line", smooth: false, data: months.map(function (m) { return m.decided; }),
          itemStyle: { color: "#2e8b57" } }
      ]
    }, true);
  }

  function render(figures) {
    workload(figures);
    steps(figures);
    trend(figures);
  }

  window.dashboardCharts = { render: render };
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
  var initial = document.getElementById("dashboard-figures");
  if (initial) render(JSON.parse(initial.textContent));
})();
