/* The supervisors' modeler: bpmn-js for the diagram, dmn-js for each decision table (their
 * prebuilt bundles define the globals BpmnJS and DmnJS). Saving, checking, dry runs and
 * deploying all go to the server, which owns every rule; this file only edits and shows. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("modeler-config").textContent);
  var csrf = document.getElementById("modeler-csrf").value;
  var statusEl = document.getElementById("modeler-status");
  var tables = [];  // {viewer, pane, xml}
  var bpmn = new BpmnJS({ container: "#pane-bpmn" });
  var markers = { path: [], problem: [] };
  var dirty = false;  // edited since the page opened or the draft was last saved

  function markDirty() { dirty = true; }
  bpmn.on("commandStack.changed", function (event) {
    if (event.trigger !== "clear") markDirty();  // importing clears the stack: not an edit
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function status(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle("is-error", !!isError);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // -- tabs ------------------------------------------------------------------------------

  function showTab(name) {
    document.querySelectorAll(".modeler-tab").forEach(function (tab) {
      tab.classList.toggle("active", tab.dataset.tab === name);
      tab.setAttribute("aria-selected", tab.dataset.tab === name ? "true" : "false");
    });
    document.querySelectorAll(".modeler-pane").forEach(function (pane) {
      pane.hidden = pane.id !== "pane-" + name;
    });
    if (name === "bpmn") bpmn.get("canvas").resized();
  }

  document.querySelectorAll(".modeler-tab").forEach(function (tab) {
    tab.addEventListener("click", function () { showTab(tab.dataset.tab); });
  });

  // -- loading -----------------------------------------------------------------------------

  async function openTable(index, xml) {
    var pane = document.getElementById("pane-dmn-" + index);
    // Chinese labels and a FEEL help line (dmn_zh.js).
    var viewer = new DmnJS(Object.assign({ container: pane }, window.DmnZh.options()));
    pane.insertBefore(window.DmnZh.hint(), pane.firstChild);
    tables.push({ viewer: viewer, pane: pane, xml: xml });
    await viewer.importXML(xml);
    // Open the decision table itself (the shipped tables have no DRD drawing).
    var view = viewer.getViews().find(function (v) { return v.type === "decisionTable"; });
    if (view) await viewer.open(view);
    viewer.on("views.changed", function () {
      var active = viewer.getActiveViewer();
      if (active && !active.__tracked) { active.on("elements.changed", markDirty); active.__tracked = true; }
    });
    var active = viewer.getActiveViewer();
    if (active) { active.on("elements.changed", markDirty); active.__tracked = true; }
  }

  async function load() {
    try {
      await importDiagram(config.bpmn);
      fitReadable();
      for (var i = 0; i < config.dmns.length; i++) await openTable(i, config.dmns[i].xml);
      document.body.dataset.modelerReady = "true";
    } catch (err) {
      status("无法打开流程图：" + err.message, true);
    }
  }

  // Fit the diagram, but never so small that names cannot be read: wide diagrams open at
  // a readable zoom at their start (left), with room for the palette.
  function fitReadable() {
    var canvas = bpmn.get("canvas");
    canvas.zoom("fit-viewport");
    var box = canvas.viewbox();
    var scale = Math.max(Math.min(box.scale, 1), 0.8);
    var outer = box.outer;
    canvas.viewbox({ x: box.inner.x - 90 / scale, y: box.inner.y - 20 / scale,
                     width: outer.width / scale, height: outer.height / scale });
  }

  // bpmn-js drops what it cannot read (e.g. a multi-instance loopDataInputRef naming a task
  // variable rather than a declared data input, content it cannot place). The diagram stays
  // editable: the page keeps what it gave bpmn-js (source) and what bpmn-js wrote right after
  // reading it (baseline), and sends both with every export; the server puts back what the
  // baseline lacks (portal/modeler/roundtrip.py). The warnings are listed in Chinese.
  var roundtrip = { source: "", baseline: "" };

  async function importDiagram(xml) {
    var imported = await bpmn.importXML(xml);
    roundtrip.source = xml;
    roundtrip.baseline = (await bpmn.saveXML({ format: true })).xml;
    showImportWarnings(imported.warnings || []);
    return imported;
  }

  // bpmn-js / moddle warning texts (English) → what they mean, in Chinese.
  var WARNINGS = [
    [/^unresolved reference <([^>]*)>/, "引用了不存在的元素 $1（如多实例的变量引用）"],
    [/^unparsable content (<[^>]*>)? ?detected/, "无法识别的内容 $1"],
    [/^unknown attribute <([^>]*)>/, "无法识别的属性 $1"],
    [/^unrecognized flowElement (<[^>]*>)/, "此处不能放置的流程元素 $1"],
    [/^unrecognized element <([^>]*)>/, "无法识别的元素 $1"],
    [/^multiple DI elements defined for (<[^>]*>)/, "元素 $1 有多个图形"],
    [/^no bpmnElement referenced in (<[^>]*>)/, "图形 $1 没有对应的流程元素"],
    [/^correcting missing bpmnElement on (<[^>]*>) to (<[^>]*>)/, "图形 $1 缺少对应元素，已改为 $2"],
    [/^element (<[^>]*>) referenced by (<[^>]*>)#\w+ not yet drawn/, "元素 $1 在 $2 之前尚未绘制"],
    [/^unknown di (<[^>]*>) for element (<[^>]*>)/, "元素 $2 的图形 $1 无法识别"],
    [/^duplicate ID <([^>]*)>/, "重复的元素 ID：$1"],
    [/^failed to import (<[^>]*>)/, "无法显示元素 $1"],
    [/^unsupported document encoding/, "文件编码不是 UTF-8，已按 UTF-8 读取"],
  ];

  function warningText(message) {
    var first = String(message || "").split("\n")[0];
    for (var i = 0; i < WARNINGS.length; i++) {
      if (WARNINGS[i][0].test(first)) return first.replace(WARNINGS[i][0], WARNINGS[i][1]).split("\n")[0];
    }
    return "流程图编辑器无法完整读取的内容";
  }

  function showImportWarnings(warnings) {
    var panel = document.getElementById("panel-import-warnings");
    var box = document.getElementById("import-warnings");
    box.innerHTML = "";
    panel.hidden = !warnings.length;
    if (!warnings.length) return;
    box.appendChild(el("p", { "class": "alert alert-warning", id: "diagram-warnings" },
      "流程图编辑器未能识别本流程图中的 " + warnings.length + " 处内容（见下）。" +
      "流程图仍可照常编辑；保存、校验和部署时，这些内容会原样保留在流程图中。"));
    var list = el("ul", { "class": "modeler-warnings" });
    warnings.forEach(function (w) {
      var item = el("li", {}, warningText(w.message));
      var english = String(w.message || "").split("\n")[0];
      if (english) item.title = english;  // the library's text, for developers
      list.appendChild(item);
    });
    box.appendChild(list);
    var details = el("details", {});
    details.appendChild(el("summary", {}, "原始信息（供开发人员）"));
    warnings.forEach(function (w) {
      details.appendChild(el("div", { "class": "small muted" }, String(w.message).split("\n")[0]));
    });
    box.appendChild(details);
  }

  async function collect() {
    var bpmnXml = (await bpmn.saveXML({ format: true })).xml;
    var dmnXmls = [];
    for (var i = 0; i < tables.length; i++) {
      var result = await tables[i].viewer.saveXML({ format: true });
      tables[i].xml = result.xml;
      dmnXmls.push(result.xml);
    }
    return { bpmn_xml: bpmnXml, dmn_xmls: dmnXmls,
             bpmn_source: roundtrip.source, bpmn_baseline: roundtrip.baseline };
  }

  async function post(url, body) {
    var response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    var data = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(data.error || ("服务器错误 " + response.status));
    return data;
  }

  // -- problems ----------------------------------------------------------------------------

  function clearMarkers(kind, cls) {
    var canvas = bpmn.get("canvas");
    markers[kind].forEach(function (id) { canvas.removeMarker(id, cls); });
    markers[kind] = [];
  }

  function locate(elementId) {
    var registry = bpmn.get("elementRegistry");
    var element = registry.get(elementId);
    if (element) {
      showTab("bpmn");
      bpmn.get("selection").select(element);
      var canvas = bpmn.get("canvas");
      if (canvas.scrollToElement) canvas.scrollToElement(element);
      return;
    }
    for (var i = 0; i < tables.length; i++) {
      if (tables[i].xml.indexOf('id="' + elementId + '"') !== -1) {
        showTab("dmn-" + i);
        document.querySelectorAll("tr.row-highlight").forEach(function (r) {
          r.classList.remove("row-highlight");
        });
        var cell = tables[i].pane.querySelector('[data-row-id="' + elementId + '"]');
        if (cell && cell.closest("tr")) {
          cell.closest("tr").classList.add("row-highlight");
          cell.scrollIntoView({ block: "center" });
        }
        return;
      }
    }
  }

  function showProblems(problems, emptyText) {
    var box = document.getElementById("problems");
    box.innerHTML = "";
    box.classList.remove("muted");
    clearMarkers("problem", "problem-marker");
    if (!problems.length) {
      box.appendChild(el("p", { "class": "muted" }, emptyText));
      return;
    }
    var list = el("ul", { "class": "modeler-problems" });
    var registry = bpmn.get("elementRegistry");
    problems.forEach(function (p) {
      var item = el("li", { "class": "problem problem-" + p.severity });
      item.appendChild(el("span", { "class": "badge " + (p.severity === "error" ? "badge-danger" : "badge-info") },
                          p.severity === "error" ? "错误" : "提示"));
      item.appendChild(document.createTextNode(" " + p.message));
      if (p.detail) {  // the library's own text, folded away for the developer
        var detail = el("details", { "class": "problem-detail small muted" });
        detail.appendChild(el("summary", {}, "技术细节（供开发人员）"));
        detail.appendChild(el("code", {}, p.detail));
        item.appendChild(detail);
      }
      if (p.element_id) {
        item.dataset.element = p.element_id;
        item.title = "点击定位到该元素";
        item.addEventListener("click", function () { locate(p.element_id); });
        if (p.severity === "error" && registry.get(p.element_id)) {
          bpmn.get("canvas").addMarker(p.element_id, "problem-marker");
          markers.problem.push(p.element_id);
        }
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  // -- properties of the selected element -----------------------------------------------------

  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  // User-task properties the engine reads (see the engine's validation for their meaning).
  var TASK_PROPERTIES = [
    ["form", "表单", "select"],
    ["candidate_role", "候选角色表达式（不填则按泳道）", "text"],
    ["due_working_days", "办理时限（工作日）", "text"],
  ];
  var FORMS = [["", "专用表单（由开发人员提供）"], ["generic:decision", "通用审批表单（同意/不同意 + 意见）"],
               ["generic:opinion", "通用意见表单（意见）"],
               ["generic:confirm", "通用确认表单（确认已办理 + 备注）"]];

  function spiffHolder(bo) {
    var values = bo.extensionElements ? (bo.extensionElements.values || []) : [];
    return values.find(function (v) { return v.$type === "spiffworkflow:properties"; });
  }

  function spiffProperties(bo) {
    var result = {};
    var holder = spiffHolder(bo);
    ((holder && holder.$children) || []).forEach(function (child) {
      if (child.$type === "spiffworkflow:property") result[child.name] = child.value || "";
    });
    return result;
  }

  function setSpiffProperties(element, changes) {
    var bo = element.businessObject;
    var moddle = bpmn.get("moddle");
    var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
    var values = (ext.values || []).slice();
    var holder = spiffHolder(bo);
    if (!holder) {
      holder = moddle.createAny("spiffworkflow:properties", SPIFF, { $children: [] });
      values.push(holder);
    }
    var children = (holder.$children || []).filter(function (child) {
      return !(child.$type === "spiffworkflow:property" && child.name in changes);
    });
    Object.keys(changes).forEach(function (name) {
      if (changes[name]) {
        children.push(moddle.createAny("spiffworkflow:property", SPIFF,
                                       { name: name, value: changes[name] }));
      }
    });
    holder.$children = children;
    if (!children.length) values = values.filter(function (v) { return v !== holder; });
    ext.values = values;
    bpmn.get("modeling").updateProperties(element, { extensionElements: values.length ? ext : undefined });
  }

  // Call activities: the processes they may call are this file's own and those of the
  // county's process library (config.callable, resolved again by the server on deploy).
  function ownProcesses() {
    var definitions = bpmn.getDefinitions();
    return ((definitions && definitions.rootElements) || []).filter(function (r) {
      return r.$type === "bpmn:Process";
    });
  }

  function calledElementInput(box, bo) {
    box.appendChild(el("label", { "for": "prop-calledElement" }, "被调用的流程（流程 ID）"));
    var input = el("input", { type: "text", id: "prop-calledElement", list: "callable-processes" });
    input.value = bo.calledElement || "";
    var list = el("datalist", { id: "callable-processes" });
    ownProcesses().forEach(function (p) {
      list.appendChild(el("option", { value: p.id }, (p.name || p.id) + "（本流程图）"));
    });
    (config.callable || []).forEach(function (p) {
      list.appendChild(el("option", { value: p.process_id },
                          (p.name || p.definition_name) + "（流程库：" + p.definition_name + " 第 " + p.version + " 版）"));
    });
    box.appendChild(input);
    box.appendChild(list);
    var note = el("div", { id: "called-process", "class": "small" });
    var id = bo.calledElement || "";
    var own = ownProcesses().some(function (p) { return p.id === id; });
    var target = (config.callable || []).find(function (p) { return p.process_id === id; });
    if (!id) {
      note.textContent = "请填写被调用流程的 ID（可从下拉列表选择）";
    } else if (own) {
      note.textContent = "调用本流程图中的流程 " + id;
    } else if (target) {
      note.appendChild(document.createTextNode("调用流程库中的“" + (target.name || target.definition_name) +
        "”（" + target.definition_name + " 第 " + target.version + " 版；部署本流程时记录此版本）"));
      if (target.url) {
        note.appendChild(document.createTextNode(" · "));
        note.appendChild(el("a", { href: target.url, target: "_blank", rel: "noopener" }, "查看被调用的流程图"));
      }
    } else {
      note.className = "small error";
      note.textContent = "找不到流程 " + id + "：它不在本流程图中，也不在本县已部署的流程库中，部署时将被拒绝";
    }
    box.appendChild(note);
    return input;
  }

  function showProperties(element) {
    var box = document.getElementById("properties");
    box.innerHTML = "";
    if (!element || element.type === "label") {
      box.textContent = "在流程图中点击一个元素，可修改名称、连线条件和任务的表单、办理时限。";
      return;
    }
    var bo = element.businessObject;
    box.appendChild(el("div", {}, bo.$type.replace("bpmn:", "") + "（" + bo.id + "）"));
    var nameLabel = el("label", { "for": "prop-name" }, bo.$type === "bpmn:Lane" ? "泳道名称（角色代码）" : "名称");
    var name = el("input", { type: "text", id: "prop-name" });
    name.value = bo.name || "";
    box.appendChild(nameLabel);
    box.appendChild(name);
    var condition = null;
    if (bo.$type === "bpmn:SequenceFlow") {
      box.appendChild(el("label", { "for": "prop-condition" }, "条件（Python 表达式，如 amount <= 3000）"));
      condition = el("textarea", { id: "prop-condition", rows: "2" });
      condition.value = bo.conditionExpression ? (bo.conditionExpression.body || "") : "";
      box.appendChild(condition);
    }
    var called = null;
    if (bo.$type === "bpmn:CallActivity") called = calledElementInput(box, bo);
    var taskInputs = {};
    if (bo.$type === "bpmn:UserTask" || bo.$type === "bpmn:ManualTask" || bo.$type === "bpmn:Task") {
      var current = spiffProperties(bo);
      TASK_PROPERTIES.forEach(function (spec) {
        var id = "prop-" + spec[0];
        box.appendChild(el("label", { "for": id }, spec[1]));
        var input;
        if (spec[2] === "select") {
          input = el("select", { id: id });
          FORMS.forEach(function (option) { input.appendChild(el("option", { value: option[0] }, option[1])); });
          if (current[spec[0]] && !FORMS.some(function (o) { return o[0] === current[spec[0]]; })) {
            input.appendChild(el("option", { value: current[spec[0]] }, current[spec[0]]));
          }
        } else {
          input = el("input", { type: "text", id: id });
        }
        input.value = current[spec[0]] || "";
        taskInputs[spec[0]] = input;
        box.appendChild(input);
      });
    }
    var apply = el("button", { type: "button", "class": "btn btn-small" }, "应用");
    apply.addEventListener("click", function () {
      var modeling = bpmn.get("modeling");
      var changes = { name: name.value };
      if (condition) {
        var text = condition.value.trim();
        changes.conditionExpression = text ? bpmn.get("moddle").create("bpmn:FormalExpression", { body: text }) : undefined;
      }
      if (called) changes.calledElement = called.value.trim() || undefined;
      modeling.updateProperties(element, changes);
      if (called) showProperties(element);  // refresh the link to the called diagram
      if (Object.keys(taskInputs).length) {
        var props = {};
        Object.keys(taskInputs).forEach(function (k) { props[k] = taskInputs[k].value.trim(); });
        setSpiffProperties(element, props);
      }
      status("已修改（尚未保存）");
    });
    box.appendChild(el("div", {}, "")).appendChild(apply);
  }

  bpmn.on("selection.changed", function (event) {
    showProperties(event.newSelection.length === 1 ? event.newSelection[0] : null);
  });

  // -- actions ------------------------------------------------------------------------------

  async function save() {
    status("正在保存…");
    var result = await post(config.urls.save, await collect());
    dirty = false;
    var errors = result.problems.filter(function (p) { return p.severity === "error"; });
    if (result.problems.length) {
      showProblems(result.problems, "");
      status("草稿已保存；决策表有 " + errors.length + " 处无法转换，请修改", errors.length > 0);
    } else {
      status("草稿已保存");
    }
    document.getElementById("modeler-source").textContent = "草稿";
    return result;
  }

  async function validate() {
    status("正在校验…");
    var result = await post(config.urls.validate, await collect());
    showProblems(result.problems, "校验通过，没有发现问题。");
    status(result.errors ? "校验发现 " + result.errors + " 个错误" : "校验通过", result.errors > 0);
  }

  function describeData(data) {
    var keys = Object.keys(data || {});
    if (!keys.length) return "";
    return "（" + keys.map(function (k) { return k + " = " + JSON.stringify(data[k]); }).join("，") + "）";
  }

  async function dryRun(event) {
    event.preventDefault();
    var box = document.getElementById("dryrun-result");
    box.innerHTML = "";
    status("正在试运行…");
    var body = await collect();
    body.village = document.getElementById("dryrun-village").value;
    body.data = document.getElementById("dryrun-data").value;
    body.decisions = document.getElementById("dryrun-decisions").value;
    var result;
    try {
      result = await post(config.urls.dryrun, body);
    } catch (err) {
      status(err.message, true);
      box.appendChild(el("p", { "class": "error" }, err.message));
      return;
    }
    clearMarkers("path", "dryrun-path");
    var list = el("ol", { "class": "dryrun-steps" });
    var registry = bpmn.get("elementRegistry");
    result.steps.forEach(function (step) {
      var text = step.type_name + "“" + step.name + "”";
      if (step.receiver) {
        text += " → " + step.receiver + (step.users.length ? "（" + step.users.join("、") + "）" : "（暂无人员）");
      }
      var item = el("li", { "data-element": step.element_id }, text + describeData(step.data));
      list.appendChild(item);
      if (registry.get(step.element_id)) {
        bpmn.get("canvas").addMarker(step.element_id, "dryrun-path");
        markers.path.push(step.element_id);
      }
    });
    box.appendChild(el("h3", {}, "经过的步骤"));
    box.appendChild(list);
    if (result.finished) {
      box.appendChild(el("p", { "class": "dryrun-end" }, "流程已结束。"));
    } else if (result.stop_reason) {
      var stop = el("p", { "class": "dryrun-stop" }, "停止：" + result.stop_reason);
      if (result.stop_detail) {  // the library's own text, folded away for the developer
        var stopDetail = el("details", { "class": "problem-detail small muted" });
        stopDetail.appendChild(el("summary", {}, "技术细节（供开发人员）"));
        stopDetail.appendChild(el("code", {}, result.stop_detail));
        stop.appendChild(stopDetail);
      }
      box.appendChild(stop);
    }
    if (result.problems.length) showProblems(result.problems, "");
    status(result.finished ? "试运行完成" : "试运行停止");
  }

  async function deploy() {
    await save();
    window.location.href = config.urls.deploy;
  }

  // -- importing a file made elsewhere (bpmn.io, Camunda Modeler) -------------------------------

  function addTableTab(name) {
    var index = tables.length;
    var tab = el("button", { type: "button", role: "tab", "class": "modeler-tab", "data-tab": "dmn-" + index },
                 "决策表：" + name);
    tab.addEventListener("click", function () { showTab(tab.dataset.tab); });
    document.querySelector(".modeler-tabs").appendChild(tab);
    var pane = el("div", { id: "pane-dmn-" + index, "class": "modeler-pane modeler-table" });
    pane.hidden = true;
    document.querySelector(".modeler-main").appendChild(pane);
    return index;
  }

  async function importFile(event) {
    var file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    var text = await file.text();
    var doc = new DOMParser().parseFromString(text, "application/xml");
    var root = doc.documentElement;
    if (!root || root.nodeName === "parsererror" || doc.getElementsByTagName("parsererror").length) {
      throw new Error("文件不是合法的 XML");
    }
    if (root.localName === "definitions" && /BPMN\/20100524\/MODEL/.test(root.namespaceURI)) {
      var laidOut = await post(config.urls.layout, { bpmn_xml: text, dmn_xmls: [] });
      await importDiagram(laidOut.bpmn_xml);
      config.bpmn = laidOut.bpmn_xml;
      showTab("bpmn");
      fitReadable();
      markDirty();
      status("已导入流程图“" + file.name + "”（尚未保存）；请校验后保存草稿");
      if (laidOut.camunda) status("已导入流程图“" + file.name + "”（尚未保存），它使用了 Camunda 扩展（候选组、JUEL 条件等），本系统不会执行它们：请用工具栏的“导入 Camunda 模型”翻译");
      return;
    }
    if (root.localName === "definitions" && /DMN/.test(root.namespaceURI || "")) {
      var decision = root.getElementsByTagNameNS(root.namespaceURI, "decision")[0];
      var decisionId = decision ? decision.getAttribute("id") : "";
      var index = tables.findIndex(function (t) {
        return decisionId && t.xml.indexOf('id="' + decisionId + '"') !== -1;
      });
      if (index === -1) {
        index = addTableTab(decision ? (decision.getAttribute("name") || decisionId) : file.name);
        await openTable(index, text);
      } else {
        tables[index].xml = text;
        await tables[index].viewer.importXML(text);
        var view = tables[index].viewer.getViews().find(function (v) { return v.type === "decisionTable"; });
        if (view) await tables[index].viewer.open(view);
      }
      showTab("dmn-" + index);
      markDirty();
      status("已导入决策表“" + file.name + "”（尚未保存）；请校验后保存草稿");
      return;
    }
    throw new Error("只能导入 BPMN 2.0 流程图或 DMN 决策表");
  }

  document.getElementById("modeler-import").addEventListener("change", function (event) {
    importFile(event).catch(function (err) { status("导入失败：" + err.message, true); });
  });

  function guard(action) {
    return function (event) {
      Promise.resolve(action(event)).catch(function (err) { status(err.message, true); });
    };
  }

  document.querySelector('[data-action="save"]').addEventListener("click", guard(save));
  document.querySelector('[data-action="validate"]').addEventListener("click", guard(validate));
  document.querySelector('[data-action="deploy"]').addEventListener("click", guard(deploy));
  document.querySelector('[data-action="dryrun"]').addEventListener("click", function () {
    var panel = document.getElementById("panel-dryrun");
    panel.hidden = !panel.hidden;
  });
  document.getElementById("dryrun-form").addEventListener("submit", guard(dryRun));

  load();
})();
