"""Import a Camunda 7 model (Camunda Modeler's BPMN and DMN) into what this engine runs.

Camunda Modeler writes its behaviour in ``camunda:`` attributes and JUEL expressions, which
SpiffWorkflow ignores or cannot evaluate. ``camunda_import`` translates what has a meaning here
and lists, in Chinese, what it translated (before → after, so the supervisor sees the new
expression) and what it could not (Java classes, scripts in JavaScript, listeners...), which
then stays in the file for the supervisor to replace in the modeler. Nothing is guessed: an
expression that does not translate exactly is left as it was and listed.

What is translated:
  ``camunda:candidateGroups`` / lanes    → the lane renamed to the role code the county mapped
                                           the group (or lane name) to, or ``candidate_role``
  ``camunda:assignee`` / one candidate   → ``candidate_user`` (a mapped user name, or the
    user                                   variable an expression ``${approver}`` names)
  ``camunda:formKey`` / ``formData``     → ``form = generic:decision`` (no formKey:
                                           ``generic:opinion``)
  ``camunda:dueDate``                    → ``due_hours`` (ISO durations ``P3D``/``PT48H`` and
                                           ``${dateTime().plusDays(3).toDate()}``)
  JUEL conditions ``${amount > 1000}``   → sandboxed Python ``amount > 1000``; FEEL conditions
                                           (``language="feel"`` or ``=…``) likewise
  ``camunda:collection`` /               → the engine's multi-instance (collection declared as
    ``camunda:elementVariable``            ``bpmn:property``, ``loopDataInputRef``,
                                           ``inputDataItem``)
  ``camunda:decisionRef`` (+ result      → ``spiffworkflow:calledDecisionId`` (+ a post script
    variable)                              setting the result variable)
  a DMN DRD with several decisions       → one table file per decision; the decisions a
                                           called decision requires are called before it
This module knows no procedure and no database: the group mapping comes in as a dict (the
portal keeps it per county, ``engine.models.CamundaMapping``).
"""
import copy
import re
from dataclasses import dataclass, field

from lxml import etree

from .validation import BPMN_NS, CAMUNDA_NS, SPIFF_NS, expression_reasons, label

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
HUMAN = ("userTask", "manualTask", "task")  # a plain task is a confirmation step
# The mapping entry for tasks that have neither a lane nor a candidate group (Camunda's
# examples give most tasks only an assignee such as "demo").
DEFAULT_GROUP = "*"


class TranslationError(ValueError):
    """An expression that cannot be translated exactly; the message says why, in Chinese."""


@dataclass(frozen=True)
class Note:
    """One line of the import report: what was translated (``before`` → ``after``) or what
    could not be (``after`` empty, ``reason`` says why)."""

    element_id: str
    element: str  # 用户任务“审批”（approve）
    what: str  # 候选组、条件、办理期限...
    before: str
    after: str = ""
    reason: str = ""


@dataclass
class CamundaImport:
    bpmn_xml: str
    dmn_xmls: list[str]
    translated: list[Note] = field(default_factory=list)
    untranslated: list[Note] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # groups and lane names the file names
    users: list[str] = field(default_factory=list)  # literal assignees / candidate users

    @property
    def complete(self) -> bool:
        return not self.untranslated


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _parse(xml: str | bytes):
    from .feel import safe_xml

    return safe_xml(xml)


def is_camunda_file(xml: str | bytes) -> bool:
    """Does the file use Camunda 7 extensions (so the modeler should offer the import)?"""
    from .validation import uses_camunda

    try:
        return uses_camunda(_parse(xml))
    except Exception:  # noqa: BLE001 - not XML at all: the validation says so
        return False


# ---------------------------------------------------------------------------------------------
# JUEL → Python

_JUEL_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\+|-|\*|/|%|\?|:)
  | (?P<punct>[()\[\],.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)
_JUEL_WORDS = {"and": "and", "or": "or", "not": "not", "eq": "==", "ne": "!=", "lt": "<",
               "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%", "true": "True",
               "false": "False", "null": "None", "empty": "not"}
_JUEL_OPS = {"&&": "and", "||": "or", "!": "not"}
_CAMUNDA_OBJECTS = {"execution", "task", "authenticatedUserId", "variableScope",
                    "dateTime", "now"}
_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)


def juel_to_python(text: str) -> str:
    """``${amount > 1000 && !urgent}`` → ``amount > 1000 and not urgent``, or raise
    ``TranslationError``. Property paths become item access (``invoice.amount`` →
    ``invoice["amount"]``); method and function calls, ternaries and Camunda's own objects
    (``execution``, ``task``) do not translate."""
    match = _WRAPPED.match(text or "")
    if not match or "${" in match.group(1) or "#{" in match.group(1):
        raise TranslationError("不是单个 JUEL 表达式 ${…}")
    source, position, tokens = match.group(1), 0, []
    while position < len(source):
        token = _JUEL_TOKEN.match(source, position)
        if token is None:
            raise TranslationError(f"无法识别的字符“{source[position]}”")
        position = token.end()
        if token.lastgroup != "ws":
            tokens.append((token.lastgroup, token.group()))
    out: list[str] = []
    for index, (kind, value) in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ("end", "")
        previous = tokens[index - 1] if index else ("start", "")
        if kind == "op" and value in ("?", ":"):
            raise TranslationError("不支持条件运算符 ? :")
        if kind == "op":
            out.append(_JUEL_OPS.get(value, value))
        elif kind == "string":
            out.append(repr(value[1:-1].replace("\\'", "'").replace('\\"', '"')))
        elif kind == "number":
            out.append(value)
        elif kind == "punct" and value == ".":
            if following[0] != "name":
                raise TranslationError("“.”后应为属性名")
        elif kind == "punct":
            if value == "(" and previous[0] == "name" and previous[1] not in _JUEL_WORDS:
                raise TranslationError(f"调用了方法或函数 {previous[1]}()，无法翻译")
            out.append(value)
        elif kind == "name":
            if previous == ("punct", "."):
                if following == ("punct", "("):
                    raise TranslationError(f"调用了方法 {value}()，无法翻译")
                out[-1] += f"[{value!r}]"
                continue
            if value in _JUEL_WORDS:
                out.append(_JUEL_WORDS[value])
                continue
            if value in _CAMUNDA_OBJECTS:
                raise TranslationError(f"使用了 Camunda 的内部对象 {value}")
            if value.startswith("_"):
                raise TranslationError(f"变量名不能以下划线开头：{value}")
            out.append(value)
    python = " ".join(out)
    python = re.sub(r"\( ", "(", re.sub(r" \)", ")", python))
    python = re.sub(r"\[ ", "[", re.sub(r" \]", "]", python)).replace(" ,", ",")
    python = re.sub(r"\bnot\s+not\s+", "", python)
    reasons = expression_reasons(python)
    if reasons:
        raise TranslationError("；".join(reasons))
    return python


def condition_to_python(text: str, language: str = "") -> str:
    """A Camunda condition (JUEL ``${…}``, or FEEL when the language says so or it starts
    with ``=`` as Camunda 8 writes it) as a sandboxed Python expression."""
    from .feel import FeelError, translate_expression

    stripped = (text or "").strip()
    if "feel" in (language or "").lower() or stripped.startswith("="):
        try:
            python, _names = translate_expression(stripped.lstrip("="))
        except FeelError as exc:
            raise TranslationError(f"FEEL 表达式无法识别：{exc}") from exc
        reasons = expression_reasons(python)
        if reasons:
            raise TranslationError("；".join(reasons))
        return python
    return juel_to_python(stripped)


def _variable(text: str) -> str | None:
    """``${approvers}`` / ``approvers`` → ``approvers`` (a plain variable), else None."""
    match = _WRAPPED.match(text or "")
    inner = (match.group(1) if match else text or "").strip()
    return inner if inner.isidentifier() and not inner.startswith("_") else None


# ---------------------------------------------------------------------------------------------
# Due dates

_ISO = re.compile(r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")
_PLUS = re.compile(r"^\s*[$#]\{\s*dateTime\(\)((?:\.plus(?:Weeks|Days|Hours|Minutes)\(\d+\))+)"
                   r"\.toDate\(\)\s*\}\s*$")
_HOURS = {"Weeks": 168, "Days": 24, "Hours": 1, "Minutes": 1 / 60}


def due_hours(text: str) -> float:
    """Hours from now a ``camunda:dueDate`` means, or raise ``TranslationError``."""
    text = (text or "").strip()
    match = _ISO.match(text)
    if match and any(match.groupdict().values()):
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        return parts["w"] * 168 + parts["d"] * 24 + parts["h"] + parts["m"] / 60
    match = _PLUS.match(text)
    if match:
        return sum(_HOURS[unit] * int(number) for unit, number in
                   re.findall(r"plus(Weeks|Days|Hours|Minutes)\((\d+)\)", match.group(1)))
    raise TranslationError("只能翻译 ISO 时长（如 P3D、PT48H）或 ${dateTime().plusDays(3)"
                           ".toDate()}")


def _show_hours(hours: float) -> str:
    return str(int(hours)) if float(hours).is_integer() else f"{hours:.2f}"


# ---------------------------------------------------------------------------------------------
# The import


def camunda_names(bpmn_xml: str | bytes) -> tuple[list[str], list[str]]:
    """(groups, users) the file names: candidate groups and lane names (what a county maps to
    its roles), literal assignees and candidate users (mapped to user names)."""
    root = _parse(bpmn_xml)
    groups, users = [], []
    for lane in root.iter(_q(BPMN_NS, "lane")):
        if (lane.get("name") or "").strip():
            groups.append(lane.get("name").strip())
    for element in root.iter():
        if _local(element) not in HUMAN:
            continue
        for group in _split(element.get(_q(CAMUNDA_NS, "candidateGroups"))):
            if _variable(group) is None or not group.startswith(("$", "#")):
                groups.append(group)
        for attribute in ("assignee", "candidateUsers"):
            for user in _split(element.get(_q(CAMUNDA_NS, attribute))):
                if not user.startswith(("$", "#")):
                    users.append(user)
    return list(dict.fromkeys(groups)), list(dict.fromkeys(users))


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    if value.strip().startswith(("$", "#")):
        return [value.strip()]
    return [part.strip() for part in value.split(",") if part.strip()]


class _Importer:
    def __init__(self, root, group_roles: dict[str, str], user_names: dict[str, str]):
        self.root = root
        self.group_roles = {k: v for k, v in group_roles.items() if v}
        self.user_names = {k: v for k, v in user_names.items() if v}
        self.translated: list[Note] = []
        self.untranslated: list[Note] = []
        self.pending_results: list[tuple] = []  # business rule tasks with a result variable
        self.noted: set[str] = set()  # elements with a refusal listed already
        self.lane_of: dict[str, object] = {}
        for lane in root.iter(_q(BPMN_NS, "lane")):
            for ref in lane.findall(_q(BPMN_NS, "flowNodeRef")):
                if ref.text:
                    self.lane_of[ref.text.strip()] = lane

    def done(self, element, what, before, after):
        self.translated.append(Note(element.get("id") or "", label(element), what, before, after))

    def refused(self, element, what, before, reason):
        self.untranslated.append(Note(element.get("id") or "", label(element), what, before,
                                      "", reason))
        self.noted.add(element.get("id") or "")

    # -- helpers ----------------------------------------------------------------------------

    def properties(self, element):
        extensions = element.find(_q(BPMN_NS, "extensionElements"))
        if extensions is None:
            extensions = etree.Element(_q(BPMN_NS, "extensionElements"))
            element.insert(_documentation_end(element), extensions)
        holder = extensions.find(_q(SPIFF_NS, "properties"))
        if holder is None:
            holder = etree.SubElement(extensions, _q(SPIFF_NS, "properties"))
        return holder

    @staticmethod
    def property_names(element) -> set[str]:
        return {prop.get("name") for prop in element.iter(_q(SPIFF_NS, "property"))}

    def set_property(self, element, name: str, value: str) -> None:
        holder = self.properties(element)
        for prop in holder.findall(_q(SPIFF_NS, "property")):
            if prop.get("name") == name:
                prop.set("value", value)
                return
        etree.SubElement(holder, _q(SPIFF_NS, "property"), name=name, value=value)

    def spiff_extension(self, element, name: str, text: str) -> None:
        self.properties(element)  # makes extensionElements
        extensions = element.find(_q(BPMN_NS, "extensionElements"))
        node = extensions.find(_q(SPIFF_NS, name))
        if node is None:
            node = etree.SubElement(extensions, _q(SPIFF_NS, name))
        node.text = text

    @staticmethod
    def pop(element, name: str) -> str | None:
        return element.attrib.pop(_q(CAMUNDA_NS, name), None)

    # -- lanes and people -------------------------------------------------------------------

    def lanes(self) -> None:
        for lane in self.root.iter(_q(BPMN_NS, "lane")):
            name = (lane.get("name") or "").strip()
            if name in self.group_roles and self.group_roles[name] != name:
                lane.set("name", self.group_roles[name])
                self.done(lane, "泳道", name, self.group_roles[name])

    def human_task(self, task) -> None:
        lane = self.lane_of.get(task.get("id"))
        lane_role = (lane.get("name") or "").strip() if lane is not None else ""
        groups_text = self.pop(task, "candidateGroups")
        if groups_text:
            groups = _split(groups_text)
            variable = _variable(groups[0]) if groups[0].startswith(("$", "#")) else None
            role = self.group_roles.get(groups[0])
            if variable:
                self.set_property(task, "candidate_role", variable)
                self.done(task, "候选组", groups_text, f"candidate_role = {variable}（变量的值须为"
                                                       f"角色代码）")
            elif role and role == lane_role:
                self.done(task, "候选组", groups_text, f"泳道 {role}")
            elif role:
                self.set_property(task, "candidate_role", repr(role))
                self.done(task, "候选组", groups_text, f"candidate_role = {role!r}")
            else:
                task.set(_q(CAMUNDA_NS, "candidateGroups"), groups_text)
                self.refused(task, "候选组", groups_text,
                             f"组“{groups[0]}”没有对应的角色：请在“Camunda 组与角色对应”中设置")
            if len(groups) > 1 and (role or variable):
                self.refused(task, "候选组", groups_text,
                             f"本系统一个任务只交给一个角色，已取第一个组“{groups[0]}”，其余未翻译")
        default = self.group_roles.get(DEFAULT_GROUP)
        if default and lane is None and "candidate_role" not in self.property_names(task):
            self.set_property(task, "candidate_role", repr(default))
            self.done(task, "默认角色", "（没有泳道和候选组）", f"candidate_role = {default!r}")
        assignee = self.pop(task, "assignee")
        users = _split(self.pop(task, "candidateUsers"))
        if not assignee and len(users) == 1:
            assignee = users[0]
        elif users:
            task.set(_q(CAMUNDA_NS, "candidateUsers"), ",".join(users))
            self.refused(task, "候选人", ",".join(users),
                         "本系统的任务交给角色或一个人：请改用泳道或候选组")
        if assignee:
            variable = _variable(assignee) if assignee.startswith(("$", "#")) else None
            user = self.user_names.get(assignee)
            if variable:
                self.set_property(task, "candidate_user", variable)
                self.done(task, "办理人", assignee, f"candidate_user = {variable}")
            elif user:
                self.set_property(task, "candidate_user", repr(user))
                self.done(task, "办理人", assignee, f"candidate_user = {user!r}")
            else:
                task.set(_q(CAMUNDA_NS, "assignee"), assignee)
                self.refused(task, "办理人", assignee,
                             "办理人没有对应的用户或不是变量：请在“Camunda 组与角色对应”中设置")
        form_key = self.pop(task, "formKey")
        extensions = task.find(_q(BPMN_NS, "extensionElements"))
        form_data = extensions.find(_q(CAMUNDA_NS, "formData")) if extensions is not None \
            else None
        if form_data is not None:
            extensions.remove(form_data)
        form = "generic:decision" if form_key or form_data is not None else "generic:opinion"
        self.set_property(task, "form", form)
        shown = form_key or ("camunda:formData" if form_data is not None else "（无表单）")
        self.done(task, "表单", shown, f"form = {form}")
        due = self.pop(task, "dueDate")
        if due:
            try:
                hours = due_hours(due)
            except TranslationError as exc:
                task.set(_q(CAMUNDA_NS, "dueDate"), due)
                self.refused(task, "办理期限", due, str(exc))
            else:
                self.set_property(task, "due_hours", _show_hours(hours))
                self.done(task, "办理期限", due, f"due_hours = {_show_hours(hours)}")

    # -- expressions ------------------------------------------------------------------------

    def condition(self, owner, node, what="条件") -> None:
        text = (node.text or "").strip()
        if not text or not (text.startswith(("$", "#", "=")) or "feel" in (
                node.get("language") or "").lower()):
            return
        try:
            python = condition_to_python(text, node.get("language") or "")
        except TranslationError as exc:
            self.refused(owner, what, text, str(exc))
            return
        node.text = python
        node.attrib.pop("language", None)
        self.done(owner, what, text, python)

    def multi_instance(self, activity, loop) -> None:
        collection = self.pop(loop, "collection")
        element_variable = self.pop(loop, "elementVariable")
        if not collection:
            return
        name = _variable(collection)
        if name is None or (element_variable and not element_variable.isidentifier()):
            if collection:
                loop.set(_q(CAMUNDA_NS, "collection"), collection)
            if element_variable:
                loop.set(_q(CAMUNDA_NS, "elementVariable"), element_variable)
            self.refused(activity, "多实例集合", collection, "集合只能是一个变量名")
            return
        item = element_variable or f"{name}_item"
        existing = {p.get("id") for p in activity.findall(_q(BPMN_NS, "property"))}
        if name not in existing:
            prop = etree.Element(_q(BPMN_NS, "property"), id=name, name=name)
            loop.addprevious(prop)
        for child in list(loop):
            if _local(child) in ("loopDataInputRef", "inputDataItem", "loopCardinality"):
                loop.remove(child)
        ref = etree.Element(_q(BPMN_NS, "loopDataInputRef"))
        ref.text = name
        data_item = etree.Element(_q(BPMN_NS, "inputDataItem"), id=item, name=item)
        # Schema order: loopCardinality?, loopDataInputRef?, loopDataOutputRef?,
        # inputDataItem?, outputDataItem?, ...
        loop.insert(0, ref)
        output_ref = loop.find(_q(BPMN_NS, "loopDataOutputRef"))
        (output_ref if output_ref is not None else ref).addnext(data_item)
        self.done(activity, "多实例", f"collection={collection} elementVariable="
                                      f"{element_variable or ''}",
                  f"loopDataInputRef {name}，每项为 {item}")

    def business_rule(self, task) -> None:
        ref = self.pop(task, "decisionRef")
        if not ref:
            return
        self.spiff_extension(task, "calledDecisionId", ref)
        self.done(task, "决策表", f"camunda:decisionRef={ref}", f"calledDecisionId = {ref}")
        result = self.pop(task, "resultVariable")
        mapping = self.pop(task, "mapDecisionResult") or "resultList"
        if result:
            self.pending_results.append((task, ref, result, mapping))
        for name in ("decisionRefBinding", "decisionRefVersion", "decisionRefTenantId"):
            self.pop(task, name)

    def timer(self, event, node) -> None:
        """Camunda reads ``PT5M`` as a duration; here a timer is an expression, so a literal
        is quoted, and ``${due}`` becomes the variable."""
        text = (node.text or "").strip()
        if not text or text.startswith(('"', "'")):
            return
        if re.match(r"^(R\d*/)?P(?=\d|T)[\dWDTHMS.]*$|^\d{4}-\d{2}-\d{2}", text):
            node.text = f'"{text}"'
            self.done(event, "定时", text, node.text)
            return
        variable = _variable(text) if text.startswith(("$", "#")) else None
        if variable:
            node.text = variable
            self.done(event, "定时", text, variable)
        elif text.startswith(("$", "#")):
            self.refused(event, "定时", text, "定时表达式只能翻译 ISO 文字或一个变量")
        elif not text.isidentifier():
            self.refused(event, "定时", text, "Camunda 的 cron 等定时写法无法翻译：请改为 ISO 8601"
                                              "（如 \"R/PT5M\"）")


def _documentation_end(element) -> int:
    index = 0
    for index, child in enumerate(element):  # noqa: B007
        if _local(child) != "documentation":
            return index
    return len(element)


def _outputs_by_decision(dmn_roots) -> dict[str, list[str]]:
    found = {}
    for root in dmn_roots:
        for decision in root.iter("{*}decision"):
            table = decision.find("{*}decisionTable")
            outputs = [o.get("name") for o in table.findall("{*}output")] \
                if table is not None else []
            found[decision.get("id")] = [o for o in outputs if o]
    return found


def _result_script(result: str, mapping: str, outputs: list[str]) -> str | None:
    if not result.isidentifier() or not outputs:
        return None
    if mapping in ("singleEntry", "collectEntries") and len(outputs) == 1:
        return f"{result} = {outputs[0]}"
    if mapping == "singleResult":
        return f"{result} = {{{', '.join(f'{o!r}: {o}' for o in outputs)}}}"
    return None


# ---------------------------------------------------------------------------------------------
# DMN: one table per decision, requirements called before


@dataclass
class _Decision:
    id: str
    name: str
    requires: list[str]
    xml: str


def split_drd(dmn_xml: str | bytes) -> tuple[list[_Decision], list[Note]]:
    """Every decision table of a DMN file as a file of its own (DMNDI kept for its shape),
    with the decisions it requires. Decisions that are not tables are reported."""
    root = _parse(dmn_xml)
    decisions = root.findall("{*}decision")
    notes = []
    result = []
    for decision in decisions:
        requires = [req.get("href", "").lstrip("#") for req in
                    decision.findall("{*}informationRequirement/{*}requiredDecision")]
        requires = list(dict.fromkeys(r for r in requires if r))
        if decision.find("{*}decisionTable") is None:
            notes.append(Note(decision.get("id") or "", f"决策“{decision.get('name') or ''}”",
                              "决策", decision.get("id") or "", "",
                              "不是决策表（如文字表达式），无法翻译"))
            continue
        if len(decisions) == 1 and not decision.findall("{*}informationRequirement"):
            result.append(_Decision(decision.get("id"), decision.get("name") or "", [],
                                    _strip_camunda_dmn(root)))
            continue
        single = copy.deepcopy(root)
        for other in list(single):
            if not isinstance(other.tag, str):
                continue
            if _local(other) == "decision" and other.get("id") == decision.get("id"):
                for requirement in other.findall("{*}informationRequirement"):
                    other.remove(requirement)
                continue
            if _local(other) in ("decision", "inputData", "knowledgeSource",
                                 "businessKnowledgeModel", "association", "textAnnotation"):
                single.remove(other)
        _keep_shapes(single, decision.get("id"))
        result.append(_Decision(decision.get("id"), decision.get("name") or "", requires,
                                _strip_camunda_dmn(single)))
    return result, notes


def _keep_shapes(root, decision_id: str) -> None:
    for dmndi in root.iter("{*}DMNDI"):
        for diagram in dmndi.iter("{*}DMNDiagram"):
            for shape in list(diagram):
                if _local(shape) in ("DMNShape", "DMNEdge") and \
                        shape.get("dmnElementRef") != decision_id:
                    diagram.remove(shape)


def _strip_camunda_dmn(root) -> str:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in list(element.attrib):
            if etree.QName(name).namespace == "http://camunda.org/schema/1.0/dmn":
                del element.attrib[name]
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode")


def _insert_required_decisions(importer: _Importer, decisions: dict[str, _Decision]) -> None:
    """Before each business rule task calling a decision that requires others, call the
    required ones (deepest first) in business rule tasks of their own."""
    for task in list(importer.root.iter(_q(BPMN_NS, "businessRuleTask"))):
        node = task.find(f"{_q(BPMN_NS, 'extensionElements')}/{_q(SPIFF_NS, 'calledDecisionId')}")
        called = (node.text or "").strip() if node is not None else ""
        if called not in decisions:
            continue
        order = _required_order(called, decisions)
        missing = [d for d in order if d not in decisions]
        if missing:
            importer.refused(task, "决策依赖", "、".join(missing),
                             "依赖的决策不在上传的 DMN 文件中")
            continue
        previous = None
        for required in order:
            previous = _insert_before(importer.root, task, required, decisions[required].name)
        if previous is not None:
            importer.done(task, "决策依赖", f"{called} 依赖 {'、'.join(order)}",
                          f"在它之前依次调用 {'、'.join(order)}")


def _required_order(called: str, decisions: dict[str, _Decision]) -> list[str]:
    """The decisions ``called`` requires, each after those it requires (a cycle is cut)."""
    order: list[str] = []

    def visit(decision_id, trail=()):
        if decision_id in trail:
            return
        for required in decisions[decision_id].requires if decision_id in decisions else ():
            visit(required, (*trail, decision_id))
            if required not in order:
                order.append(required)

    visit(called)
    return order


def _insert_before(root, task, decision_id: str, name: str):
    """A business rule task calling ``decision_id`` on every flow into ``task``."""
    process = task.getparent()
    new_id = f"{task.get('id')}__{decision_id}"
    new = etree.Element(_q(BPMN_NS, "businessRuleTask"), id=new_id, name=name or decision_id)
    extensions = etree.SubElement(new, _q(BPMN_NS, "extensionElements"))
    etree.SubElement(extensions, _q(SPIFF_NS, "calledDecisionId")).text = decision_id
    task.addprevious(new)
    for flow in process.findall(_q(BPMN_NS, "sequenceFlow")):
        if flow.get("targetRef") == task.get("id"):
            flow.set("targetRef", new_id)
    for incoming in task.findall(_q(BPMN_NS, "incoming")):
        task.remove(incoming)
        new.insert(1, incoming)
    flow_id = f"{new_id}__flow"
    flow = etree.SubElement(process, _q(BPMN_NS, "sequenceFlow"), id=flow_id, sourceRef=new_id,
                            targetRef=task.get("id"))
    flow.tail = "\n"
    etree.SubElement(new, _q(BPMN_NS, "outgoing")).text = flow_id
    incoming = etree.Element(_q(BPMN_NS, "incoming"))
    incoming.text = flow_id
    task.insert(_documentation_end(task) + (1 if task.find(_q(BPMN_NS, "extensionElements"))
                                           is not None else 0), incoming)
    _draw_before(root, task.get("id"), new_id, flow_id)
    lane = next((lane for lane in root.iter(_q(BPMN_NS, "lane"))
                 for ref in lane.findall(_q(BPMN_NS, "flowNodeRef"))
                 if (ref.text or "").strip() == task.get("id")), None)
    if lane is not None:
        etree.SubElement(lane, _q(BPMN_NS, "flowNodeRef")).text = new_id
    return new


def _draw_before(root, task_id: str, new_id: str, flow_id: str) -> None:
    """A shape for the new task above the one it precedes, and an edge between them."""
    for plane in root.iter(_q(BPMNDI_NS, "BPMNPlane")):
        shape = next((s for s in plane.findall(_q(BPMNDI_NS, "BPMNShape"))
                      if s.get("bpmnElement") == task_id), None)
        bounds = shape.find(_q(DC_NS, "Bounds")) if shape is not None else None
        if bounds is None:
            continue
        x, y = float(bounds.get("x")), float(bounds.get("y"))
        width, height = float(bounds.get("width")), float(bounds.get("height"))
        new_shape = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNShape"), id=f"{new_id}_di",
                                     bpmnElement=new_id)
        etree.SubElement(new_shape, _q(DC_NS, "Bounds"), x=str(x), y=str(y - height - 40),
                         width=str(width), height=str(height))
        edge = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNEdge"), id=f"{flow_id}_di",
                                bpmnElement=flow_id)
        etree.SubElement(edge, _q(DI_NS, "waypoint"), x=str(x + width / 2), y=str(y - 40))
        etree.SubElement(edge, _q(DI_NS, "waypoint"), x=str(x + width / 2), y=str(y))


# ---------------------------------------------------------------------------------------------
# Entry point

_NOT_TRANSLATED = {
    "class": "调用 Java 类", "delegateExpression": "调用 Java 对象", "expression": "调用表达式",
    "type": "外部任务（external task）", "topic": "外部任务主题", "resultVariable": "结果变量",
    "async": "异步执行", "asyncBefore": "异步执行", "asyncAfter": "异步执行",
    "exclusive": "独占执行", "jobPriority": "作业优先级", "followUpDate": "跟进日期",
    "priority": "任务优先级", "candidateStarterGroups": "可发起的组",
    "candidateStarterUsers": "可发起的用户", "initiator": "发起人变量",
    "versionTag": "版本标签", "historyTimeToLive": "历史保留期", "calledElementBinding": "",
    "caseRef": "调用 CMMN 案例", "isStartableInTasklist": "",
}
# Attributes the translation keeps (with a note saying why) when it cannot translate them.
_LISTED_WHERE_KEPT = {"candidateGroups", "assignee", "candidateUsers", "dueDate", "collection",
                      "elementVariable", "resultVariable"}
_IGNORED = {"historyTimeToLive", "versionTag", "isStartableInTasklist", "exclusive",
            "jobPriority", "async", "asyncBefore", "asyncAfter", "priority",
            "calledElementBinding", "calledElementVersion", "calledElementTenantId",
            "taskPriority", "candidateStarterGroups", "candidateStarterUsers", "initiator"}


def camunda_import(*, bpmn_xml: str | bytes, dmn_xmls: list[str | bytes] | tuple = (),
                   group_roles: dict[str, str] | None = None,
                   user_names: dict[str, str] | None = None) -> CamundaImport:
    """Translate a Camunda 7 diagram and its decision tables (see the module docstring).
    ``group_roles``: Camunda group or lane name → role code (``"*"``: the role of tasks with
    neither lane nor candidate group); ``user_names``: Camunda user → user name here.
    Raises ``lxml.etree.XMLSyntaxError`` / ``feel.FeelError`` for a file that
    is not XML."""
    root = _parse(bpmn_xml)
    groups, users = camunda_names(bpmn_xml)
    importer = _Importer(root, group_roles or {}, user_names or {})
    importer.lanes()
    for element in list(root.iter()):
        local = _local(element)
        if local in HUMAN:
            importer.human_task(element)
        elif local == "conditionExpression":
            importer.condition(_owner(element), element)
        elif local in ("completionCondition", "loopCardinality"):
            importer.condition(_owner(element), element,
                               "多实例完成条件" if local == "completionCondition" else "多实例数量")
        elif local == "multiInstanceLoopCharacteristics":
            importer.multi_instance(element.getparent(), element)
        elif local == "businessRuleTask":
            importer.business_rule(element)
        elif local in ("timeDuration", "timeDate", "timeCycle"):
            importer.timer(_owner(element), element)
        elif local == "startEvent":
            form_key = importer.pop(element, "formKey")
            if form_key:
                importer.done(element, "开始表单", form_key, "申请表单由本系统的事项提供")
    # DMN: one file per decision, result variables, requirements.
    decisions: dict[str, _Decision] = {}
    dmn_notes: list[Note] = []
    for dmn in dmn_xmls:
        split, notes = split_drd(dmn)
        dmn_notes += notes
        for decision in split:
            decisions[decision.id] = decision
        if len(split) > 1 or any(d.requires for d in split):
            importer.translated.append(Note(
                "", "决策表文件", "决策需求图（DRD）", "、".join(d.id for d in split),
                "每个决策一张表：" + "；".join(
                    d.id + (f"（依赖 {'、'.join(d.requires)}）" if d.requires else "")
                    for d in split)))
    importer.untranslated += dmn_notes
    outputs = _outputs_by_decision([_parse(d.xml) for d in decisions.values()])
    for task, ref, result, mapping in importer.pending_results:
        script = _result_script(result, mapping, outputs.get(ref, []))
        if script == f"{result} = {result}":
            importer.done(task, "结果变量", f"{result}（{mapping}）", f"输出列 {result} 即结果")
            continue
        if script is None:
            task.set(_q(CAMUNDA_NS, "resultVariable"), result)
            importer.refused(task, "结果变量", f"{result}（{mapping}）",
                             "只能翻译单个输出列的 singleEntry/collectEntries 或 singleResult；"
                             "决策表的输出列按列名直接成为变量")
            continue
        importer.spiff_extension(task, "postScript", script)
        importer.done(task, "结果变量", f"{result}（{mapping}）", script)
    _insert_required_decisions(importer, decisions)
    # Everything Camunda that is left: listed, never silently dropped.
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).namespace == CAMUNDA_NS:
            owner = _owner(element)
            if _local(element) in ("in", "out") and owner is not None and \
                    _local(owner) == "callActivity":
                importer.refused(owner, "调用参数", f"camunda:{_local(element)} "
                                 f"{element.get('source') or element.get('sourceExpression')}"
                                 f" → {element.get('target')}",
                                 "调用活动会把全部数据带入被调用的流程；如需限定，请在被调用流程中"
                                 "声明输入输出")
            elif owner is not None and _local(element) in (
                    "taskListener", "executionListener", "inputOutput", "connector",
                    "field", "properties", "failedJobRetryTimeCycle"):
                importer.refused(owner, "Camunda 扩展", f"camunda:{_local(element)}",
                                 "本系统不执行 Camunda 的监听器、脚本或连接器")
            continue
        for name in list(element.attrib):
            if etree.QName(name).namespace != CAMUNDA_NS:
                continue
            local = etree.QName(name).localname
            value = element.get(name)
            if local in _IGNORED:
                del element.attrib[name]
                continue
            if local in _LISTED_WHERE_KEPT and (element.get("id") or "") in importer.noted:
                continue  # kept on purpose above, with its reason
            what = _NOT_TRANSLATED.get(local) or f"camunda:{local}"
            importer.refused(element, what, f"camunda:{local}=\"{value}\"",
                             "本系统无法执行：请改用本系统的服务任务操作或用户任务")
    for element in root.iter(_q(BPMN_NS, "scriptTask")):
        script_format = (element.get("scriptFormat") or "").lower()
        if script_format and script_format not in ("python", "python3"):
            importer.refused(element, "脚本", script_format,
                             "本系统只运行 Python 表达式脚本，请改写脚本")
    _drop_empty_extensions(root)
    etree.cleanup_namespaces(root, top_nsmap={"spiffworkflow": SPIFF_NS})
    xml = etree.tostring(root, encoding="unicode")
    return CamundaImport(
        bpmn_xml='<?xml version="1.0" encoding="UTF-8"?>\n' + xml,
        dmn_xmls=[d.xml for d in decisions.values()],
        translated=importer.translated, untranslated=importer.untranslated,
        groups=groups, users=users)


def _owner(element):
    return next((a for a in element.iterancestors()
                 if etree.QName(a).namespace == BPMN_NS and a.get("id")
                 and _local(a) != "extensionElements"), None)


def _drop_empty_extensions(root) -> None:
    for holder in list(root.iter(_q(SPIFF_NS, "properties"))):
        if len(holder) == 0:
            holder.getparent().remove(holder)
    for extensions in list(root.iter(_q(BPMN_NS, "extensionElements"))):
        if len(extensions) == 0 and not (extensions.text or "").strip():
            extensions.getparent().remove(extensions)
