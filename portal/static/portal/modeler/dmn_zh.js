/* Chinese for the DMN editor: a dmn-js `translate` module (the same mechanism as bpmn-js's
 * customTranslate example: a service named "translate" replacing the built-in one, handed
 * to every dmn-js view through its `additionalModules`), and a short Chinese help line
 * on FEEL, the expression language of the table's cells. The keys are dmn-js 17's own
 * English strings; one it does not list here stays in English. modeler.js uses
 * window.DmnZh.options() and window.DmnZh.hint(). */
(function () {
  "use strict";

  var ZH = {
    // The table head and rules
    "Hit policy": "命中策略",
    "Hit policy:": "命中策略：",
    "When": "条件（When）",
    "Then": "结果（Then）",
    "And": "且",
    "Annotation": "备注",
    "Annotations": "备注",
    "Input": "输入",
    "Output": "输出",
    "Add input": "添加输入列",
    "Add output": "添加输出列",
    "Add rule": "添加规则",
    "Add rule above": "在上方添加规则",
    "Add rule below": "在下方添加规则",
    "Remove rule": "删除规则",
    "Copy rule": "复制规则",
    "Cut rule": "剪切规则",
    "Move rule": "移动规则",
    "Paste rule above": "粘贴到上方",
    "Paste rule below": "粘贴到下方",
    "Add input column left": "在左侧添加输入列",
    "Add input column right": "在右侧添加输入列",
    "Add output column left": "在左侧添加输出列",
    "Add output column right": "在右侧添加输出列",
    "Remove input column": "删除输入列",
    "Remove output column": "删除输出列",
    "Copy input column": "复制输入列",
    "Copy output column": "复制输出列",
    "Cut input column": "剪切输入列",
    "Cut output column": "剪切输出列",
    "Paste input column left": "粘贴到左侧",
    "Paste input column right": "粘贴到右侧",
    "Paste output column left": "粘贴到左侧",
    "Paste output column right": "粘贴到右侧",
    "Add cell description": "添加单元格说明",
    "Remove cell description": "删除单元格说明",
    "Decision name": "决策名称",
    "Decision name: ": "决策名称：",
    "View DRD": "查看决策需求图（DRD）",
    "Resize": "调整宽度",
    // Column editors
    "Edit input": "编辑输入列",
    "Edit output": "编辑输出列",
    "Input label": "输入列名称",
    "Input label: ": "输入列名称：",
    "Input expression": "输入表达式",
    "Input expression: ": "输入表达式：",
    "Input type": "输入类型",
    "Input values": "输入取值",
    "Output label": "输出列名称",
    "Output label: ": "输出列名称：",
    "Output name": "输出变量名",
    "Output name: ": "输出变量名：",
    "Output type": "输出类型",
    "Output values": "输出取值",
    "Type": "类型",
    "Expression": "表达式",
    "Expression language": "表达式语言",
    "Expression language:": "表达式语言：",
    "Expression language: {expressionLanguageLabel}": "表达式语言：{expressionLanguageLabel}",
    "Change cell expression language": "更改单元格的表达式语言",
    "Editing not supported for set expression language": "该表达式语言不支持在此编辑",
    "Enter expression": "输入表达式",
    "Predefined values": "预设取值",
    "Add predefined values": "添加预设取值",
    "Clear predefined values": "清除预设取值",
    "Add values": "添加取值",
    "Custom values": "自定义取值",
    "No values": "无取值",
    "Values": "取值",
    "Value": "值",
    "Set value": "设置值",
    "Strings must be in double quotes": "文字须加英文双引号",
    "e.g. { example } ": "例如 { example } ",
    "e.g. { sample }": "例如 { sample }",
    // Simple editors of a cell (number, string, boolean, dates)
    "Edit": "编辑",
    "Edit number": "编辑数字",
    "Edit string": "编辑文字",
    "Edit boolean": "编辑是/否",
    "Edit date": "编辑日期",
    "Edit time": "编辑时间",
    "Edit date and time": "编辑日期时间",
    "Edit duration": "编辑时长",
    "Edit start date": "编辑开始日期",
    "Edit end date": "编辑结束日期",
    "Edit start time": "编辑开始时间",
    "Edit end time": "编辑结束时间",
    "Edit start date and time": "编辑开始日期时间",
    "Edit end date and time": "编辑结束日期时间",
    "Test type": "比较方式",
    "Comparison": "比较",
    "Comparison operator": "比较运算符",
    "Range": "区间",
    "Range start operator": "区间起点运算符",
    "Range start value": "区间起点",
    "Range end operator": "区间终点运算符",
    "Range end value": "区间终点",
    "Start value": "起始值",
    "End value": "结束值",
    "Equals": "等于",
    "Less": "小于",
    "Less or equals": "小于等于",
    "Greater": "大于",
    "Greater or equals": "大于等于",
    "Include": "包含",
    "Exclude": "不包含",
    "Match one": "匹配其一",
    "Match none": "都不匹配",
    "Yes": "是",
    "No": "否",
    "Boolean value": "是/否",
    "String value": "文字",
    "Date": "日期",
    "Date value": "日期",
    "Time": "时间",
    "Time value": "时间",
    "Date and time": "日期时间",
    "Date and time value": "日期时间",
    "Duration value": "时长",
    "Exactly": "恰好",
    "Before": "早于",
    "After": "晚于",
    "Between": "介于",
    "Start date": "开始日期",
    "End date": "结束日期",
    "Start time": "开始时间",
    "End time": "结束时间",
    "Start date and time": "开始日期时间",
    "End date and time": "结束日期时间",
    "Set date": "设置日期",
    "Set time": "设置时间",
    "Set date and time": "设置日期时间",
    "Set duration": "设置时长",
    "Use today": "今天",
    "Use now": "现在",
    // Hit policies (label and the explanation shown as its tooltip)
    "Unique": "唯一（Unique）",
    "First": "首条（First）",
    "Priority": "优先级（Priority）",
    "Any": "任一（Any）",
    "Collect": "汇集（Collect）",
    "Collect (Sum)": "汇集求和（Collect Sum）",
    "Collect (Min)": "汇集取最小（Collect Min）",
    "Collect (Max)": "汇集取最大（Collect Max）",
    "Collect (Count)": "汇集计数（Collect Count）",
    "Rule order": "规则顺序（Rule order）",
    "Output order": "输出顺序（Output order）",
    "No overlap is possible and all rules are disjoint. Only a single rule can be matched":
      "规则互不重叠，只能命中一条规则",
    "Rules may overlap. The first matching rule will be chosen": "规则可重叠，取第一条命中的规则",
    "Rules may overlap. The one with the highest priority will be chosen":
      "规则可重叠，取优先级最高的一条",
    "Rules may overlap. Their output have to match": "规则可重叠，命中的各条结果必须相同",
    "Collects the values of all matching rules": "汇集所有命中规则的结果",
    "Collects the values of all matching rules and sums up to a single value":
      "汇集所有命中规则的结果并求和",
    "Collects the values of all matching rules and uses the lowest value":
      "汇集所有命中规则的结果并取最小值",
    "Collects the values of all matching rules and uses the highest value":
      "汇集所有命中规则的结果并取最大值",
    "Collects the values of all matching rules and counts the number of them":
      "统计命中规则的条数",
    "Collects the values of all matching rules in rule order": "按规则顺序汇集所有命中规则的结果",
    "Collects the values of all matching rules in decreasing output priority order":
      "按输出优先级从高到低汇集所有命中规则的结果",
    // Literal expressions and the decision requirements diagram (DRD)
    "Literal expression": "字面表达式",
    "Literal expression editor": "字面表达式编辑器",
    "Variable name": "变量名",
    "Variable name:": "变量名：",
    "Variable type": "变量类型",
    "Variable type:": "变量类型：",
    "Definition ID": "定义ID",
    "Definition name": "定义名称",
    "Element name": "元素名称",
    "Delete": "删除",
    "Change type": "更改类型",
    "Connect to other element": "连接到其他元素",
    "Activate hand tool": "抓手工具",
    "Activate lasso tool": "框选工具",
    "Create decision": "新建决策",
    "Create input data": "新建输入数据",
    "Create knowledge model": "新建业务知识模型",
    "Create knowledge source": "新建知识来源",
    "Append decision": "追加决策",
    "Append input data": "追加输入数据",
    "Append business knowledge model": "追加业务知识模型",
    "Append knowledge source": "追加知识来源",
    "Add text annotation": "添加文字注释"
  };

  function translate(template, replacements) {
    replacements = replacements || {};
    var text = Object.prototype.hasOwnProperty.call(ZH, template) ? ZH[template] : template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements[key] !== undefined ? replacements[key] : "{" + key + "}";
    });
  }

  // A short Chinese guide to FEEL (Friendly Enough Expression Language, DMN's cell syntax),
  // shown above each decision table.
  var HINT = [
    ["条件（When）单元格", "填写 FEEL 条件：比较如 ", "< 1000", "、", ">= 3000",
     "（也可写作 ", "? <= 3000", "，? 代表该列的值）；区间如 ", "[1000..3000]", "（方括号含端点，圆括号不含）；文字加英文双引号如 ",
     "\"illness\"", "，多个可选值用逗号分隔如 ", "\"illness\",\"disaster\"",
     "；", "-", " 表示任意值。"],
    ["结果（Then）单元格", "填写结果值：数字如 ", "2000", "，文字如 ", "\"county\"",
     "，是/否为 ", "true", " / ", "false", "。"]
  ];

  function hint() {
    var box = document.createElement("div");
    box.className = "feel-hint small";
    box.setAttribute("role", "note");
    HINT.forEach(function (parts) {
      var line = document.createElement("p");
      var label = document.createElement("strong");
      label.textContent = parts[0] + "：";
      line.appendChild(label);
      parts.slice(1).forEach(function (part, index) {
        // Odd positions are FEEL examples.
        var node = document.createElement(index % 2 ? "code" : "span");
        node.textContent = part;
        line.appendChild(node);
      });
      box.appendChild(line);
    });
    return box;
  }

  // dmn-js options giving every view the module. Per view: dmn-js 17's Manager passes a
  // view its own `additionalModules` only, not those of `common`.
  function options() {
    var views = ["drd", "decisionTable", "literalExpression", "boxedExpression"];
    var result = {};
    views.forEach(function (view) {
      result[view] = { additionalModules: [{ translate: ["value", translate] }] };
    });
    return result;
  }

  window.DmnZh = { translate: translate, options: options, hint: hint };
})();
