"""Run a draft diagram against sample data, in memory, to show a supervisor the path a case
would take — before deploying it.

Nothing is saved: no case, no inbox rows, no documents, no quota places. Service tasks are
recorded as steps (the runtime's script engine only records their effects; the effects are
never carried out here). User tasks are completed with the data given for them in
``decisions`` (by BPMN id), or with default data; waiting timers fire at once; boundary timers
and message events fire only when ``decisions`` has an entry for their id (``{}`` fires a
boundary timer, a dict is a message's payload; behind an event-based gateway, e.g. the 公示
segment, the entry names the catch event to take; without one, a timer behind the gateway
fires). The run stops when the process ends, when a step lacks data (a gateway or rule reads a
variable nobody set), or when it waits for something ``decisions`` does not provide.

It takes the path real cases take (validation ≡ execution): the runtime's own calls, the
inbox row each user task would become and the users it would be offered to
(``engine.services.human_task_preview``: lane / ``candidate_role`` / ``candidate_user``
resolved against the village), and the form the task page would show (``form_lookup``, the
procedure's). A step nobody would be offered, or one without a form, stops the run there
with the reason, as it would stop a real case.
"""
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .models import APPLICANT_ROLE, Role, Unit
from .validation import TYPE_NAMES, Problem, has_chinese, lanes_as_role_codes

MAX_STEPS = 200  # a diagram looping back forever (e.g. 补正 → 受理 with the same data)
_PAST = datetime(2000, 1, 1, tzinfo=UTC).isoformat()

# Default data for user tasks with a generic form (see engine.validation): approve.
GENERIC_DEFAULTS = {
    "generic:decision": {"decision": "approve", "opinion": "（试运行）"},
    "generic:opinion": {"opinion": "（试运行）"},
    "generic:confirm": {"confirmed": True, "opinion": "（试运行）"},
}


@dataclass
class Step:
    element_id: str
    name: str
    type: str  # BPMN element type, e.g. userTask
    type_name: str  # 用户任务
    role: str = ""  # lane / candidate role of a user task
    role_name: str = ""
    unit: Unit | None = None  # the unit whose users holding ``role`` receive it
    users: list[str] = field(default_factory=list)  # their usernames
    data: dict = field(default_factory=dict)  # what the step set (form data, rule outputs)

    @property
    def receiver(self) -> str:
        if not self.role:
            return ""
        if self.role == APPLICANT_ROLE:
            return "申请人"
        return f"{self.unit.name if self.unit else ''}{self.role_name or self.role}"


@dataclass
class DryRun:
    steps: list[Step] = field(default_factory=list)
    finished: bool = False
    stopped_at: str = ""  # element id where the run stopped
    stop_reason: str = ""  # Chinese
    stop_detail: str = ""  # the library's own text, if any (for the developer)
    data: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def path(self) -> list[str]:
        return [step.element_id for step in self.steps]


def _element_types(bpmn_xml) -> dict[str, str]:
    from lxml import etree

    from .feel import safe_xml

    return {element.get("id"): etree.QName(element).localname
            for element in safe_xml(bpmn_xml).iter()
            if isinstance(element.tag, str) and element.get("id")}


def dry_run(*, bpmn_xml: str, dmn_xmls: list[str], data: dict, village: Unit,
            decisions: dict[str, dict] | None = None, library=None,
            form_lookup=None) -> DryRun:
    """The path a case filed in ``village`` with application ``data`` would take through a
    draft, completing user tasks with ``decisions[task_id]`` (see the module docstring).
    ``form_lookup(spec_name, form_key)``: the form class the task page would use (raises
    LookupError when there is none); None skips the check."""
    from . import runtime
    from .feel import dmn_translate_feel

    decisions = decisions or {}
    result = DryRun()
    translated = []
    for dmn in dmn_xmls:
        text, problems = dmn_translate_feel(dmn)
        translated.append(text)
        result.problems += [p for p in problems if p.is_error]
    if result.problems:
        result.stop_reason = "决策表有错误，无法试运行：" + "；".join(
            p.message for p in result.problems)
        return result
    # Calls to other deployed definitions: the county's process library (engine.library).
    if library is None:
        from .library import resolve

        library = resolve(bpmn_xml, county=village.county)
    if library.problems:
        result.problems += [p for p in library.problems if p.is_error]
        result.stop_reason = "；".join(p.message for p in library.problems if p.is_error)
        return result
    try:
        process_id = runtime.executable_process_id(bpmn_xml)
        spec, subs = runtime.parse(lanes_as_role_codes(
            bpmn_xml, dict(Role.objects.values_list("code", "name"))), translated, process_id,
            library.files)
    except runtime.DefinitionError as exc:
        result.stop_reason = str(exc)
        return result
    county = village.county
    seed = {**data, "county_settings": dict(county.settings) if county else {}}
    workflow, _ = runtime.new_workflow(runtime.spec_to_json(spec, subs), seed)
    types = _element_types(bpmn_xml)
    for library_file in library.files:
        types = {**_element_types(library_file.bpmn_xml), **types}
    runner = _Runner(workflow, village, types, decisions, result)
    runner.form_lookup = form_lookup
    runner.run()
    result.data = runtime.workflow_data(workflow)
    return result


class _Runner:
    def __init__(self, workflow, village, types, decisions, result: DryRun):
        self.workflow = workflow
        self.village = village
        self.types = types
        self.decisions = decisions
        self.result = result
        self.seen: set = set()
        self.lanes: dict[str, str] = {}  # task id -> role it was offered to
        self.roles = {role.code: role for role in Role.objects.all()}
        self.form_lookup = None
        self.offers: dict[str, tuple] = {}  # task id -> (unit, usernames)

    def run(self) -> None:
        from . import runtime

        if not self._advance(runtime.run):
            return
        for _ in range(MAX_STEPS):
            if self.workflow.is_completed():
                self.result.finished = True
                return
            try:
                ready = runtime.ready_user_tasks(self.workflow)
            except runtime.RuntimeFailure as exc:
                self._stop_on_failure(exc)
                return
            if ready:
                task = ready[0]
                if not self._offer(task):
                    return
                given = self.decisions.get(task.spec_name)
                form_data = dict(given) if given is not None else dict(
                    GENERIC_DEFAULTS.get(task.properties.get("form", ""), {}))
                if not self._advance(lambda wf, t=task, d=form_data:
                                     runtime.complete_task(wf, t.task_id, d)):
                    return
                continue
            if not self._fire_waiting():
                return
        self._stop("", f"超过 {MAX_STEPS} 步仍未结束，流程可能在循环")

    # -- steps -------------------------------------------------------------------------------

    def _offer(self, task) -> bool:
        """Would the task reach someone, with a form to fill? As the inbox and the task page
        would answer it; False (with the reason) where a real case would stop."""
        from . import runtime
        from .services import human_task_preview

        where = f"“{task.title}”（{task.spec_name}）"
        self.lanes[task.task_id] = task.lane or ""
        try:
            row, users = human_task_preview(task, village=self.village)
        except runtime.RuntimeFailure as exc:
            text = str(exc)
            self._stop(task.spec_name,
                       text if task.spec_name in text else f"{where}无法交办：{text}")
            return False
        self.offers[task.task_id] = (row.candidate_unit, sorted(u.username for u in users))
        if row.lane != APPLICANT_ROLE and not users:
            role = self.roles.get(row.lane)
            what = f"“{role.name}”（{row.lane}）" if role else f"“{row.lane}”（不是已知角色）"
            self._stop(task.spec_name, f"{where}不会交给任何人：{self.village.name}所在辖区"
                                       f"没有{what}的在岗人员")
            return False
        if self.form_lookup is not None:
            try:
                self.form_lookup(task.spec_name, row.form_key)
            except LookupError:
                self._stop(task.spec_name, f"{where}没有可填写的表单：请在属性中设置 form"
                                           f"（如 generic:decision），或请开发人员提供专用表单")
                return False
        return True

    def _advance(self, action) -> bool:
        from . import runtime

        try:
            action(self.workflow)
        except runtime.RuntimeFailure as exc:
            self._record()
            self._stop_on_failure(exc)
            return False
        self._record()
        return True

    def _record(self) -> None:
        from SpiffWorkflow.util.task import TaskState

        completed = [task for task in self.workflow.get_tasks(state=TaskState.COMPLETED)
                     if task.id not in self.seen]
        for task in sorted(completed, key=lambda t: t.last_state_change):
            self.seen.add(task.id)
            spec = task.task_spec
            element_id = spec.bpmn_id
            element_type = self.types.get(element_id or "", "")
            if not element_id or not element_type or element_type == "process":
                continue
            parent_data = task.parent.data if task.parent is not None else {}
            changed = {key: value for key, value in task.data.items()
                       if key != "county_settings" and parent_data.get(key) != value}
            step = Step(element_id=element_id, name=spec.bpmn_name or element_id,
                        type=element_type, type_name=TYPE_NAMES.get(element_type, element_type),
                        data=changed)
            role = self.lanes.get(str(task.id))
            if role is not None:
                self._receivers(step, role, str(task.id))
            self.result.steps.append(step)

    def _receivers(self, step: Step, role_code: str, task_id: str) -> None:
        step.role = role_code
        role = self.roles.get(role_code)
        step.role_name = role.name if role else ""
        if role_code == APPLICANT_ROLE:
            return
        # What engine.services would offer (see ``_offer``).
        step.unit, step.users = self.offers.get(task_id, (None, []))

    def _stop(self, element_id: str, reason: str, detail: str = "") -> None:
        self.result.stopped_at = element_id
        self.result.stop_reason = reason
        self.result.stop_detail = detail

    def _stop_on_failure(self, exc) -> None:
        cause = exc.__cause__
        task = getattr(cause, "task", None)
        # A WorkflowException raised by a spec (e.g. a gateway) names the spec, not a task.
        spec = task.task_spec if task is not None else getattr(cause, "task_spec", None)
        element_id = (getattr(spec, "bpmn_id", None) or "") if spec is not None else ""
        name = (spec.bpmn_name or element_id) if spec is not None else ""
        inner = getattr(cause, "exception", None) or getattr(cause, "error", None)
        missing = getattr(inner, "name", None) if isinstance(inner, NameError) else None
        text = str(exc)
        if not missing:  # the sandbox's NameError, as SpiffWorkflow words it
            found = re.search(r"name '(\w+)' is not defined", text)
            missing = found.group(1) if found else None
        where = f"“{name}”（{element_id}）" if element_id else "流程"
        if missing:
            reason = f"{where}缺少数据：{missing}"
        elif "No conditions satisfied" in text:
            reason = f"{where}的出线条件都不满足，又没有默认路径，案件会在这里出错停止"
        elif has_chinese(text):
            reason, text = f"{where}运行出错：{text}", ""  # the engine's own (Chinese) words
        elif "Error evaluating expression" in text:
            found = re.search(r"Error evaluating expression '(.*?)'", text, re.S)
            expression = f"“{found.group(1)}”" if found else ""
            reason = f"{where}的表达式{expression}求值出错（原因见技术细节）"
        else:
            reason = f"{where}运行出错（原因见技术细节）"
        self._stop(element_id or "", reason, detail=text)

    def _fire_waiting(self) -> bool:
        """Fire what the run may fire now; False (with a reason) when nothing can move."""
        from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
        from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
            CycleTimerEventDefinition,
            TimerEventDefinition,
        )
        from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
        from SpiffWorkflow.util.task import TaskState

        from . import runtime

        waiting = [t for t in self.workflow.get_tasks(state=TaskState.WAITING)
                   if t.task_spec.bpmn_id]
        for task in waiting:
            spec = task.task_spec
            event = getattr(spec, "event_definition", None)
            chosen = spec.bpmn_id in self.decisions
            if isinstance(event, TimerEventDefinition) and (
                    chosen or not isinstance(spec, BoundaryEvent)):
                if isinstance(event, CycleTimerEventDefinition):
                    task._set_internal_data(event_value={"cycles": 0, "next": _PAST,
                                                         "duration": 0})
                else:
                    task._set_internal_data(event_value=_PAST)
                return self._advance(runtime.fire_timers)
            if isinstance(event, MessageEventDefinition) and chosen:
                payload = dict(self.decisions[spec.bpmn_id] or {})
                return self._advance(lambda wf, name=event.name, p=payload:
                                     runtime.send_message(wf, name, p))
            # An event-based gateway waits for its catch events' messages itself (in the
            # order of its outgoing flows); ``decisions`` names the catch event to take, and
            # without one a timer behind it fires (as it would in a case nobody answers).
            subs = getattr(event, "event_definitions", None) or []
            for output, sub in zip(spec.outputs, subs, strict=False):
                if isinstance(sub, MessageEventDefinition) and output.bpmn_id in self.decisions:
                    payload = dict(self.decisions[output.bpmn_id] or {})
                    return self._advance(lambda wf, name=sub.name, p=payload:
                                         runtime.send_message(wf, name, p))
            if any(isinstance(sub, TimerEventDefinition) for sub in subs):
                cycle = any(isinstance(sub, CycleTimerEventDefinition) for sub in subs)
                task._set_internal_data(event_value={"cycles": 0, "next": _PAST, "duration": 0}
                                        if cycle else _PAST)
                return self._advance(runtime.fire_timers)
        if waiting:
            names = "、".join(f"“{t.task_spec.bpmn_name or t.task_spec.bpmn_id}”"
                             f"（{t.task_spec.bpmn_id}）" for t in waiting)
            self._stop(waiting[0].task_spec.bpmn_id, f"流程在{names}等待外部事件；"
                                                     f"可在试运行数据中为它提供数据")
        else:
            self._stop("", "流程既没有结束，也没有可办理的任务")
        return False
