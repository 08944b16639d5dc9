"""Check a draft diagram (+ decision tables) before a supervisor may deploy it.

Supervisors edit approval flows in the browser (bpmn-js / dmn-js), so a draft is untrusted
input: it may not parse, may route a task to nobody, may contain a gateway that can never
choose, or an expression that tries to escape the sandbox. ``validate_definition`` returns
every problem it finds (not just the first) as ``Problem`` rows with a Chinese message naming
the element (name and id), so the modeler page can mark them on the canvas.

Generic forms (a convention of the diagram, so a supervisor can add a step without a
developer): a user task may carry the spiffworkflow property ``form`` with
  ``generic:opinion``   a generic form with one field ``opinion`` (意见), or
  ``generic:decision``  a generic decision form: ``decision`` ("approve" 同意 / "refuse"
                        不同意) and ``opinion`` (意见) — route on ``decision == "approve"``,
  ``generic:confirm``   a confirmation: ``confirmed`` (已办理) and an optional ``opinion``.
Otherwise the product must have a form for the task (``form_exists(task_id)``). A plain
``task`` (bpmn-js's default shape) and a ``manualTask`` are confirmation steps: offered to
their lane (or ``candidate_role``) like a user task, with ``generic:confirm`` unless they
name another form; without a lane they are refused like a user task.

SpiffWorkflow 3.2 support, checked by parsing and running small diagrams:
  complexGateway          parse error ("no support implemented")           → error
  adHocSubProcess         parses, fails at run time                         → error
  compensation events     throw silently ignored, boundary parse error      → error
  isForCompensation tasks never run                                         → error
  linkEventDefinition     silently becomes a plain event (link ignored)     → error
  dataStore(Reference)    dataStore: parse error, reference: ignored        → error
  conditionalEvent        evaluated only when the case advances; a waiting
                          case's data does not change, so it waits forever  → error
  transaction             runs as a plain subprocess; a cancel end event
                          works, compensation of finished steps does not    → warning
  signal events, sendTask work only inside one case; nothing sends them
                          from outside                                      → warning
"""
import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

GENERIC_FORMS = {
    "generic:opinion": "通用意见表单（意见）",
    "generic:decision": "通用审批表单（同意/不同意 + 意见）",
    "generic:confirm": "通用确认表单（确认已办理 + 备注）",
}
# Plain and manual tasks naming no form get generic:confirm (engine.runtime.CONFIRM_FORM).
CONFIRM_TASKS = ("manualTask", "task")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft. ``severity`` is "error" (cannot deploy) or "warning"."""

    code: str
    element_id: str
    element_name: str
    message: str
    severity: str = "error"
    # The library's own text (English), for the developer: shown folded under the message.
    detail: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


TYPE_NAMES = {
    "userTask": "用户任务", "manualTask": "人工任务", "serviceTask": "服务任务",
    "scriptTask": "脚本任务", "businessRuleTask": "业务规则任务", "task": "任务",
    "sendTask": "发送任务", "receiveTask": "接收任务", "callActivity": "调用活动",
    "subProcess": "子流程", "transaction": "事务子流程", "adHocSubProcess": "自由子流程",
    "exclusiveGateway": "排他网关", "inclusiveGateway": "包容网关",
    "parallelGateway": "并行网关", "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关", "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件", "sequenceFlow": "连线", "lane": "泳道",
    "dataStoreReference": "数据存储", "dataStore": "数据存储", "process": "流程",
    "definitions": "文件", "collaboration": "协作图", "participant": "池",
    "multiInstanceLoopCharacteristics": "多实例设置", "standardLoopCharacteristics": "循环设置",
    "message": "消息定义", "signal": "信号定义", "error": "错误定义", "escalation": "升级定义",
    "dataObject": "数据对象", "dataObjectReference": "数据对象", "laneSet": "泳道组",
    "textAnnotation": "注释", "association": "关联", "messageFlow": "消息流",
    "conditionExpression": "条件", "timerEventDefinition": "定时", "ioSpecification": "输入输出",
    "property": "属性", "subChoreography": "子编排", "choreographyTask": "编排任务",
}

# (what it is in Chinese, severity, why)
UNSUPPORTED = {
    "complexGateway": ("复杂网关", "error", ""),
    "adHocSubProcess": ("自由子流程", "error", ""),
    "compensateEventDefinition": ("补偿事件", "error", ""),
    "linkEventDefinition": ("链接事件", "error", "引擎会忽略链接，流程会直接向后走"),
    "dataStore": ("数据存储", "error", ""),
    "dataStoreReference": ("数据存储", "error", ""),
    "conditionalEventDefinition": ("条件事件", "error",
                                   "等待中的案件数据不会变化，条件事件会一直等待"),
    "transaction": ("事务子流程", "warning",
                    "只按普通子流程运行，取消时不会补偿（撤销）已完成的步骤"),
    "signalEventDefinition": ("信号事件", "warning", "只能在同一案件内抛出和捕获"),
    "sendTask": ("发送任务", "warning", "不会向其他案件发送消息"),
    "choreographyTask": ("编排任务", "error", ""),
    "subChoreography": ("子编排", "error", ""),
    "conversation": ("会话", "error", ""),
}

HUMAN_TASKS = ("userTask", "manualTask", "task")
ACTIVITIES = ("userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
              "task", "sendTask", "receiveTask", "callActivity", "subProcess", "transaction",
              "adHocSubProcess")

# Names an expression may not use even though RestrictedPython compiles them: they are not in
# the sandbox's builtins (so they would fail at run time anyway) and their only use in a
# diagram would be an attempt to reach the server.
FORBIDDEN_NAMES = {
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "globals",
    "locals", "breakpoint", "exit", "quit", "__import__", "__builtins__", "importlib", "os",
    "sys", "subprocess", "socket", "builtins",
}
# Builtins the sandbox lacks that may still be sensible *data* names (a form field called
# ``type``): refused only when called.
FORBIDDEN_CALLS = {
    "type", "object", "vars", "dir", "input", "help", "super", "memoryview", "property",
    "classmethod", "staticmethod", "print", "bytearray", "bytes", "id", "hash", "iter", "next",
    "callable", "issubclass", "frozenset",
}
FORBIDDEN_ATTRIBUTES = {"format", "format_map", "mro", "gi_frame", "f_globals", "func_globals",
                        "im_func", "tb_frame", "cr_frame", "ag_frame"}
FORBIDDEN_NODES = {
    ast.Lambda: "lambda 表达式", ast.FunctionDef: "函数定义", ast.AsyncFunctionDef: "函数定义",
    ast.ClassDef: "类定义", ast.Import: "import", ast.ImportFrom: "import",
    ast.Global: "global", ast.Nonlocal: "nonlocal", ast.While: "while 循环（可能不会结束）",
    ast.With: "with 语句", ast.AsyncWith: "with 语句", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Await: "await", ast.Try: "try 语句", ast.Raise: "raise",
    ast.NamedExpr: ":= 赋值",
}


_SYNTAX_REASONS = [
    ("never closed", "括号没有闭合"), ("unmatched", "括号不配对"),
    ("does not match opening", "括号不配对"), ("unterminated string", "引号没有闭合"),
    ("unterminated triple-quoted", "引号没有闭合"),
    ("invalid character", "含有无法识别的字符（如中文标点）"),
    ("invalid non-printable", "含有不可见字符"), ("indent", "缩进不正确"),
    ("unexpected EOF", "表达式不完整"), ("Maybe you meant '=='", "比较相等请用 =="),
    ("cannot assign", "表达式中不能赋值"), ("invalid decimal literal", "数字写法不正确"),
    ("leading zeros", "数字不能以 0 开头"),
]


def _syntax_reason(message: str) -> str:
    """Python's SyntaxError text, said in Chinese."""
    for english, chinese in _SYNTAX_REASONS:
        if english in (message or ""):
            return chinese
    return "写法不正确"


def expression_reasons(source: str, *, mode: str = "eval") -> list[str]:
    """Why ``source`` may not run in the sandbox (empty list: it may). ``mode`` is "eval"
    for conditions and expressions, "exec" for scripts."""
    from .sandbox import UnsafeExpression, compile_expression, compile_script

    if re.match(r"^\s*[$#]\{.*\}\s*$", source, re.DOTALL):
        return ["这是 Camunda 的 JUEL 表达式 ${…}：请用“导入 Camunda 模型”翻译，或改写为"
                " Python 表达式（如 amount > 1000）"]
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return [f"语法错误（第 {exc.lineno} 行）：{_syntax_reason(exc.msg)}"]
    reasons = []
    for node in ast.walk(tree):
        for node_type, what in FORBIDDEN_NODES.items():
            if isinstance(node, node_type):
                reasons.append(f"不允许使用 {what}")
        if isinstance(node, ast.Name) and (node.id in FORBIDDEN_NAMES or
                                           node.id.startswith("_")):
            reasons.append(f"不允许使用 {node.id}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in FORBIDDEN_CALLS:
            reasons.append(f"不允许调用 {node.func.id}()")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or
                                                node.attr in FORBIDDEN_ATTRIBUTES):
            reasons.append(f"不允许访问属性 {node.attr}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                "__" in node.value:
            reasons.append("不允许在文字中使用双下划线 __")
    try:
        (compile_expression if mode == "eval" else compile_script)(source)
    except UnsafeExpression as exc:
        if not reasons:  # RestrictedPython's own (English) text, said in Chinese
            reasons += _restricted_reasons(str(exc))
    except SyntaxError as exc:  # pragma: no cover - ast.parse above catches these first
        reasons.append(f"语法错误：{_syntax_reason(exc.msg)}")
    if not reasons:
        reasons += _resource_bombs(tree)
    return list(dict.fromkeys(reasons))


_RESTRICTED_MESSAGES = [
    (r'"([^"]+)" is an invalid variable name', "不允许使用名称 {0}"),
    (r'"([^"]+)" is an invalid attribute name', "不允许访问属性 {0}"),
    (r'"([^"]+)" is a reserved name', "不允许使用保留名称 {0}"),
    (r"(\w+) statements are not allowed", "不允许使用 {0} 语句"),
    (r"(\w+) (?:calls|expressions) are not allowed", "不允许使用 {0}"),
    (r"is not allowed", "沙箱不允许此写法"),
]


def _restricted_reasons(text: str) -> list[str]:
    reasons = []
    for part in text.split("；"):
        if has_chinese(part):  # already Chinese (a limit of the sandbox)
            reasons.append(part)
            continue
        for pattern, chinese in _RESTRICTED_MESSAGES:
            match = re.search(pattern, part)
            if match:
                reasons.append(chinese.format(*match.groups()))
                break
        else:
            reasons.append("沙箱不允许此写法")
    return list(dict.fromkeys(reasons))


# Builtins an expression may call; a sub-expression using no other name is evaluated once at
# deploy time, within the sandbox's limits, so that a resource bomb is refused before deploy.
_SANDBOX_CALLABLES = frozenset({
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "len", "list",
    "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    "True", "False", "None"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _free_names(node) -> set[str]:
    """Names a sub-expression reads from outside itself (comprehension variables excluded)."""
    if isinstance(node, ast.Name):
        return {node.id}
    names = set()
    for child in ast.iter_child_nodes(node):
        names |= _free_names(child)
    if isinstance(node, _COMPREHENSIONS):
        bound = {target.id for generator in node.generators
                 for target in ast.walk(generator.target) if isinstance(target, ast.Name)}
        names -= bound
    return names


def _resource_bombs(tree) -> list[str]:
    """Sub-expressions built from constants alone (``9**9**7``, ``'a'*10**10``,
    ``range(10**9)``, a nested comprehension over constants) evaluated in the sandbox: one that
    exceeds its limits is refused with the limit it hit."""
    from .sandbox import ExpressionLimitExceeded, SandboxEnvironment

    reasons = []
    environment = SandboxEnvironment({})

    def visit(node):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Constant, ast.Name)) \
                and not (_free_names(node) - _SANDBOX_CALLABLES):
            try:
                environment.evaluate(ast.unparse(node), {})
            except ExpressionLimitExceeded as exc:
                reasons.append(f"“{_short(ast.unparse(node))}”{exc}")
            except Exception:  # noqa: BLE001, S110 - other errors show at run time, not bombs
                pass
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return reasons


# ---------------------------------------------------------------------------------------------
# Helpers over the XML


def has_chinese(text: str) -> bool:
    """Whether a message is already in Chinese (the engine's own words, not a library's)."""
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def label(element) -> str:
    """“用户任务“乡镇审批”（township_decide）” — how messages name an element."""
    kind = TYPE_NAMES.get(_local(element)) or f"元素 {_local(element)}"
    name, element_id = (element.get("name") or "").strip(), element.get("id") or ""
    if name:
        return f"{kind}“{name}”（{element_id}）"
    return f"{kind}（{element_id}）" if element_id else kind


def spiff_properties(element) -> dict[str, str]:
    """The spiffworkflow properties of an element (what the runtime reads)."""
    return {prop.get("name"): prop.get("value", "") for prop in element.findall(
        f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")}


def _spiff_extension(element, name: str) -> str | None:
    node = element.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{name}")
    return node.text if node is not None else None


def lanes_of(root) -> dict[str, str]:
    """Flow node id → its (innermost) lane's name. Nested lanes come later in document order,
    so the innermost assignment wins, as in SpiffWorkflow."""
    lanes = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = (lane.get("name") or "").strip()
    return lanes


def lane_role_codes(role_names: dict[str, str] | None) -> dict[str, str]:
    """Lane name → role code for lanes named with a role's Chinese name ("乡镇经办人" →
    ``township_staff``); a name two roles share maps to neither."""
    by_name: dict[str, str | None] = {}
    for code, name in (role_names or {}).items():
        name = (name or "").strip()
        if name and name != code:
            by_name[name] = None if name in by_name and by_name[name] != code else code
    return {name: code for name, code in by_name.items() if code and name not in
            (role_names or {})}


def lanes_as_role_codes(bpmn_xml: str | bytes, role_names: dict[str, str] | None) -> str:
    """The diagram with every lane named by a role's Chinese name renamed to the role's
    code: what the engine parses and runs (the stored diagram keeps the supervisor's names).
    Returns text; unchanged (but as text) when no lane needs it."""
    from . import feel

    text = bpmn_xml.decode("utf-8") if isinstance(bpmn_xml, bytes) else bpmn_xml
    mapping = lane_role_codes(role_names)
    if not mapping:
        return text
    root = feel.safe_xml(text)
    if not _rename_lanes(root, mapping):
        return text
    return etree.tostring(root, encoding="unicode")


def _rename_lanes(root, mapping: dict[str, str]) -> bool:
    changed = False
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        name = (lane.get("name") or "").strip()
        if name in mapping:
            lane.set("name", mapping[name])
            changed = True
    return changed


def definition_roles(bpmn_xml: str, role_names: dict[str, str] | None = None) -> list[str]:
    """The role codes a diagram's user tasks are offered to: each task's literal
    ``candidate_role``, else its lane (sorted, without duplicates). A ``candidate_role``
    expression (``'department:' + department``) names no role here: whoever it picks sees the
    case through the task itself (``engine.selectors``)."""
    from . import feel

    root = feel.safe_xml(bpmn_xml)
    _rename_lanes(root, lane_role_codes(role_names))
    lanes = lanes_of(root)
    roles = set()
    for element in _flow_elements(root):
        if _local(element) not in HUMAN_TASKS:
            continue
        candidate = spiff_properties(element).get("candidate_role", "").strip()
        if candidate:
            try:
                literal = ast.literal_eval(candidate)
            except (ValueError, SyntaxError):
                literal = None
            if isinstance(literal, str) and literal:
                roles.add(literal)
            continue
        lane = lanes.get(element.get("id"), "")
        if lane:
            roles.add(lane)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        roles.update(overseen_by(process))
    return sorted(roles)


def overseen_by(process) -> list[str]:
    """Roles a process declares as overseeing its cases (process property ``overseen_by``,
    comma-separated role codes) without a task of their own: e.g. the county bureau that
    leads a bundle (一件事) whose steps are all departments'."""
    value = spiff_properties(process).get("overseen_by", "")
    return [code.strip() for code in value.replace("，", ",").split(",") if code.strip()]


def known_roles_text(known_roles, role_names: dict[str, str] | None = None) -> str:
    """“township_staff（乡镇经办人）、…” — the roles a lane or property may name."""
    names = role_names or {}
    return "、".join(f"{code}（{names[code]}）" if names.get(code) and names[code] != code
                    else code for code in sorted(known_roles))


def _overseer_problems(root, known_roles, role_names=None) -> list[Problem]:
    problems = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for code in overseen_by(process):
            if code not in known_roles:
                problems.append(_problem(
                    "unknown_role", process, f"流程的 overseen_by“{code}”不是已知角色；可用："
                    f"{known_roles_text(known_roles, role_names)}"))
    return problems


def _problem(code, element, message, severity="error") -> Problem:
    return Problem(code, element.get("id") or "", (element.get("name") or "").strip(),
                   message, severity)


# ---------------------------------------------------------------------------------------------
# The check


def validate_definition(*, bpmn_xml: str | bytes, dmn_xmls: list[str | bytes] | tuple = (),
                        known_roles: set[str],
                        form_exists: Callable[[str], bool] | None = None,
                        known_operations: set[str] | None = None,
                        known_doc_types: set[str] | None = None,
                        known_actions: set[str] | None = None,
                        role_levels: dict[str, str] | None = None,
                        role_names: dict[str, str] | None = None,
                        library=None) -> list[Problem]:
    """Every problem of a draft diagram and its decision tables; deploy only when none is an
    error.

    ``known_roles``: role codes lanes may name. ``form_exists(task_id)``: whether the product
    can render a form for that user task of this procedure (the caller closes over the
    procedure, e.g. ``lambda task_id: has_form(procedure, task_id)``); None skips the check.
    ``known_operations`` defaults to the engine's service operations, ``known_doc_types`` and
    ``known_actions`` to what procedures registered in ``engine.registry``.
    ``role_levels`` (role code → level): when given, a document only one level may decide is
    checked against the lanes of the tasks that lead to it.
    ``role_names`` (role code → Chinese name): a lane may be named with either (the engine
    runs the name as the code, see ``lanes_as_role_codes``); unknown lanes list both.
    ``library``: an ``engine.library.Resolution`` of the diagram's calls to other deployed
    definitions (its problems are added, its files parsed with the diagram).
    """
    from . import feel
    from .registry import actions, document_types
    from .runtime import SERVICE_OPERATIONS

    known_operations = set(SERVICE_OPERATIONS) if known_operations is None else known_operations
    known_doc_types = set(document_types()) if known_doc_types is None else known_doc_types
    known_actions = set(actions()) if known_actions is None else known_actions

    try:
        root = feel.safe_xml(bpmn_xml)
    except (etree.XMLSyntaxError, feel.FeelError) as exc:
        return [Problem("bpmn_xml", "", "", f"BPMN 文件不是合法的 XML（{_xml_where(exc)}）",
                        detail=str(exc))]
    if etree.QName(root).namespace != BPMN_NS or _local(root) != "definitions":
        return [Problem("bpmn_namespace", "", "", "不是 BPMN 2.0 文件（根元素应为 "
                                                   "bpmn:definitions）")]

    _rename_lanes(root, lane_role_codes(role_names))
    problems: list[Problem] = []
    translated_dmns = []
    for dmn_xml in dmn_xmls:
        translated, dmn_problems = feel.dmn_translate_feel(dmn_xml)
        translated_dmns.append(translated)
        problems += dmn_problems
        problems += dmn_table_problems(dmn_xml)
        problems += _dmn_expression_problems(translated)

    problems += _schema_problems(root)
    problems += _duplicate_id_problems(root)
    if library is not None:
        problems += library.problems + library.task_form_problems(form_exists)
    problems += _parse_problems(bpmn_xml, root, translated_dmns, library)
    problems += _unsupported_problems(root)
    problems += _camunda_problems(root)
    problems += _human_task_problems(root, known_roles, form_exists, role_names)
    problems += _overseer_problems(root, known_roles, role_names)
    problems += _authority_problems(root, translated_dmns)
    problems += _gateway_problems(root)
    problems += _event_gateway_problems(root)
    problems += _boundary_stall_problems(bpmn_xml, root, translated_dmns)
    problems += _timer_problems(root)
    problems += _expression_problems(root)
    problems += _service_task_problems(root, known_operations, known_doc_types, known_actions,
                                       role_levels)
    problems += _decision_reference_problems(root, translated_dmns)
    problems += _connection_problems(root)
    # The library's parse error on an element one of the checks above already explained (in
    # Chinese, with the fix) adds nothing.
    explained = {p.element_id for p in problems if p.is_error and p.code != "bpmn_parse"}
    return list(dict.fromkeys(p for p in problems
                              if p.code != "bpmn_parse" or p.element_id not in explained))


def _xml_where(exc) -> str:
    """Where an XML error is, in Chinese ("第 3 行"), or what it is (a DOCTYPE)."""
    line = getattr(exc, "lineno", None) or getattr(exc, "position", (None,))[0]
    if line:
        return f"第 {line} 行有错误"
    return str(exc) if has_chinese(str(exc)) else "无法读取"


def _schema_problems(root) -> list[Problem]:
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    from SpiffWorkflow.spiff.parser.process import VALIDATOR

    copy = etree.fromstring(etree.tostring(root))  # noqa: S320 - our own serialisation
    try:
        VALIDATOR.validate(copy)
    except ValidationException as exc:
        # A warning: SpiffWorkflow (checked next) is the authority on what runs, and it
        # accepts small schema slips such as a data item sharing an id.
        return [Problem("bpmn_schema", "", "",
                        f"不符合 BPMN 2.0 规范（第 {exc.line_number} 行），详见技术细节；"
                        f"本系统能运行即可部署", "warning", detail=" ".join(str(exc).split()))]
    return []


# Flow elements: two with one id would run as one (SpiffWorkflow keeps the last it reads).
# Data items sharing an id are a schema slip SpiffWorkflow tolerates (``_schema_problems``).
_FLOW_TAGS = set(ACTIVITIES) | {
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
    "complexGateway", "startEvent", "endEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent", "sequenceFlow", "process", "lane"}


def _duplicate_id_problems(root) -> list[Problem]:
    seen: dict[str, list] = {}
    for element in _flow_elements(root):
        if _local(element) in _FLOW_TAGS and element.get("id"):
            seen.setdefault(element.get("id"), []).append(element)
    problems = []
    for element_id, elements in seen.items():
        if len(elements) > 1:
            names = "、".join(f"{TYPE_NAMES.get(_local(e), _local(e))}“{e.get('name') or element_id}”"
                             for e in elements)
            problems.append(Problem(
                "duplicate_id", element_id, elements[0].get("name") or "",
                f"标识 {element_id} 被 {len(elements)} 个元素同时使用（{names}）：运行时只会保留其中"
                f"一个；请给每个元素不同的标识"))
    return problems


def _parse_problems(bpmn_xml, root, translated_dmns: list[str],
                    library=None) -> list[Problem]:
    """Parse as the engine will (SpiffWorkflow's Spiff parser, the only one that runs a
    deployed definition). Camunda's parser is not consulted: it judged files by Camunda's
    rules (a business rule task without camunda:decisionRef, a standard multi-instance) and
    refused what runs here; Camunda attributes are reported by ``_camunda_problems`` and
    translated by ``engine.camunda``."""
    from SpiffWorkflow.exceptions import SpiffWorkflowException
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from .library import mark_called_executable
    from .runtime import DefinitionError, add_library, executable_process_id

    if library is not None and any(p.is_error for p in library.problems):
        return []  # a call to a process that is nowhere: already said (engine.library)
    try:
        process_id = executable_process_id(bpmn_xml)
    except DefinitionError as exc:
        return [Problem("bpmn_process", "", "", str(exc))]
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_str(mark_called_executable(etree.tostring(root)))
        for dmn in translated_dmns:
            parser.add_dmn_str(dmn.encode("utf-8"))
        add_library(parser, etree.tostring(root), library.files if library else ())
        parser.get_spec(process_id)
        parser.get_subprocess_specs(process_id)
    except (SpiffWorkflowException, ValueError, KeyError, NotImplementedError, TypeError,
            AttributeError, etree.XMLSyntaxError) as exc:
        element_id = getattr(exc, "id", "") or ""
        name = getattr(exc, "name", "") or ""
        where = f"“{name or element_id}”（{element_id}）" if element_id else ""
        message, detail = _english_parse_error(exc)
        return [Problem("bpmn_parse", element_id, name,
                        f"流程解析失败{('：' + where) if where else ''}：{message}",
                        detail=detail)]
    return []


# What SpiffWorkflow's parser says (English), in Chinese: (pattern, message); the pattern's
# groups fill the message. The library's own text goes to ``Problem.detail``.
_PARSE_MESSAGES = [
    (r"There is no support implemented for this task type", "不支持此类元素"),
    (r"No start event found", "没有开始事件"),
    (r"No DMN Diagram available with id \"?([^\",]*)", "找不到业务规则任务引用的决策表“{0}”"),
    (r"A Service Task must have an operator", "服务任务没有设置操作"),
    (r"Multiple decision tables are not current", "一个 DMN 文件只能有一个决策"),
    (r"without condition", "网关出线没有条件"),
    (r"The process '([^']*)' was not found", "调用活动调用的流程“{0}”不在本文件中"),
    (r"Process (\S+) is not executable", "流程“{0}”没有标记为可执行（isExecutable），本系统只运行"
                                          "可执行的流程；请删除它或把它设为可执行"),
    (r"Data Store with name (.*?) has no implementation", "数据存储“{0}”在本系统中没有实现"),
    (r"Data Store (identifier|name) is missing", "数据存储缺少标识或名称"),
    (r"A multiinstance task must specify a cardinality or a loop input",
     "多实例任务必须设置实例数量（loopCardinality）或输入集合（loopDataInputRef）"),
    (r"Cannot resolve dataInputAssociation", "数据输入关联（dataInputAssociation）引用的数据对象"
                                             "不存在"),
    (r"Cannot resolve dataOutputAssociation", "数据输出关联（dataOutputAssociation）引用的数据"
                                              "对象不存在"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     "子流程必须恰好有一个开始事件（现有 {0} 个）"),
    (r"A SubWorkflow Must contain an End event", "子流程必须有结束事件"),
    (r"Ad hoc subprocesses may not contain start or end events",
     "自由子流程不能包含开始或结束事件"),
    (r"Sequential ordering for ad hoc subprocesses", "不支持按顺序执行的自由子流程"),
    (r"Conditional event definition with missing condition", "条件事件没有条件"),
    (r"Invalid Script Task.\s+No Script Provided", "脚本任务没有脚本"),
    (r"Time Specification Error|Unknown Time Specification", "定时事件的时间设置不正确"),
    (r"Could not find messageRef from message event definition", "消息事件引用的消息不存在"),
    (r"(Message|Signal|Error|Escalation|Correlation) identifier is missing",
     "事件引用的{0}缺少标识"),
    (r"Correlation is missing correlation property", "消息关联缺少关联属性的取值表达式"),
    (r"Duplicate process ID: (\S+)", "流程标识“{0}”重复"),
    (r"Malformed Output Expression '([^']*)'", "决策表的输出“{0}”不是合法的表达式"),
    (r"Unknown type in decision table", "决策表中有无法识别的元素"),
    (r"No decisions found", "DMN 文件中没有决策"),
    (r"Available DMN ids", "找不到引用的决策表"),
    (r"KeyError\('(\w+)'\)", "文件中有元素缺少必需的属性 {0}"),
    (r"is not a valid", "有不合法的取值"),
]
_EVENT_KINDS = {"Message": "消息", "Signal": "信号", "Error": "错误", "Escalation": "升级",
                "Correlation": "关联"}


def _english_parse_error(exc) -> tuple[str, str]:
    """(Chinese message, the library's text) for a parse error."""
    text = " ".join(str(exc).split())
    for pattern, chinese in _PARSE_MESSAGES:
        match = re.search(pattern, text)
        if match:
            groups = [_EVENT_KINDS.get(g, g) for g in match.groups()]
            return chinese.format(*groups), text
    if isinstance(exc, KeyError):
        return f"文件缺少必需的属性 {exc.args[0] if exc.args else ''}".strip(), text
    return "无法解析（原因见技术细节）", text


def uses_camunda(root) -> bool:
    """Does the file *use* Camunda extensions (an element or attribute in the Camunda
    namespace)? Declaring ``xmlns:camunda`` alone, as Camunda Modeler always does, is not
    use."""
    return _uses_namespace(root, CAMUNDA_NS)


def _uses_namespace(root, namespace: str) -> bool:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).namespace == namespace or any(
                etree.QName(name).namespace == namespace for name in element.attrib):
            return True
    return False


def _flow_elements(root):
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS:
            yield element


def _unsupported_problems(root) -> list[Problem]:
    problems = []
    for element in _flow_elements(root):
        local = _local(element)
        if local in UNSUPPORTED:
            what, severity, why = UNSUPPORTED[local]
            owner = element.getparent() if local.endswith("EventDefinition") else element
            message = f"不支持的元素：{what} {local}（{label(owner)}）"
            if severity == "warning":
                message = f"{what} {local}（{label(owner)}）有限支持：{why}"
            elif why:
                message += f"：{why}"
            problems.append(_problem("unsupported_element", owner, message, severity))
        if local in ACTIVITIES and element.get("isForCompensation") == "true":
            problems.append(_problem("unsupported_element", element,
                                     f"不支持的元素：补偿任务 isForCompensation"
                                     f"（{label(element)}）"))
    return problems


# Camunda attributes engine.camunda translates.
_CAMUNDA_TRANSLATED = {"candidateGroups", "assignee", "candidateUsers", "formKey", "dueDate",
                       "collection", "elementVariable", "decisionRef", "resultVariable",
                       "mapDecisionResult"}


def _camunda_problems(root) -> list[Problem]:
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        names = [etree.QName(name).localname for name in element.attrib
                 if etree.QName(name).namespace == CAMUNDA_NS]
        if etree.QName(element).namespace == CAMUNDA_NS and _local(element) not in (
                "property",):
            owner = next((a for a in element.iterancestors()
                          if etree.QName(a).namespace == BPMN_NS and a.get("id")), None)
            if owner is not None and _local(element) in ("properties", "formData",
                                                         "inputOutput", "field",
                                                         "executionListener",
                                                         "taskListener", "connector"):
                problems.append(_problem(
                    "camunda_extension", owner,
                    f"{label(owner)}的 Camunda 扩展 camunda:{_local(element)} 在本系统中不起作用"
                    f"（属性请用 spiffworkflow:properties）", "warning"))
        for name in names:
            hint = "：可用流程编辑器的“导入 Camunda 模型”翻译" if name in _CAMUNDA_TRANSLATED \
                else ""
            problems.append(_problem("camunda_extension", element,
                                     f"{label(element)}的 Camunda 属性 camunda:{name} "
                                     f"在本系统中不起作用{hint}", "warning"))
    return problems


def _human_task_problems(root, known_roles, form_exists, role_names=None) -> list[Problem]:
    problems = []
    lanes = lanes_of(root)
    for element in _flow_elements(root):
        if _local(element) not in HUMAN_TASKS:
            continue
        properties = spiff_properties(element)
        problems += _property_expression_problems(element, properties)
        candidate_role = properties.get("candidate_role", "").strip()
        lane = lanes.get(element.get("id"), "")
        if candidate_role:
            reasons = expression_reasons(candidate_role)
            if reasons:
                problems.append(_problem("unsafe_expression", element,
                                         f"{label(element)}的 candidate_role 表达式"
                                         f"“{candidate_role}”不能使用：{'；'.join(reasons)}"))
            else:
                try:
                    literal = ast.literal_eval(candidate_role)
                except (ValueError, SyntaxError):
                    literal = None
                if isinstance(literal, str) and literal not in known_roles:
                    problems.append(_problem("unknown_role", element,
                                             f"{label(element)}的 candidate_role“{literal}”"
                                             f"不是已知角色；可用："
                                             f"{known_roles_text(known_roles, role_names)}"))
        elif not lane:
            problems.append(_problem("task_without_lane", element,
                                     f"{label(element)}不在任何泳道中，没有人会收到它；请把它"
                                     f"放进以角色命名的泳道"))
        elif lane not in known_roles:
            # The roles are listed once (the first such message); the others point to it.
            listed = any(p.code == "unknown_role" for p in problems)
            problems.append(_problem("unknown_role", element,
                                     f"{label(element)}所在泳道“{lane}”不是已知角色；泳道名称"
                                     f"可以是角色代码或角色名称，" + (
                                         "可用角色见上" if listed else
                                         f"可用：{known_roles_text(known_roles, role_names)}")))
        form = properties.get("form", "").strip()
        if form:
            if form not in GENERIC_FORMS:
                problems.append(_problem("unknown_form", element,
                                         f"{label(element)}的表单“{form}”不存在；可用："
                                         f"{'、'.join(GENERIC_FORMS)}"))
        elif form_exists is not None and _local(element) not in CONFIRM_TASKS \
                and not form_exists(element.get("id")):
            problems.append(_problem(
                "missing_form", element,
                f"{label(element)}没有可填写的表单：请在属性中设置 form = generic:decision"
                f"（同意/不同意+意见）或 generic:opinion（意见），或请开发人员提供专用表单"))
    return problems


# Properties evaluated as expressions at run time (engine.runtime.EXPRESSION_PROPERTIES) and
# numbers of hours; candidate_role and decision_* have checks of their own.
_NUMERIC_PROPERTIES = ("due_working_days", "due_hours", "remind_before_hours")
_CHECKED_ELSEWHERE = ("candidate_role", "decision_limit", "decision_grants")


def _property_expression_problems(element, properties: dict) -> list[Problem]:
    """Every expression property goes through the same checker as conditions and scripts
    (``due_working_days``, ``due_hours``, ``candidate_user``, ``title``, ``task_data``...);
    the numeric ones must be a non-negative number of reasonable size or a safe expression."""
    from .runtime import EXPRESSION_PROPERTIES

    problems = []
    for name in (*EXPRESSION_PROPERTIES, "remind_before_hours"):
        source = properties.get(name, "").strip()
        if not source or name in _CHECKED_ELSEWHERE:
            continue
        if name in _NUMERIC_PROPERTIES:
            try:
                number = float(source)
            except ValueError:
                if name == "remind_before_hours":  # read as a number, never evaluated
                    problems.append(_problem("invalid_property", element,
                                             f"{label(element)}的 {name} 应为数字（小时）"))
                    continue
            else:
                if not (0 <= number <= 3650):
                    problems.append(_problem("invalid_property", element,
                                             f"{label(element)}的 {name} 应为0至3650之间的数字"))
                continue
        reasons = expression_reasons(source)
        if reasons:
            problems.append(_problem("unsafe_expression", element,
                                     f"{label(element)}的 {name} 表达式“{_short(source)}”"
                                     f"不能使用：{'；'.join(reasons)}"))
    return problems


def _authority_problems(root, translated_dmns: list[str]) -> list[Problem]:
    """Decision authority (``engine.authority``): ``decision_limit`` and ``decision_grants``
    are sandbox expressions, ``decision_amount_field`` a form field name; a limit taken from
    a decision table's output column is checked against that table."""
    problems = _authority_table_problems(root, translated_dmns)
    for element in _flow_elements(root):
        if _local(element) not in HUMAN_TASKS:
            continue
        properties = spiff_properties(element)
        limit = properties.get("decision_limit", "").strip()
        for name, what in (("decision_limit", "审批权限（decision_limit）"),
                           ("decision_grants", "批准条件（decision_grants）")):
            source = properties.get(name, "").strip()
            reasons = expression_reasons(source) if source else []
            if reasons:
                problems.append(_problem("unsafe_expression", element,
                                         f"{label(element)}的{what}表达式“{_short(source)}”"
                                         f"不能使用：{'；'.join(reasons)}"))
        if limit and not expression_reasons(limit):
            try:
                literal = ast.literal_eval(limit)
            except (ValueError, SyntaxError):
                literal = 0  # an expression over the case data: checked when the task opens
            if isinstance(literal, bool) or not isinstance(literal, (int, float)) or \
                    literal < 0:
                problems.append(_problem("decision_limit", element,
                                         f"{label(element)}的审批权限（decision_limit）“{limit}”"
                                         f"不是金额：请填写不小于 0 的数字，或计算金额的表达式"
                                         f"（如决策表输出的 township_limit）"))
        field = properties.get("decision_amount_field", "").strip()
        if field and (not field.isidentifier() or field.startswith("_")):
            problems.append(_problem("decision_amount_field", element,
                                     f"{label(element)}的批准金额字段（decision_amount_field）"
                                     f"“{field}”不是合法的表单字段名"))
        if not limit and (field or properties.get("decision_grants", "").strip()):
            problems.append(_problem("decision_limit_missing", element,
                                     f"{label(element)}设置了批准金额字段或批准条件，但没有审批"
                                     f"权限（decision_limit），不会限制批准金额", "warning"))
    return problems


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def _authority_table_problems(root, translated_dmns: list[str]) -> list[Problem]:
    """Warnings for a limit column (an output named by a task's ``decision_limit``) that a
    supervisor's edit left inconsistent: the table routes by amount and states the limits in
    every rule, so a threshold changed in one place and not the other would route cases to a
    level whose limit no longer matches. Warned: a limit that differs between rules, and a
    limit below the table's largest threshold that is none of its thresholds."""
    from .feel import FeelError, safe_xml

    used = {spiff_properties(element).get("decision_limit", "").strip()
            for element in _flow_elements(root) if _local(element) in HUMAN_TASKS}
    used = {name for name in used if name.isidentifier()}
    problems = []
    for dmn in translated_dmns if used else ():
        try:
            dmn_root = safe_xml(dmn)
        except (etree.XMLSyntaxError, FeelError):
            continue
        for table in dmn_root.iter("{*}decisionTable"):
            decision = table.getparent()
            name = decision.get("name") or decision.get("id")
            outputs = table.findall("{*}output")
            rules = table.findall("{*}rule")
            thresholds = {float(number) for rule in rules
                          for entry in rule.findall("{*}inputEntry")
                          for number in _NUMBER.findall(entry.findtext("{*}text") or "")}
            for index, output in enumerate(outputs):
                if output.get("name") not in used:
                    continue
                column = output.get("label") or output.get("name")
                values = set()
                for rule in rules:
                    entries = rule.findall("{*}outputEntry")
                    text = entries[index].findtext("{*}text") if index < len(entries) else ""
                    try:
                        value = ast.literal_eval((text or "").strip())
                    except (ValueError, SyntaxError):
                        continue  # an expression (e.g. a multiple of a county setting)
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        values.add(float(value))
                shown = "、".join(_show_number(v) for v in sorted(values))
                if len(values) > 1:
                    problems.append(_problem(
                        "decision_limit_table", decision,
                        f"决策表“{name}”的审批权限列“{column}”在各规则中取值不同（{shown}）："
                        f"同一层级的审批权限不应随金额变化，请检查是否漏改", "warning"))
                elif values and thresholds and (limit := values.pop()) < max(thresholds) \
                        and limit not in thresholds:
                    problems.append(_problem(
                        "decision_limit_table", decision,
                        f"决策表“{name}”的审批权限列“{column}” = {_show_number(limit)}，"
                        f"但规则的金额分界是 "
                        f"{'、'.join(_show_number(t) for t in sorted(thresholds))}："
                        f"改了分界时请同时修改审批权限", "warning"))
    return problems


def _show_number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _outgoing(process) -> dict[str, list]:
    flows: dict[str, list] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef"), []).append(flow)
    return flows


def _condition(flow) -> str:
    node = flow.find(f"{{{BPMN_NS}}}conditionExpression")
    return (node.text or "").strip() if node is not None else ""


def _gateway_problems(root) -> list[Problem]:
    problems = []
    outgoing = _outgoing(root)
    for gateway in _flow_elements(root):
        if _local(gateway) not in ("exclusiveGateway", "inclusiveGateway"):
            continue
        flows = outgoing.get(gateway.get("id"), [])
        default = gateway.get("default")
        if default and default not in {flow.get("id") for flow in flows}:
            problems.append(_problem("gateway_default", gateway,
                                     f"{label(gateway)}的默认路径 {default} 不是它的出线"))
        if len(flows) <= 1:
            continue
        for flow in flows:
            if flow.get("id") == default:
                if _condition(flow):
                    problems.append(_problem("gateway_default_condition", flow,
                                             f"{label(gateway)}的默认路径{label(flow)}上的条件"
                                             f"不会被使用", "warning"))
                continue
            if not _condition(flow):
                problems.append(_problem(
                    "gateway_condition", flow,
                    f"{label(gateway)}的出线{label(flow)}既没有条件也不是默认路径：请为它写"
                    f"条件，或把它设为默认路径"))
        if not default:
            problems.append(_problem("gateway_no_default", gateway,
                                     f"{label(gateway)}没有默认路径：所有条件都不满足时案件会"
                                     f"出错停止", "warning"))
    return problems


def _event_gateway_problems(root) -> list[Problem]:
    """An event-based gateway waits for the events behind it, the first one wins and the
    others are cancelled (engine.runtime finds their timers and messages inside the
    gateway). SpiffWorkflow keeps one due time per gateway, so two timers behind one gateway
    would both fire at the first one's time; and only catch events (or receive tasks) can
    follow it."""
    by_id = {element.get("id"): element for element in _flow_elements(root)
             if element.get("id")}
    outgoing = _outgoing(root)
    problems = []
    for gateway in _flow_elements(root):
        if _local(gateway) != "eventBasedGateway":
            continue
        targets = [by_id.get(flow.get("targetRef")) for flow in
                   outgoing.get(gateway.get("id"), [])]
        if len(targets) < 2:
            problems.append(_problem("event_gateway_branches", gateway,
                                     f"{label(gateway)}至少要有两条出线，各连到一个等待的事件"
                                     f"（定时器或消息）"))
        timers = []
        for target in targets:
            if target is None:
                continue
            kinds = {_local(child) for child in target}
            if _local(target) == "receiveTask" or (
                    _local(target) == "intermediateCatchEvent"
                    and kinds & {"timerEventDefinition", "messageEventDefinition",
                                 "signalEventDefinition"}):
                if "timerEventDefinition" in kinds:
                    timers.append(target)
                continue
            problems.append(_problem("event_gateway_target", target,
                                     f"{label(gateway)}的出线只能连到定时器或消息中间捕获事件，"
                                     f"不能连到{label(target)}"))
        if len(timers) > 1:
            problems.append(_problem("event_gateway_timers", gateway,
                                     f"{label(gateway)}后面有多个定时器（"
                                     f"{'、'.join(label(t) for t in timers)}），引擎只记得一个"
                                     f"到期时间：请只保留最早到期的一个"))
    return problems


_EXPLORE_DATA = {"decision": "approve", "opinion": "", "confirmed": True}


def _boundary_stall_problems(bpmn_xml, root, translated_dmns: list[str]) -> list[Problem]:
    """An interrupting boundary event whose path ends while its task's parallel branch is
    awaited at a join leaves the case waiting forever. Found by running the diagram in
    memory as the engine would (engine.runtime), firing each such event in turn and
    completing every other task with generic data; a run that needs data the check cannot
    know (a condition on an application field) proves nothing and is dropped — the engine
    still refuses to save a stalled case (engine.services)."""
    from . import runtime

    boundaries = [element for element in _flow_elements(root)
                  if _local(element) == "boundaryEvent"
                  and element.get("cancelActivity", "true") != "false"]
    if not boundaries:
        return []
    try:
        process_id = runtime.executable_process_id(bpmn_xml)
        spec, subs = runtime.parse(bpmn_xml, translated_dmns, process_id)
        spec_json = runtime.spec_to_json(spec, subs)
    except Exception:  # noqa: BLE001 - the parse checks above report why
        return []
    problems = []
    for boundary in boundaries:
        stalled = _explore_firing(spec_json, boundary.get("id"), boundary.get("attachedToRef"))
        if stalled:
            names = "、".join(f"“{s.bpmn_name or s.bpmn_id}”（{s.bpmn_id}）" for s in stalled)
            problems.append(_problem(
                "boundary_stall", boundary,
                f"{label(boundary)}触发后，{names}会一直等待被它取消的分支，案件既不能办结也没有"
                f"可办理的任务：请把它的出线连回汇合之后，或改用终止结束事件"))
    return problems


def _explore_firing(spec_json: str, boundary_id: str, task_id: str) -> list:
    """Run a fresh workflow, firing ``boundary_id`` when its task is ready; the stalled
    joins (engine.runtime.stalled_at), or [] when it ends, or when it cannot be told."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    from SpiffWorkflow.util.task import TaskState

    from . import runtime

    past = "2000-01-01T00:00:00+00:00"
    fired = False
    try:
        workflow, _ = runtime.new_workflow(spec_json, {})
        runtime.run(workflow)
        for _ in range(200):
            if workflow.is_completed():
                return []
            stalled = runtime.stalled_at(workflow)
            if stalled:
                return stalled if fired else []
            waiting = workflow.get_tasks(state=TaskState.WAITING)
            ready = runtime.ready_user_tasks(workflow)
            target = next((t for t in waiting if t.task_spec.bpmn_id == boundary_id), None)
            if not fired and target is not None and any(t.spec_name == task_id for t in ready):
                fired = True
                event = target.task_spec.event_definition
                if isinstance(event, MessageEventDefinition):
                    runtime.send_message(workflow, event.name, {})
                else:
                    target._set_internal_data(event_value=past)
                    runtime.fire_timers(workflow)
                continue
            if ready:
                runtime.complete_task(workflow, ready[0].task_id, dict(_EXPLORE_DATA))
                continue
            events = [t for t in waiting if getattr(t.task_spec, "event_definition", None)
                      is not None and t.task_spec.bpmn_id != boundary_id
                      and not _is_boundary(t.task_spec)]
            if not events:
                return []
            event = events[0].task_spec.event_definition
            names = runtime.waiting_messages(workflow)
            if isinstance(event, TimerEventDefinition) or not names:
                events[0]._set_internal_data(event_value=past)
                runtime.fire_timers(workflow)
            else:
                runtime.send_message(workflow, names[0], {})
    except Exception:  # noqa: BLE001 - data the check cannot know; the engine guards at run time
        return []
    return []


def _is_boundary(task_spec) -> bool:
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

    return isinstance(task_spec, BoundaryEvent)


_ISO_LIKE = re.compile(r"^(R\d*/|P(?=\d|T)|\d{4}-\d{2}-\d{2})", re.IGNORECASE)


def _timer_problems(root) -> list[Problem]:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    checks = {
        "timeDuration": ("时长", TimerEventDefinition.parse_iso_duration),
        "timeDate": ("日期", TimerEventDefinition.get_datetime),
        "timeCycle": ("周期", TimerEventDefinition.parse_iso_recurring_interval),
    }
    problems = []
    for definition in root.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event = definition.getparent()
        children = [child for child in definition if _local(child) in checks]
        if not children:
            problems.append(_problem("timer_empty", event, f"{label(event)}没有设置时间"))
            continue
        for child in children:
            what, check = checks[_local(child)]
            text = (child.text or "").strip()
            if not text:
                problems.append(_problem("timer_empty", event, f"{label(event)}的{what}为空"))
                continue
            if _ISO_LIKE.match(text):
                problems.append(_problem(
                    "timer_unquoted", event,
                    f"{label(event)}的{what} {text} 需要加英文双引号：\"{text}\""))
                continue
            reasons = expression_reasons(text)
            if reasons:
                problems.append(_problem("unsafe_expression", event,
                                         f"{label(event)}的{what}表达式“{text}”不能使用："
                                         f"{'；'.join(reasons)}"))
                continue
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                tree = ast.parse(text, mode="eval").body
                source = f"变量 {tree.id}" if isinstance(tree, ast.Name) else f"表达式“{text}”"
                problems.append(_problem(
                    "timer_expression", event,
                    f"{label(event)}的{what}取自{source}，运行时才能检查它是否为合法的"
                    f" ISO 8601 {what}", "warning"))
                continue
            if not isinstance(value, str):
                problems.append(_problem("timer_invalid", event,
                                         f"{label(event)}的{what} {text} 应为带引号的"
                                         f" ISO 8601 文字，例如 \"P7D\""))
                continue
            try:
                check(value)
            except Exception:  # noqa: BLE001 - the library raises bare Exception/ValueError
                example = {"时长": "\"P7D\"、\"PT72H\"", "日期": "\"2026-12-31T09:00:00\"",
                           "周期": "\"R3/PT24H\""}[what]
                problems.append(_problem("timer_invalid", event,
                                         f"{label(event)}的{what}“{value}”不是合法的 ISO 8601 "
                                         f"{what}（例如 {example}）"))
    return problems


def _expression_problems(root) -> list[Problem]:
    """Every other expression and script in the diagram must compile in the sandbox."""
    problems = []

    def check(element, what, source, mode="eval"):
        source = (source or "").strip()
        if not source:
            return
        reasons = expression_reasons(source, mode=mode)
        if reasons:
            problems.append(_problem("unsafe_expression", element,
                                     f"{label(element)}的{what}“{_short(source)}”不能使用："
                                     f"{'；'.join(reasons)}"))

    for element in _flow_elements(root):
        local = _local(element)
        if local == "sequenceFlow":
            check(element, "条件", _condition(element))
        elif local == "scriptTask":
            script = element.find(f"{{{BPMN_NS}}}script")
            check(element, "脚本", script.text if script is not None else "", "exec")
        elif local == "conditionalEventDefinition":
            condition = element.find(f"{{{BPMN_NS}}}condition")
            check(element.getparent(), "条件", condition.text if condition is not None else "")
        elif local in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
            owner = element.getparent()
            for tag, what in (("loopCardinality", "多实例数量"),
                              ("completionCondition", "多实例完成条件"),
                              ("loopCondition", "循环条件")):
                node = element.find(f"{{{BPMN_NS}}}{tag}")
                check(owner, what, node.text if node is not None else "")
            for tag in ("loopDataInputRef", "loopDataOutputRef"):
                node = element.find(f"{{{BPMN_NS}}}{tag}")
                if node is not None and node.text and (
                        not node.text.strip().isidentifier() or node.text.strip()[0] == "_"):
                    problems.append(_problem("unsafe_expression", owner,
                                             f"{label(owner)}的多实例变量名“{node.text}”不合法"))
        if local in ACTIVITIES or local.endswith("Event"):
            check(element, "前置脚本", _spiff_extension(element, "preScript"), "exec")
            check(element, "后置脚本", _spiff_extension(element, "postScript"), "exec")
    return problems


def _short(source: str) -> str:
    source = " ".join(source.split())
    return source if len(source) <= 60 else source[:57] + "..."


def _service_task_problems(root, known_operations, known_doc_types, known_actions,
                           role_levels=None):
    from .runtime import SERVICE_OPERATIONS

    problems = []
    for task in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        operator = task.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator")
        if operator is None:
            problems.append(_problem("service_operation", task,
                                     f"{label(task)}没有设置操作（spiffworkflow:"
                                     f"serviceTaskOperator）"))
            continue
        operation = operator.get("id", "")
        if operation not in known_operations:
            problems.append(_problem("service_operation", task,
                                     f"{label(task)}使用了未知操作“{operation}”"))
            continue
        params = {}
        for param in operator.iter(f"{{{SPIFF_NS}}}parameter"):
            value = param.get("value", "")
            reasons = expression_reasons(value) if value.strip() else ["参数值为空"]
            if reasons:
                problems.append(_problem("unsafe_expression", task,
                                         f"{label(task)}的参数 {param.get('id')}“{value}”不能使用："
                                         f"{'；'.join(reasons)}"))
                continue
            try:
                params[param.get("id")] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                params[param.get("id")] = None
        missing = SERVICE_OPERATIONS.get(operation, set()) - set(params)
        if missing:
            problems.append(_problem("service_parameters", task,
                                     f"{label(task)}缺少参数：{'、'.join(sorted(missing))}"))
        if operation == "issue_document" and params.get("doc_type") and \
                params["doc_type"] not in known_doc_types:
            problems.append(_problem("unknown_doc_type", task,
                                     f"{label(task)}的文书类型“{params['doc_type']}”未登记"))
        if operation == "open_public_notice" and params.get("notice_type"):
            from .notices import NOTICE_DAYS_MAX, NOTICE_DAYS_MIN, notice_types

            days = params.get("days")
            if isinstance(days, int) and not NOTICE_DAYS_MIN <= days <= NOTICE_DAYS_MAX:
                problems.append(_problem("notice_days", task,
                                         f"{label(task)}的公示期 {days} 天不在3至7天之内"))
            if params["notice_type"] not in notice_types():
                problems.append(_problem("unknown_notice_type", task,
                                         f"{label(task)}的公示类型“{params['notice_type']}”"
                                         f"未登记"))
        if operation == "run_action" and params.get("action") and \
                params["action"] not in known_actions:
            problems.append(_problem("unknown_action", task,
                                     f"{label(task)}的动作“{params['action']}”未登记"))
        if operation == "issue_document":
            problems += _issuer_problems(root, task, params, role_levels)
        if operation == "reserve_quota":
            problems += _quota_problems(root, task, params)
        from .clocks import clock_parameter_problems
        problems += [_problem("service_parameters", task, f"{label(task)}：{message}")
                     for message in clock_parameter_problems(operation, params)]
    return problems


def _quota_problems(root, task, params) -> list[Problem]:
    """``reserve_quota``: ``level`` is a unit level that holds quotas; with ``wait`` (候补)
    the task must be followed by an event-based gateway that catches both answers the
    engine sends, ``quota_granted`` and ``quota_waiting`` — otherwise a case put on the
    waiting list would run straight on as if it had a place."""
    from .services import QUOTA_GRANTED_MESSAGE, QUOTA_WAITING_MESSAGE

    problems = []
    level = params.get("level")
    if "level" in params and level not in ("township", "county"):
        problems.append(_problem("service_parameters", task,
                                 f"{label(task)}的参数 level 只能是 township 或 county，"
                                 f"而不是“{level}”"))
    if "wait" not in params:
        return problems
    wait = params["wait"]
    if wait not in (True, False) and str(wait).strip().lower() not in ("true", "false"):
        problems.append(_problem("service_parameters", task,
                                 f"{label(task)}的参数 wait 只能是 True 或 False，而不是"
                                 f"“{wait}”"))
        return problems
    if wait is not True and str(wait).strip().lower() != "true":
        return problems
    by_id = {element.get("id"): element for element in _flow_elements(root)
             if element.get("id")}
    message_names = {m.get("id"): m.get("name") or m.get("id")
                     for m in root.iter(f"{{{BPMN_NS}}}message")}
    outgoing = _outgoing(root)
    flows = outgoing.get(task.get("id"), [])
    gateway = by_id.get(flows[0].get("targetRef")) if len(flows) == 1 else None
    caught = set()
    if gateway is not None and _local(gateway) == "eventBasedGateway":
        for flow in outgoing.get(gateway.get("id"), []):
            event = by_id.get(flow.get("targetRef"))
            definition = event.find(f"{{{BPMN_NS}}}messageEventDefinition") \
                if event is not None else None
            if definition is not None:
                caught.add(message_names.get(definition.get("messageRef"),
                                             definition.get("messageRef")))
    missing = {QUOTA_GRANTED_MESSAGE, QUOTA_WAITING_MESSAGE} - caught
    if missing:
        problems.append(_problem(
            "quota_wait", task,
            f"{label(task)}设置了候补（wait），其后必须紧接一个事件网关，分别接收消息"
            f"“{QUOTA_GRANTED_MESSAGE}”（获得名额）和“{QUOTA_WAITING_MESSAGE}”（列入候补），"
            f"缺少：{'、'.join(sorted(missing))}"))
    return problems


def _issuer_problems(root, task, params, role_levels) -> list[Problem]:
    """The ``issuer`` parameter is one of the known values, and a document only one level
    may decide (``DocumentType.decided_by``) cannot follow a task of another level: no
    document claims a decider who did not decide (see engine/issuers.py)."""
    from .issuers import ISSUER_VALUES
    from .registry import document_types

    explicit = params.get("issuer")
    if "issuer" in params and explicit is not None and explicit not in ISSUER_VALUES:
        return [_problem("issuer_value", task,
                         f"{label(task)}的参数 issuer 只能是{'、'.join(ISSUER_VALUES)}，"
                         f"而不是“{explicit}”")]
    problems = []
    if explicit in (None, "decider") and role_levels is not None:
        lanes = lanes_of(root)
        for decider in _deciding_tasks(root, task):
            if not spiff_properties(decider).get("candidate_role") and \
                    role_levels.get(lanes.get(decider.get("id"), "")) == "village":
                # The county would be printed as the decider (see engine/issuers.py).
                problems.append(_problem(
                    "issuer_village", task,
                    f"{label(task)}紧接在村（社区）的{label(decider)}之后出具文书；村（居）"
                    f"委员会不是行政机关，文书将以县民政局名义出具，请确认由县级或乡镇作出决定，"
                    f"或设置 issuer 参数", severity="warning"))
    doc_type = document_types().get(params.get("doc_type") or "")
    if doc_type is None or not doc_type.decided_by:
        return problems
    allowed = set(doc_type.decided_by)
    names = {"county": "县级", "township": "乡镇", "village": "村（社区）"}
    allowed_text = "、".join(names.get(level, level) for level in doc_type.decided_by)
    if explicit in ("county", "township", "township_own"):
        level = "township" if explicit.startswith("township") else "county"
        if level not in allowed:
            problems.append(_problem("issuer_level", task,
                                     f"{label(task)}出具的“{doc_type.title}”只能由{allowed_text}"
                                     f"作出，不能指定 issuer 为“{explicit}”"))
        return problems
    if explicit not in (None, "decider") or role_levels is None:
        return problems  # decided when the case runs, checked when issued
    levels = role_levels
    lanes = lanes_of(root)
    for decider in _deciding_tasks(root, task):
        if spiff_properties(decider).get("candidate_role"):
            continue  # the role is computed when the case runs; checked when issued
        level = levels.get(lanes.get(decider.get("id"), "")) or ""
        if level and level not in allowed:
            problems.append(_problem(
                "issuer_level", task,
                f"{label(task)}出具的“{doc_type.title}”只能由{allowed_text}作出，但"
                f"{label(decider)}（{names.get(level, level)}）办理后会直接出具该文书；"
                f"请改为出具该级别自己的文书"))
    return problems


def _deciding_tasks(root, target) -> list:
    """The user tasks whose completion can lead to ``target`` without another user task or
    a triggered event in between (walking the sequence flows backwards)."""
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    incoming: dict[str, list[str]] = {}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        incoming.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
    found, seen = [], set()
    stack = list(incoming.get(target.get("id"), []))
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in by_id:
            continue
        seen.add(node_id)
        element = by_id[node_id]
        kind = _local(element)
        if kind in ("userTask", "manualTask"):
            found.append(element)
        elif kind in ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "scriptTask",
                      "businessRuleTask", "serviceTask", "task", "intermediateThrowEvent"):
            stack.extend(incoming.get(node_id, []))
        # Catch events (timers, messages), start events, subprocesses: no person's
        # completion directly, so the county issues.
    return found


def _decision_ids(dmn_xmls: list[str]) -> set[str]:
    from .feel import FeelError, safe_xml

    ids = set()
    for dmn in dmn_xmls:
        try:
            ids |= {d.get("id") for d in safe_xml(dmn).iter("{*}decision")}
        except (etree.XMLSyntaxError, FeelError):
            continue
    return ids


def _decision_reference_problems(root, dmn_xmls) -> list[Problem]:
    problems = []
    decisions = _decision_ids(dmn_xmls)
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        called = (_spiff_extension(task, "calledDecisionId") or "").strip()
        if not called and task.get(f"{{{CAMUNDA_NS}}}decisionRef"):
            problems.append(_problem(
                "decision_reference", task,
                f"{label(task)}用 camunda:decisionRef 引用决策表；本系统运行时读取 "
                f"spiffworkflow:calledDecisionId，请改用它"))
        elif not called:
            problems.append(_problem("decision_reference", task,
                                     f"{label(task)}没有指定决策表（calledDecisionId）"))
        elif called not in decisions:
            problems.append(_problem("decision_reference", task,
                                     f"{label(task)}引用的决策表“{called}”不存在；现有："
                                     f"{'、'.join(sorted(decisions)) or '无'}"))
    return problems


def _connection_problems(root) -> list[Problem]:
    """Elements nothing leads to never run: almost always a forgotten connection."""
    targets = {flow.get("targetRef") for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    problems = []
    for element in _flow_elements(root):
        local = _local(element)
        if local in ACTIVITIES or local.endswith("Gateway") or local in (
                "intermediateCatchEvent", "intermediateThrowEvent", "endEvent"):
            parent = element.getparent()
            if parent is not None and parent.get("triggeredByEvent") == "true" and \
                    local == "startEvent":
                continue
            if element.get("id") not in targets:
                problems.append(_problem("unreachable", element,
                                         f"{label(element)}没有连入的连线，永远不会执行",
                                         "warning"))
    return problems


# ---------------------------------------------------------------------------------------------
# Decision tables


SUPPORTED_HIT_POLICIES = {"UNIQUE", "FIRST", "COLLECT"}
HIT_POLICY_NAMES = {"ANY": "任一（ANY）", "PRIORITY": "优先级（PRIORITY）",
                    "RULE ORDER": "规则顺序（RULE ORDER）",
                    "OUTPUT ORDER": "输出顺序（OUTPUT ORDER）"}


def _dmn_expression_problems(translated_dmn: str) -> list[Problem]:
    """Compile every (translated) entry the way SpiffWorkflow's DMN engine builds it."""
    from .feel import FeelError, safe_xml

    try:
        root = safe_xml(translated_dmn)
    except (etree.XMLSyntaxError, FeelError):
        return []
    problems = []
    for decision in root.iter("{*}decision"):
        name = decision.get("name") or decision.get("id")
        for table in decision.iter("{*}decisionTable"):
            inputs = [(i.findtext("{*}inputExpression/{*}text") or "").strip()
                      for i in table.findall("{*}input")]
            for expression in inputs:
                reasons = expression_reasons(expression) if expression else []
                if reasons:
                    problems.append(_problem("unsafe_expression", decision,
                                             f"决策表“{name}”的输入表达式“{expression}”不能使用："
                                             f"{'；'.join(reasons)}"))
            for index, rule in enumerate(table.findall("{*}rule"), start=1):
                for entry in [*rule.findall("{*}inputEntry"), *rule.findall("{*}outputEntry")]:
                    text = (entry.findtext("{*}text") or "").strip()
                    if not text or text == "-":
                        continue
                    source = re.sub(r"""\?(?=(?:[^'"]|['"][^'"]*['"])*$)""", "dmninputexpr",
                                    text)
                    reasons = expression_reasons(source)
                    if reasons:
                        problems.append(Problem(
                            "unsafe_expression", rule.get("id") or "", name,
                            f"决策表“{name}”规则{index}的“{text}”不能使用："
                            f"{'；'.join(reasons)}"))
    return problems


def dmn_table_problems(dmn_xml: str | bytes) -> list[Problem]:
    """Hit policies the engine does not implement, and overlapping rules in UNIQUE tables
    (the library returns the first match and would hide the overlap)."""
    from .feel import FeelError, parse_unary_tests, safe_xml

    try:
        root = safe_xml(dmn_xml)
    except (etree.XMLSyntaxError, FeelError):
        return []  # reported by dmn_translate_feel
    problems = []
    decisions = root.findall("{*}decision")
    if len(decisions) > 1:
        problems.append(Problem("dmn_multiple_decisions", decisions[1].get("id") or "",
                                decisions[1].get("name") or "",
                                "一个 DMN 文件只能包含一个决策表；请把“"
                                f"{decisions[1].get('name') or decisions[1].get('id')}”"
                                f"放到单独的文件中（流程编辑器的“导入 Camunda 模型”可自动拆分，"
                                f"并在流程中依次调用所依赖的决策）"))
    for decision in decisions:
        name = decision.get("name") or decision.get("id")
        table = decision.find("{*}decisionTable")
        if table is None:
            problems.append(_problem("dmn_not_table", decision,
                                     f"决策“{name}”不是决策表；只支持决策表"))
            continue
        if decision.find("{*}informationRequirement") is not None:
            problems.append(_problem("dmn_requirement", decision,
                                     f"决策“{name}”依赖其他决策或输入数据；不支持决策之间的依赖，"
                                     f"请在流程中依次调用（“导入 Camunda 模型”可自动完成）"))
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in SUPPORTED_HIT_POLICIES:
            shown = HIT_POLICY_NAMES.get(policy, policy)
            problems.append(_problem("dmn_hit_policy", decision,
                                     f"决策表“{name}”的命中策略 {shown}"
                                     f"不受支持；可用：UNIQUE（唯一）、FIRST（第一条）、"
                                     f"COLLECT（收集）"))
        if policy == "COLLECT" and table.get("aggregation"):
            problems.append(_problem("dmn_hit_policy", decision,
                                     f"决策表“{name}”的汇总方式 {table.get('aggregation')}"
                                     f"不受支持（COLLECT 只能返回列表）"))
        for output in table.findall("{*}output"):
            if not output.get("name"):
                column = output.get("label") or output.get("id")
                problems.append(_problem("dmn_output_name", decision,
                                         f"决策表“{name}”的输出列“{column}”"
                                         f"没有变量名（name），流程拿不到它的结果"))
        if policy != "UNIQUE":
            continue
        inputs = table.findall("{*}input")
        labels = [i.get("label") or (i.findtext("{*}inputExpression/{*}text") or "").strip()
                  for i in inputs]
        rules = []
        for index, rule in enumerate(table.findall("{*}rule"), start=1):
            sets, tests = [], []
            for entry in rule.findall("{*}inputEntry"):
                try:
                    parsed = parse_unary_tests(entry.findtext("{*}text"))
                except FeelError:
                    sets.append(None)
                    tests.append(None)
                    continue
                sets.append(ValueSet.from_tests(parsed))
                tests.append(parsed)
            rules.append((index, rule, sets, tests))
        samples = _column_samples([tests for *_, tests in rules], len(inputs))
        for position, (index_a, rule_a, sets_a, tests_a) in enumerate(rules):
            for index_b, rule_b, sets_b, tests_b in rules[position + 1:]:
                witness = _overlap(sets_a, sets_b)
                if witness is None and (None in sets_a or None in sets_b):
                    # An entry written as an expression (``? > 1000 and ? % 2 == 0``): try it
                    # on the values the table itself names.
                    witness = _sampled_overlap(tests_a, tests_b, samples)
                if witness is None:
                    continue
                example = "、".join(f"{labels[i] if i < len(labels) else i}={value}"
                                   for i, value in enumerate(witness) if value is not None)
                problems.append(Problem(
                    "dmn_overlap", rule_b.get("id") or "", name,
                    f"决策表“{name}”（命中策略 UNIQUE）的{_rule_name(rule_a, index_a)}与"
                    f"{_rule_name(rule_b, index_b)}重叠"
                    f"{('：' + example + ' 时两条规则都满足') if example else ''}；"
                    f"UNIQUE 要求任何情况下最多一条规则满足"))
    return problems


_ENTRY_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_ENTRY_STRING = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")


def _column_samples(rule_tests: list[list], columns: int) -> list[list]:
    """Per input column, the values worth trying: every number an entry of the column names,
    one either side of it and halfway to the next, and every string it names."""
    from .feel import unary_tests_python

    samples = []
    for column in range(columns):
        numbers, strings = {0}, set()
        for tests in rule_tests:
            parsed = tests[column] if column < len(tests) else None
            if parsed is None:
                continue
            text = unary_tests_python(parsed)
            numbers |= {float(n) if "." in n else int(n) for n in _ENTRY_NUMBER.findall(text)}
            strings |= {a or b for a, b in _ENTRY_STRING.findall(text)}
        ordered = sorted(numbers)
        values = set(ordered)
        for low, high in zip(ordered, ordered[1:], strict=False):
            values.add((low + high) / 2)
        values |= {n - 1 for n in ordered} | {n + 1 for n in ordered} | {n + 2 for n in ordered}
        values |= {n * 2 for n in ordered} | {n * 10 for n in ordered}
        samples.append(sorted(values)[:200] + sorted(strings)[:50] + [True, False, None])
    return samples


def _entry_matches(parsed, value):
    """Does the entry accept ``value``? None when it cannot be told without the case's data
    (the entry reads another variable) or fails."""
    from .feel import unary_tests_python
    from .sandbox import SandboxEnvironment

    if parsed is None:
        return None
    if parsed.any:
        return True
    text = unary_tests_python(parsed)
    source = re.sub(r"""\?(?=(?:[^'"]|['"][^'"]*['"])*$)""", "dmninputexpr", text)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return None
    if _free_names(tree.body) - _SANDBOX_CALLABLES - {"dmninputexpr"}:
        return None
    try:
        return bool(SandboxEnvironment({}).evaluate(source, {"dmninputexpr": value}))
    except Exception:  # noqa: BLE001 - e.g. comparing a text with a number: no match
        return False


def _sampled_overlap(tests_a: list, tests_b: list, samples: list[list]):
    """Per-column values both rules accept (a proven overlap), or None if the samples show
    none (not a proof of no overlap: the run-time check in ``engine.dmn_unique`` remains)."""
    if len(tests_a) != len(tests_b) or len(tests_a) > len(samples):
        return None
    witness = []
    for column, (first, second) in enumerate(zip(tests_a, tests_b, strict=True)):
        if first is not None and first.any and second is not None and second.any:
            witness.append(None)
            continue
        found = [value for value in samples[column]
                 if _entry_matches(first, value) and _entry_matches(second, value)][:1]
        if not found:
            return None
        witness.append(_show(found[0]))
    return witness


def _rule_name(rule, index: int) -> str:
    description = (rule.findtext("{*}description") or "").strip()
    return f"规则{index}“{description}”" if description else f"规则{index}"


INF = float("inf")


@dataclass(frozen=True)
class ValueSet:
    """The values an input entry accepts: ``universal``; numeric intervals; or a finite set of
    other literals (``negated``: every value but those). ``None`` in a rule means unknown
    (the entry names a variable), which never counts as an overlap."""

    universal: bool = False
    intervals: tuple = ()  # ((low, low_closed, high, high_closed), ...)
    values: frozenset = frozenset()
    negated: bool = False

    @classmethod
    def from_tests(cls, tests) -> "ValueSet | None":
        if tests.any:
            return cls(universal=True)
        intervals, values = [], set()
        for test in tests.tests:
            if test.kind == "raw":
                return None
            if test.kind == "interval":
                if not (test.low.is_literal and test.high.is_literal):
                    return None
                intervals.append((test.low.literal, test.low_closed, test.high.literal,
                                  test.high_closed))
                continue
            value = test.value
            if not value.is_literal:
                return None
            literal = value.literal
            if isinstance(literal, bool) or not isinstance(literal, int | float):
                if test.op == "==":
                    values.add(literal)
                    continue
                return None
            intervals += {
                "==": [(literal, True, literal, True)],
                "!=": [(-INF, False, literal, False), (literal, False, INF, False)],
                "<": [(-INF, False, literal, False)], "<=": [(-INF, False, literal, True)],
                ">": [(literal, False, INF, False)], ">=": [(literal, True, INF, False)],
            }[test.op]
        if intervals and values:
            return None
        if values:
            return cls(values=frozenset(values), negated=tests.negated)
        if tests.negated:
            intervals = _complement(intervals)
        return cls(intervals=tuple(intervals))

    def common(self, other: "ValueSet"):
        """A value both accept ("" when the sets are universal), or None if none."""
        if self.universal and other.universal:
            return ""
        if self.universal or other.universal:
            return (other if self.universal else self).example()
        if self.intervals and other.intervals:
            for first in self.intervals:
                for second in other.intervals:
                    point = _intersect(first, second)
                    if point is not None:
                        return point
            return None
        if self.values or other.values:
            if self.intervals or other.intervals:
                return None
            if not self.negated and not other.negated:
                shared = self.values & other.values
                return _show(next(iter(shared))) if shared else None
            if self.negated and other.negated:
                return ""
            positive, negative = (other, self) if self.negated else (self, other)
            left = positive.values - negative.values
            return _show(next(iter(left))) if left else None
        return None

    def example(self):
        if self.intervals:
            return _intersect(self.intervals[0], (-INF, False, INF, False))
        if self.values and not self.negated:
            return _show(next(iter(self.values)))
        return ""


def _show(value) -> str:
    if isinstance(value, str):
        return f"\"{value}\""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return {True: "true", False: "false", None: "null"}.get(value, str(value)) \
        if value is None or isinstance(value, bool) else str(value)


def _intersect(first, second):
    low, low_closed = max((first[0], not first[1]), (second[0], not second[1]))
    low_closed = not low_closed
    high, high_open = min((first[2], not first[3]), (second[2], not second[3]))
    high_closed = not high_open
    if low > high or (low == high and not (low_closed and high_closed)):
        return None
    if low == high:
        return _show(low)
    if low == -INF:
        return _show(high if high_closed else (high - 1 if high != INF else 0))
    if high == INF:
        return _show(low if low_closed else low + 1)
    if low_closed:
        return _show(low)
    if high_closed:
        return _show(high)
    return _show((low + high) / 2)


def _complement(intervals: list) -> list:
    result, low, low_closed = [], -INF, False
    for start, start_closed, end, end_closed in sorted(intervals, key=lambda i: (i[0], not i[1])):
        if start > low or (start == low and not start_closed and low_closed):
            result.append((low, low_closed, start, not start_closed))
        if end > low or (end == low and end_closed):
            low, low_closed = end, not end_closed
    if low != INF:
        result.append((low, low_closed, INF, False))
    return [i for i in result if i[0] < i[2] or (i[0] == i[2] and i[1] and i[3])]


def _overlap(sets_a: list, sets_b: list):
    """Per-column example values where both rules match, or None if they cannot both."""
    if len(sets_a) != len(sets_b):
        return None
    witness = []
    for first, second in zip(sets_a, sets_b, strict=True):
        if first is None or second is None:
            return None
        value = first.common(second)
        if value is None:
            return None
        witness.append(value or None)
    return witness
