"""Run a draft diagram against sample data, in memory, to show a supervisor the path a case
would take — before deploying it.

Nothing is saved: no case, no inbox rows, no documents, no quota places. Service tasks are
recorded as steps (the runtime's script engine only records their effects; the effects are
never carried out here). User tasks are completed with the data given for them in
``decisions`` (by BPMN id), or with default data; waiting timers fire at once; boundary timers
and message events fire only when ``decisions`` has an entry for their id (``{}`` fires a
boundary timer, a dict is a message's payload; behind an event-based gateway, e.g. the 公示
segment, the entry names the catch event to take). The run stops when the process ends, when a
step lacks data (a gateway or rule reads a variable nobody set), or when it waits for
something ``decisions`` does not provide.
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .models import APPLICANT_ROLE, Role, RoleAssignment, Unit
from .validation import TYPE_NAMES, Problem

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
    stop_reason: str = ""
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
            decisions: dict[str, dict] | None = None) -> DryRun:
    """The path a case filed in ``village`` with application ``data`` would take through a
    draft, completing user tasks with ``decisions[task_id]`` (see the module docstring)."""
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
    try:
        process_id = runtime.executable_process_id(bpmn_xml)
        spec, subs = runtime.parse(bpmn_xml, translated, process_id)
    except runtime.DefinitionError as exc:
        result.stop_reason = str(exc)
        return result
    county = village.county
    seed = {**data, "county_settings": dict(county.settings) if county else {}}
    workflow, _ = runtime.new_workflow(runtime.spec_to_json(spec, subs), seed)
    runner = _Runner(workflow, village, _element_types(bpmn_xml), decisions, result)
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
        self.ancestors = []
        unit = village
        while unit is not None:
            self.ancestors.append(unit)
            unit = unit.parent

    def run(self) -> None:
        from . import runtime

        if not self._advance(runtime.run):
            return
        for _ in range(MAX_STEPS):
            if self.workflow.is_completed():
                self.result.finished = True
                return
            ready = runtime.ready_user_tasks(self.workflow)
            if ready:
                task = ready[0]
                self.lanes[task.task_id] = task.lane or ""
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
                self._receivers(step, role)
            self.result.steps.append(step)

    def _receivers(self, step: Step, role_code: str) -> None:
        step.role = role_code
        role = self.roles.get(role_code)
        step.role_name = role.name if role else ""
        if role_code == APPLICANT_ROLE or role is None or not role.level:
            return
        # Like engine.services: the task goes to holders of the role at the unit of the
        # role's level that contains the village (county roles see the whole county).
        step.unit = self.village.ancestor_at(role.level)
        step.users = sorted(RoleAssignment.objects.filter(
            role_id=role_code, unit__in=self.ancestors).values_list("user__username", flat=True))

    def _stop(self, element_id: str, reason: str) -> None:
        self.result.stopped_at = element_id
        self.result.stop_reason = reason

    def _stop_on_failure(self, exc) -> None:
        cause = exc.__cause__
        task = getattr(cause, "task", None)
        element_id = task.task_spec.bpmn_id if task is not None else ""
        name = (task.task_spec.bpmn_name or element_id) if task is not None else ""
        inner = getattr(cause, "exception", None) or getattr(cause, "error", None)
        missing = getattr(inner, "name", None) if isinstance(inner, NameError) else None
        if missing:
            reason = f"“{name}”（{element_id}）缺少数据：{missing}"
        else:
            reason = f"“{name}”（{element_id}）出错：{exc}" if element_id else str(exc)
        self._stop(element_id or "", reason)

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
            # order of its outgoing flows); ``decisions`` names the catch event to take.
            for output, sub in zip(spec.outputs, getattr(event, "event_definitions", None) or [],
                                   strict=False):
                if isinstance(sub, MessageEventDefinition) and output.bpmn_id in self.decisions:
                    payload = dict(self.decisions[output.bpmn_id] or {})
                    return self._advance(lambda wf, name=sub.name, p=payload:
                                         runtime.send_message(wf, name, p))
        if waiting:
            names = "、".join(f"“{t.task_spec.bpmn_name or t.task_spec.bpmn_id}”"
                             f"（{t.task_spec.bpmn_id}）" for t in waiting)
            self._stop(waiting[0].task_spec.bpmn_id, f"流程在{names}等待外部事件；"
                                                     f"可在试运行数据中为它提供数据")
        else:
            self._stop("", "流程既没有结束，也没有可办理的任务")
        return False
