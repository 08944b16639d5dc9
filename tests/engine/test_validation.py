"""Checking drafts from the browser modeler before they may be deployed."""
from pathlib import Path

import pytest
from django.conf import settings

from engine.validation import Problem, expression_reasons, validate_definition

DATA = Path(__file__).resolve().parent.parent / "data" / "modeler"
ROLES = {"applicant", "village_staff", "township_staff", "township_leader", "county_staff",
         "county_leader", "department:公安"}
DOC_TYPES = {"relief_decision", "relief_refusal", "relief_urgent_confirmation",
             "relief_urgent_adjustment", "relief_urgent_recovery", "relief_approval_form"}


def diagram(body: str, *, lanes: dict[str, list[str]] | None = None, head: str = "") -> str:
    """A process 'p': start → (body, which must lead from 'start' to 'end') → end."""
    lane_xml = ""
    if lanes:
        lane_xml = '<bpmn:laneSet id="ls">' + "".join(
            f'<bpmn:lane id="lane_{i}" name="{name}">' +
            "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs) +
            "</bpmn:lane>" for i, (name, refs) in enumerate(lanes.items())) + "</bpmn:laneSet>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://minzheng.example/bpmn">
  {head}
  <bpmn:process id="p" name="测试" isExecutable="true">
    {lane_xml}
    <bpmn:startEvent id="start" name="开始"/>
    {body}
    <bpmn:endEvent id="end" name="结束"/>
  </bpmn:process>
</bpmn:definitions>"""


def flow(source: str, target: str, condition: str | None = None, flow_id: str = "") -> str:
    flow_id = flow_id or f"f_{source}_{target}"
    inner = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" \
        if condition else ""
    return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
            f"{inner}</bpmn:sequenceFlow>")


def user_task(task_id: str, name: str, **properties: str) -> str:
    props = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>'
                    for k, v in properties.items())
    ext = f"<bpmn:extensionElements><spiffworkflow:properties>{props}" \
          f"</spiffworkflow:properties></bpmn:extensionElements>" if props else ""
    return f'<bpmn:userTask id="{task_id}" name="{name}">{ext}</bpmn:userTask>'


def one_task(**properties) -> str:
    return diagram(user_task("review", "审核", **properties) + flow("start", "review") +
                   flow("review", "end"), lanes={"township_staff": ["review"]})


def check(bpmn: str, dmns=(), form_exists=lambda task_id: True, **kwargs) -> list[Problem]:
    return validate_definition(bpmn_xml=bpmn, dmn_xmls=list(dmns), known_roles=ROLES,
                               form_exists=form_exists, known_doc_types=DOC_TYPES,
                               known_actions=set(), **kwargs)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# ---------------------------------------------------------------------------------------------
# Good drafts


def test_every_shipped_procedure_has_no_error():
    from workflows.registry import procedure_list

    for procedure in procedure_list():
        bpmn = (settings.BPMN_DIR / procedure.bpmn).read_text(encoding="utf-8")
        dmns = [(settings.BPMN_DIR / n).read_text(encoding="utf-8") for n in procedure.dmn]
        problems = validate_definition(
            bpmn_xml=bpmn, dmn_xmls=dmns, known_roles=ROLES | {
                "org_supervisor", "assessor", "provider", "department:民政",
                "department:殡仪馆"},
            form_exists=lambda task_id, p=procedure: task_id in p.task_forms
            or p.default_task_form is not None)
        assert errors(problems) == [], procedure.key


def test_shipped_temporary_relief_has_no_problem():
    from workflows.registry import procedure_get

    procedure = procedure_get("temporary_relief")
    bpmn = (settings.BPMN_DIR / procedure.bpmn).read_text(encoding="utf-8")
    dmns = [(settings.BPMN_DIR / name).read_text(encoding="utf-8") for name in procedure.dmn]
    problems = check(bpmn, dmns, form_exists=lambda task_id: task_id in procedure.task_forms)
    assert problems == []


def test_bpmnjs_draft_with_generic_forms_passes_without_product_forms():
    bpmn = (DATA / "bpmnjs_generic.bpmn").read_text(encoding="utf-8")
    assert check(bpmn, form_exists=lambda task_id: False) == []


def test_dmnjs_table_passes_once_translated():
    relief = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    draft = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    assert check(relief, [draft]) == []


# ---------------------------------------------------------------------------------------------
# Lanes, roles, forms


def test_task_outside_any_lane_is_reported_by_name():
    bpmn = diagram(user_task("review", "乡镇审核") + flow("start", "review") +
                   flow("review", "end"))
    [problem] = check(bpmn)
    assert problem.code == "task_without_lane"
    assert (problem.element_id, problem.element_name) == ("review", "乡镇审核")
    assert problem.message.startswith("用户任务“乡镇审核”（review）不在任何泳道中")


def test_unknown_lane_role_and_candidate_role():
    bpmn = diagram(user_task("review", "审核") + user_task("dept", "部门意见",
                                                           candidate_role="'department:外星'") +
                   flow("start", "review") + flow("review", "dept") + flow("dept", "end"),
                   lanes={"township_boss": ["review", "dept"]})
    problems = check(bpmn)
    assert ("unknown_role", "review") in [(p.code, p.element_id) for p in errors(problems)]
    assert any("candidate_role“department:外星”不是已知角色" in p.message for p in problems)


def test_candidate_role_expression_replaces_the_lane():
    bpmn = diagram(user_task("dept", "部门意见", candidate_role="'department:' + department") +
                   flow("start", "dept") + flow("dept", "end"))
    assert check(bpmn) == []


def test_task_without_a_renderable_form():
    [problem] = check(one_task(), form_exists=lambda task_id: False)
    assert problem.code == "missing_form"
    assert "generic:decision" in problem.message and "（review）" in problem.message


def test_generic_forms_and_unknown_generic_form():
    assert check(one_task(form="generic:decision"), form_exists=lambda task_id: False) == []
    assert check(one_task(form="generic:opinion"), form_exists=lambda task_id: False) == []
    [problem] = check(one_task(form="generic:signature"))
    assert problem.code == "unknown_form" and "generic:signature" in problem.message


# ---------------------------------------------------------------------------------------------
# Gateways


def _gateway(default: str | None, conditions: dict[str, str | None]) -> str:
    default_attr = f' default="{default}"' if default else ""
    body = f'<bpmn:exclusiveGateway id="gw" name="审批层级"{default_attr}/>' + \
        flow("start", "gw")
    for flow_id, condition in conditions.items():
        body += flow("gw", "end", condition, flow_id=flow_id)
    return diagram(body)


def test_gateway_flow_without_condition_or_default():
    problems = check(_gateway(None, {"f_town": 'level == "township"', "f_county": None}))
    assert [(p.code, p.element_id) for p in errors(problems)] == [("gateway_condition",
                                                                    "f_county")]
    assert "排他网关“审批层级”（gw）的出线连线（f_county）既没有条件也不是默认路径" in \
        errors(problems)[0].message
    assert "gateway_no_default" in codes(problems)


def test_gateway_with_default_is_fine_and_bad_default_is_reported():
    assert check(_gateway("f_county", {"f_town": 'level == "township"', "f_county": None})) == []
    problems = check(_gateway("f_nowhere", {"f_town": "level == 1", "f_county": "level == 2"}))
    assert "gateway_default" in codes(errors(problems))


# ---------------------------------------------------------------------------------------------
# Timers


def _timer(kind: str, text: str) -> str:
    return diagram(f'<bpmn:intermediateCatchEvent id="wait" name="公示"><bpmn:timerEventDefinition>'
                   f"<bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition>"
                   f"</bpmn:intermediateCatchEvent>" + flow("start", "wait") +
                   flow("wait", "end"))


@pytest.mark.parametrize(("kind", "text"), [
    ("timeDuration", '"P7D"'), ("timeDuration", '"PT72H"'), ("timeDuration", '"P1W"'),
    ("timeDate", '"2026-12-31T09:00:00"'), ("timeDate", '"2026-12-31"'),
    ("timeCycle", '"R3/PT24H"'),
])
def test_valid_timers(kind, text):
    assert check(_timer(kind, text)) == []


@pytest.mark.parametrize(("kind", "text", "code", "fragment"), [
    ("timeDuration", "P7D", "timer_unquoted", '需要加英文双引号："P7D"'),
    ("timeDuration", '"P7X"', "timer_invalid", "不是合法的 ISO 8601 时长"),
    ("timeDuration", '"7 days"', "timer_invalid", "不是合法的 ISO 8601 时长"),
    ("timeDuration", "7", "timer_invalid", "应为带引号的 ISO 8601 文字"),
    ("timeDate", '"2026-13-01"', "timer_invalid", "不是合法的 ISO 8601 日期"),
    ("timeDate", "2026-12-01", "timer_unquoted", "需要加英文双引号"),
    ("timeCycle", '"every day"', "timer_invalid", "不是合法的 ISO 8601 周期"),
    ("timeDuration", "", "timer_empty", "为空"),
])
def test_invalid_timers(kind, text, code, fragment):
    [problem] = check(_timer(kind, text))
    assert problem.code == code and problem.severity == "error"
    assert fragment in problem.message
    assert problem.message.startswith("中间捕获事件“公示”（wait）")


def test_timer_from_a_variable_is_a_warning():
    [problem] = check(_timer("timeDate", "report_deadline"))
    assert (problem.code, problem.severity) == ("timer_expression", "warning")
    assert "变量 report_deadline" in problem.message


# ---------------------------------------------------------------------------------------------
# The sandbox: every expression a supervisor can type is checked before deploy

ATTACKS = [
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "().__class__.__base__.__subclasses__()",
    "[c for c in ().__class__.__mro__[1].__subclasses__()]",
    "getattr(amount, '__cla' + 'ss__')",
    "getattr(amount, 'real')",
    "(lambda: amount)()",
    "(lambda f: f(f))(lambda f: f(f))",
    "'{0.__class__}'.format(amount)",
    "'{x}'.format_map(data)",
    "globals()['__builtins__']",
    "vars()",
    "eval('1')",
    "type(amount)",
    "amount.__dict__",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_in_a_gateway_condition_are_refused(attack):
    bpmn = _gateway("f_b", {"f_a": attack.replace("<", "&lt;"), "f_b": None})
    [problem] = errors(check(bpmn))
    assert problem.code == "unsafe_expression"
    assert problem.element_id == "f_a"
    assert problem.message.startswith("连线（f_a）的条件")
    assert "不能使用" in problem.message


SCRIPT_ATTACKS = [
    "import os\nos.system('id')",
    "from os import system",
    "f = open('/etc/passwd')",
    "x = ().__class__.__base__.__subclasses__()",
    "def f():\n    return 1",
    "class A:\n    pass",
    "while True:\n    pass",
    "with open('/etc/passwd') as f:\n    data = f.read()",
    "g = getattr(amount, 'real')",
    "global amount",
    "l = lambda: 1",
]


@pytest.mark.parametrize("script", SCRIPT_ATTACKS)
def test_attacks_in_a_script_task_are_refused(script):
    bpmn = diagram(f'<bpmn:scriptTask id="calc" name="计算"><bpmn:script>{script}'
                   f"</bpmn:script></bpmn:scriptTask>" + flow("start", "calc") +
                   flow("calc", "end"))
    [problem] = check(bpmn)
    assert (problem.code, problem.element_id) == ("unsafe_expression", "calc")
    assert problem.message.startswith("脚本任务“计算”（calc）的脚本")


def test_ordinary_scripts_and_conditions_pass():
    assert expression_reasons('amount <= county_settings["dibao_monthly"] * 3') == []
    assert expression_reasons("tmp = 1\ndel tmp", mode="exec") == []
    assert expression_reasons("total = 0\nfor x in items:\n    total += x['amount']",
                              mode="exec") == []
    assert expression_reasons("'department:' + department") == []


def test_attacks_everywhere_else_are_refused():
    evil = "__import__('os')"
    bpmn = diagram(
        user_task("dept", "部门", candidate_role=evil) +
        '<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition>'
        f"<bpmn:timeDuration>{evil}</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:userTask id="many" name="多部门"><bpmn:extensionElements>'
        f"<spiffworkflow:preScript>{evil}</spiffworkflow:preScript></bpmn:extensionElements>"
        '<bpmn:multiInstanceLoopCharacteristics>'
        f"<bpmn:loopCardinality>{evil}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        '<bpmn:serviceTask id="doc" name="出具文书"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="issue_document"><spiffworkflow:parameters>'
        f'<spiffworkflow:parameter id="doc_type" type="str" value="{evil}"/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
        "</bpmn:extensionElements></bpmn:serviceTask>" +
        flow("start", "dept") + flow("dept", "wait") + flow("wait", "many") +
        flow("many", "doc") + flow("doc", "end"),
        lanes={"township_staff": ["dept", "many"]})
    problems = [p for p in check(bpmn) if p.code == "unsafe_expression"]
    assert sorted(p.element_id for p in problems) == ["dept", "doc", "many", "many", "wait"]
    messages = " ".join(p.message for p in problems)
    for what in ("candidate_role", "时长", "前置脚本", "多实例数量", "参数 doc_type"):
        assert what in messages


def test_attacks_in_decision_tables_are_refused():
    relief = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    table = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    engine_syntax = table.replace("&lt;= 1000", "? &lt;= __import__('os').getpid()")
    feel_call = table.replace('<text>"county"</text>', '<text>open("/etc/passwd")</text>')
    input_expression = table.replace("<text>amount</text>", "<text>amount.__class__</text>")
    for dmn in (engine_syntax, feel_call, input_expression):
        problems = errors(check(relief, [dmn]))
        assert problems, dmn
        assert all("决策表“临时救助审批层级”" in p.message for p in problems)


# ---------------------------------------------------------------------------------------------
# What SpiffWorkflow 3.2 does not support (verified by parsing and running small diagrams)


@pytest.mark.parametrize(("body", "fragment", "severity"), [
    ('<bpmn:complexGateway id="X" name="会签"/>' + flow("start", "X") + flow("X", "end"),
     "不支持的元素：复杂网关 complexGateway（复杂网关“会签”（X））", "error"),
    ('<bpmn:task id="X" name="发放"/><bpmn:boundaryEvent id="b" attachedToRef="X">'
     '<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>' + flow("start", "X") +
     flow("X", "end"), "不支持的元素：补偿事件 compensateEventDefinition", "error"),
    ('<bpmn:intermediateThrowEvent id="X" name="撤销发放"><bpmn:compensateEventDefinition/>'
     "</bpmn:intermediateThrowEvent>" + flow("start", "X") + flow("X", "end"),
     "补偿事件 compensateEventDefinition（中间抛出事件“撤销发放”（X））", "error"),
    ('<bpmn:intermediateCatchEvent id="X" name="材料齐全"><bpmn:conditionalEventDefinition>'
     "<bpmn:condition>complete == True</bpmn:condition></bpmn:conditionalEventDefinition>"
     "</bpmn:intermediateCatchEvent>" + flow("start", "X") + flow("X", "end"),
     "不支持的元素：条件事件 conditionalEventDefinition", "error"),
    ('<bpmn:intermediateThrowEvent id="X" name="跳转"><bpmn:linkEventDefinition name="L"/>'
     "</bpmn:intermediateThrowEvent>" + flow("start", "X") + flow("X", "end"),
     "不支持的元素：链接事件 linkEventDefinition", "error"),
    ('<bpmn:task id="X" name="查询"/><bpmn:dataStoreReference id="ds" name="户籍库"/>' +
     flow("start", "X") + flow("X", "end"),
     "不支持的元素：数据存储 dataStoreReference", "error"),
    ('<bpmn:adHocSubProcess id="X" name="自由办理"><bpmn:task id="t"/></bpmn:adHocSubProcess>'
     + flow("start", "X") + flow("X", "end"), "不支持的元素：自由子流程 adHocSubProcess",
     "error"),
    ('<bpmn:transaction id="X" name="发放"><bpmn:startEvent id="s2"/>'
     '<bpmn:sequenceFlow id="g" sourceRef="s2" targetRef="e2"/><bpmn:endEvent id="e2"/>'
     "</bpmn:transaction>" + flow("start", "X") + flow("X", "end"),
     "事务子流程 transaction（事务子流程“发放”（X））有限支持", "warning"),
])
def test_unsupported_elements_are_reported_by_name(body, fragment, severity):
    problems = check(diagram(body))
    found = [p for p in problems if p.code == "unsupported_element"]
    assert found, problems
    assert any(fragment in p.message and p.severity == severity for p in found), found


# ---------------------------------------------------------------------------------------------
# Parsing, files from Camunda Modeler, service tasks, decision references


def test_not_xml_and_doctype():
    assert codes(check("<bpmn:definitions")) == ["bpmn_xml"]
    evil = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + diagram("").split("?>", 1)[1])
    [problem] = check(evil)
    assert "DOCTYPE" in problem.message


def test_schema_violation_is_a_warning():
    bpmn = diagram('<bpmn:userTask id="t" name="审核"><bpmn:script>x</bpmn:script>'
                   "</bpmn:userTask>" + flow("start", "t") + flow("t", "end"),
                   lanes={"township_staff": ["t"]})
    [problem] = check(bpmn)
    assert (problem.code, problem.severity) == ("bpmn_schema", "warning")
    assert "不符合 BPMN 2.0 规范" in problem.message


def test_no_start_event_is_a_parse_problem():
    bpmn = diagram("").replace('<bpmn:startEvent id="start" name="开始"/>', "")
    problems = check(bpmn)
    assert any(p.code == "bpmn_parse" and "没有开始事件" in p.message for p in problems)


def test_camunda_modeler_file_parses_with_warnings_for_ignored_extensions():
    bpmn = (DATA / "camunda_review.bpmn").read_text(encoding="utf-8")
    problems = check(bpmn, form_exists=lambda task_id: False)
    assert errors(problems) == []
    messages = [p.message for p in problems]
    assert ("用户任务“县级复核”（Activity_review）的 Camunda 属性 camunda:formKey "
            "在本系统中不起作用：可用流程编辑器的“导入 Camunda 模型”翻译") in messages
    assert all(p.code == "camunda_extension" for p in problems)


def test_camunda_decision_reference_is_not_enough():
    bpmn = (DATA / "camunda_review.bpmn").read_text(encoding="utf-8").replace(
        '<bpmn:endEvent id="Event_end">',
        '<bpmn:businessRuleTask id="Rule" name="定级" camunda:decisionRef="approval_level"/>'
        '<bpmn:sequenceFlow id="Flow_3" sourceRef="Rule" targetRef="Event_end" />'
        '<bpmn:endEvent id="Event_end">').replace(
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_review" targetRef="Event_end" />',
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_review" targetRef="Rule" />')
    problems = errors(check(bpmn, [(settings.BPMN_DIR / "temporary_relief_limits.dmn")
                                   .read_text(encoding="utf-8")]))
    [problem] = problems
    assert problem.code == "decision_reference" and problem.element_id == "Rule"
    assert "spiffworkflow:calledDecisionId" in problem.message


def test_service_task_problems():
    def service(operation, **params):
        values = "".join(f'<spiffworkflow:parameter id="{k}" type="str" value="{v}"/>'
                         for k, v in params.items())
        return diagram(f'<bpmn:serviceTask id="svc" name="出具"><bpmn:extensionElements>'
                       f'<spiffworkflow:serviceTaskOperator id="{operation}">'
                       f"<spiffworkflow:parameters>{values}</spiffworkflow:parameters>"
                       f"</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
                       f"</bpmn:serviceTask>" + flow("start", "svc") + flow("svc", "end"))

    assert check(service("issue_document", doc_type="&quot;relief_decision&quot;")) == []
    [problem] = check(service("send_sms"))
    assert problem.message == "服务任务“出具”（svc）使用了未知操作“send_sms”"
    [problem] = check(service("issue_document", doc_type="&quot;nope&quot;"))
    assert problem.message == "服务任务“出具”（svc）的文书类型“nope”未登记"
    [problem] = check(service("reserve_quota", key="&quot;k&quot;"))
    assert problem.message == "服务任务“出具”（svc）缺少参数：level"
    [problem] = check(service("run_action", action="&quot;org_mark&quot;"))
    assert problem.code == "unknown_action"


def test_business_rule_task_must_reference_a_table():
    relief = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    problems = errors(check(relief, []))
    assert any(p.code == "decision_reference" and p.element_id == "level_rule" and
               "“approval_level”不存在" in p.message for p in problems)


def test_unconnected_element_is_a_warning():
    bpmn = diagram(user_task("review", "审核") + user_task("orphan", "孤立") +
                   flow("start", "review") + flow("review", "end") + flow("orphan", "end"),
                   lanes={"township_staff": ["review", "orphan"]})
    [problem] = check(bpmn)
    assert (problem.code, problem.element_id, problem.severity) == ("unreachable", "orphan",
                                                                    "warning")


# ---------------------------------------------------------------------------------------------
# Decision tables: overlapping UNIQUE rules and hit policies


def _table(entries: list[str], hit_policy: str = "UNIQUE", extra: str = "") -> str:
    rules = "".join(
        f'<rule id="r{i}"><description>规则说明{i}</description><inputEntry id="r{i}_in">'
        f"<text>{text}</text></inputEntry><outputEntry id=\"r{i}_out\"><text>\"v{i}\"</text>"
        f"</outputEntry></rule>" for i, text in enumerate(entries, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="DRD"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="approval_level" name="审批层级">
    <decisionTable id="t" hitPolicy="{hit_policy}" {extra}>
      <input id="in" label="金额"><inputExpression id="ie" typeRef="number"><text>amount</text>
      </inputExpression></input>
      <output id="out" label="层级" name="level" typeRef="string"/>
      {rules}
    </decisionTable>
  </decision>
</definitions>"""


def _table_problems(dmn: str) -> list[Problem]:
    relief = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    return [p for p in check(relief, [dmn]) if p.code.startswith("dmn_")]


@pytest.mark.parametrize(("entries", "example"), [
    (["[0..3000]", "[2000..5000]"], "金额=2000"),
    (["&lt;= 3000", "3000 &lt;= ? &lt;= 20000"], "金额=3000"),
    (["&lt;= 3000", "[3000..20000]"], "金额=3000"),
    (["&gt; 100", "-"], "金额=101"),
    (['"a","b"', "not(\"a\")"], '金额="b"'),
    (["not(&lt; 10)", "[5..20]"], "金额=10"),
])
def test_overlapping_unique_rules_are_reported(entries, example):
    [problem] = _table_problems(_table(entries))
    assert problem.code == "dmn_overlap" and problem.severity == "error"
    assert problem.message.startswith("决策表“审批层级”（命中策略 UNIQUE）的规则1“规则说明1”与规则2"
                                      "“规则说明2”重叠")
    assert f"{example} 时两条规则都满足" in problem.message
    assert problem.element_id == "r2"


@pytest.mark.parametrize("entries", [
    ["&lt;= 1000", "]1000..20000]", "&gt; 20000"],
    ["&lt;= 3000", "3000 &lt; ? &lt;= 20000", "&gt; 20000"],
    ["[0..10)", "[10..20)"],
    ['"a","b"', '"c"'],
    ['not("a")', '"a"'],
    ["&lt; limit", "&gt;= 0"],  # depends on a variable: cannot be decided, not reported
])
def test_disjoint_unique_rules_pass(entries):
    assert _table_problems(_table(entries)) == []


def test_first_and_collect_may_overlap():
    assert _table_problems(_table(["[0..3000]", "-"], hit_policy="FIRST")) == []
    assert _table_problems(_table(["[0..3000]", "-"], hit_policy="COLLECT")) == []


@pytest.mark.parametrize(("policy", "extra", "fragment"), [
    ("ANY", "", "任一（ANY）"),
    ("PRIORITY", "", "优先级（PRIORITY）"),
    ("RULE ORDER", "", "规则顺序（RULE ORDER）"),
    ("OUTPUT ORDER", "", "输出顺序（OUTPUT ORDER）"),
    ("COLLECT", 'aggregation="SUM"', "汇总方式 SUM"),
])
def test_unsupported_hit_policies_are_reported(policy, extra, fragment):
    [problem] = _table_problems(_table(["&lt;= 10", "&gt; 10"], hit_policy=policy,
                                       extra=extra))
    assert problem.code == "dmn_hit_policy" and fragment in problem.message


def test_builtin_names_may_be_data_but_not_called():
    assert expression_reasons('type == "illness"') == []
    assert expression_reasons("type(amount)") == ["不允许调用 type()"]
