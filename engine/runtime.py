"""The only place that touches SpiffWorkflow: parsing, the script engine, serialisation.

Everything else in the product calls ``engine.services``; nothing outside ``engine`` imports
SpiffWorkflow.
"""
import copy
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from . import dmn_unique
from .sandbox import SandboxEnvironment, UnsafeExpression

dmn_unique.install()  # a UNIQUE table with two matching rules stops with a Chinese error

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
SERIALIZER_VERSION = SERIALIZER.VERSION

# Service-task operations the engine understands. Diagrams call them with
# <spiffworkflow:serviceTaskOperator id="issue_document"> and parameters.
SERVICE_OPERATIONS = {
    # Optional ``issuer``: "county", "township" or "decider" (the default: the level of the
    # user task whose completion led to the document, see ``deciding_task_id``).
    "issue_document": {"doc_type"},
    # Optional ``wait`` (True): when the quota is full the case goes on the waiting list (候补)
    # instead of being refused; the engine answers ``quota_granted`` / ``quota_waiting``
    # (an event-based gateway must follow, see engine.validation).
    "reserve_quota": {"key", "level"},
    # Also takes the case off the quota's waiting list; a freed place goes to the first
    # waiting case.
    "release_quota": {"key"},
    "run_action": {"action"},
    # Case clocks (engine.clocks): a deadline on the whole case.
    "start_clock": {"name", "hours"},
    "stop_clock": {"name"},
    # Public notices (engine/notices.py): optional ``days`` and ``title`` parameters.
    "open_public_notice": {"notice_type"},
    "resolve_notice_objection": {"outcome"},
}


class DefinitionError(ValueError):
    """A diagram or decision table cannot be deployed; the message says why (in Chinese)."""


class RuntimeFailure(RuntimeError):
    """The workflow failed while running (a script error, a missing variable...)."""


@dataclass
class Effect:
    """A side effect a service task asked for while the workflow ran.

    The workflow run is pure; effects are carried out by ``engine.services`` in the same
    transaction that saves the new state, so a rolled-back run leaves no document behind.
    """

    operation: str
    params: dict
    task_spec: str
    data: dict = field(default_factory=dict)
    # Id of the user task whose completion led here (the decider), None when an event
    # (timer, message) or the start did; see ``deciding_task_id``.
    decider_task: str | None = None


class ScriptEngine(PythonScriptEngine):
    """Sandboxed expressions plus service tasks that record effects."""

    def __init__(self):
        super().__init__(environment=SandboxEnvironment({}))
        self.effects: list[Effect] = []

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        if operation_name not in SERVICE_OPERATIONS:
            raise WorkflowException(f"未知的服务操作：{operation_name}", task_spec=task.task_spec)
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        self.effects.append(Effect(operation_name, params, task.task_spec.bpmn_id,
                                   copy.deepcopy(task.data), deciding_task_id(task)))
        return json.dumps(params)


def deciding_task_id(task) -> str | None:
    """The user task whose completion led to ``task``: the nearest completed manual task up
    the task tree (across subprocess boundaries). None when a catch event with a trigger (a
    timer, a message, a signal) comes first — then no person's completion caused it — or
    when the path goes back to the start."""
    from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
    from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

    node = task.parent
    workflow = task.workflow
    while True:
        while node is not None:
            spec = node.task_spec
            if getattr(spec, "manual", False):
                return str(node.id)
            if isinstance(spec, LoopTask):
                # A multi-instance user task: its instances are children, not ancestors, of
                # what follows; the decider is the instance completed last.
                instances = [child for child in node.children
                             if getattr(child.task_spec, "manual", False)
                             and child.state == TaskState.COMPLETED]
                if instances:
                    return str(max(instances, key=lambda t: t.last_state_change).id)
            if isinstance(spec, CatchingEvent) and not isinstance(
                    getattr(spec, "event_definition", None), (NoneEventDefinition, type(None))):
                return None
            node = node.parent
        parent_id = getattr(workflow, "parent_task_id", None)
        if parent_id is None:
            return None
        node = workflow.top_workflow.get_task_from_id(parent_id)
        if node is None:
            return None
        workflow = node.workflow
        node = node.parent


def _to_bytes(xml: str | bytes) -> bytes:
    return xml.encode("utf-8") if isinstance(xml, str) else xml


def executable_process_id(bpmn_xml: str | bytes) -> str:
    """The id of the diagram's executable process (the first one if none is marked)."""
    try:
        root = etree.fromstring(_to_bytes(bpmn_xml))  # noqa: S320 - lxml, no entity resolution below
    except etree.XMLSyntaxError as exc:
        raise DefinitionError(f"BPMN 文件不是合法的 XML：{exc}") from exc
    processes = root.findall("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    if not processes:
        raise DefinitionError("BPMN 文件中没有流程（process）元素")
    for process in processes:
        if process.get("isExecutable") == "true":
            return process.get("id")
    return processes[0].get("id")


def parse(bpmn_xml: str | bytes, dmn_xmls: list[str | bytes], process_id: str,
          library=()):
    """Parse a diagram and its tables into (spec, subprocess_specs) or raise DefinitionError.

    ``library``: the ``engine.library.LibraryFile``s of the processes its call activities
    call in other deployed definitions (``engine.library.resolve``); their specs land in
    ``subprocess_specs``, so the stored spec pins the called versions."""
    from .library import mark_called_executable

    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_str(mark_called_executable(_to_bytes(bpmn_xml)))
        for dmn in dmn_xmls:
            parser.add_dmn_str(_to_bytes(dmn))
        add_library(parser, bpmn_xml, library)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except etree.XMLSyntaxError as exc:
        raise DefinitionError(f"文件不是合法的 XML：{exc}") from exc
    except (SpiffWorkflowException, ValueError, KeyError) as exc:
        raise DefinitionError(f"流程无法解析：{exc}") from exc
    return spec, subprocess_specs


def add_library(parser, bpmn_xml: str | bytes, library) -> None:
    """Add the called definitions' files (and their tables) to a parser."""
    if not library:
        return
    from .library import parser_copies

    for copy_xml in parser_copies(_to_bytes(bpmn_xml), library):
        parser.add_bpmn_str(copy_xml)
    for library_file in library:
        for dmn in library_file.dmn_xmls:
            parser.add_dmn_str(_to_bytes(dmn))


def spec_to_json(spec, subprocess_specs) -> str:
    """Serialise a parsed spec once per definition version (JSON text)."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ScriptEngine())
    dct = SERIALIZER.to_dict(workflow)
    return json.dumps({"spec": dct["spec"], "subprocess_specs": dct["subprocess_specs"]},
                      ensure_ascii=False)


def new_workflow(spec_json, data: dict, *, spec_key=None) -> tuple[BpmnWorkflow, ScriptEngine]:
    """A fresh workflow for a spec stored as JSON text, seeded with ``data``. With
    ``spec_key`` see ``load``."""
    engine = ScriptEngine()
    spec, subs = _specs(spec_json, spec_key)
    workflow = BpmnWorkflow(spec, dict(subs), script_engine=engine)
    workflow.task_tree.set_data(**data)
    return workflow, engine


# Parsed specs per definition version, in this process: rebuilding a spec from its JSON was
# most of every load for the small diagrams (bench/README.md). A deployed definition never
# changes, so the key (the definition's pk and content hash, given by the caller) never goes
# stale and needs no invalidation across processes; each process keeps its own. Spec objects
# hold no per-instance state (one parsed spec runs any number of workflows), so one cached
# spec is shared by the workflows built from it.
_SPEC_CACHE: OrderedDict = OrderedDict()
_SPEC_CACHE_SIZE = 64
_SPEC_CACHE_LOCK = threading.Lock()


def _specs_from_json(spec_json: str):
    specs = json.loads(spec_json)
    return (SERIALIZER.from_dict(specs["spec"]),
            {name: SERIALIZER.from_dict(sub) for name, sub in specs["subprocess_specs"].items()})


def _specs(spec_json, spec_key):
    """(spec, subprocess_specs) of a stored spec. ``spec_json`` is the JSON text, or a
    callable returning it (read only when the spec is not cached, so the caller need not
    load the column). Without ``spec_key`` nothing is cached."""
    if spec_key is None:
        return _specs_from_json(spec_json() if callable(spec_json) else spec_json)
    key = (*spec_key, SERIALIZER_VERSION)
    with _SPEC_CACHE_LOCK:
        found = _SPEC_CACHE.get(key)
        if found is not None:
            _SPEC_CACHE.move_to_end(key)
            return found
    found = _specs_from_json(spec_json() if callable(spec_json) else spec_json)
    with _SPEC_CACHE_LOCK:
        _SPEC_CACHE[key] = found
        while len(_SPEC_CACHE) > _SPEC_CACHE_SIZE:
            _SPEC_CACHE.popitem(last=False)
    return found


def load(spec_json, state: str, *, spec_key=None) -> tuple[BpmnWorkflow, ScriptEngine]:
    """Rebuild a workflow from its stored state (JSON text). The script engine is not
    serialised, so a fresh sandboxed one is attached on every load (otherwise the sandbox
    silently vanishes). ``spec_key`` (e.g. the definition's pk and content hash) reuses the
    spec parsed for that version in this process; ``spec_json`` may then be a callable."""
    dct = json.loads(state)
    if dct.get(SERIALIZER.VERSION_KEY) == SERIALIZER_VERSION:
        # The serializer's registry passes objects it does not know through unchanged, so
        # the state is restored around spec objects built once.
        spec, subs = _specs(spec_json, spec_key)
        dct["spec"], dct["subprocess_specs"] = spec, dict(subs)
    else:  # an older state format: the library migrates the whole dictionary
        specs = json.loads(spec_json() if callable(spec_json) else spec_json)
        dct["spec"] = specs["spec"]
        dct["subprocess_specs"] = specs["subprocess_specs"]
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.from_dict(dct)
    engine = ScriptEngine()
    workflow.script_engine = engine
    return workflow, engine


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow's state without its spec (stored once on the definition), as JSON text."""
    dct = SERIALIZER.to_dict(workflow)
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER_VERSION
    return json.dumps(dct, ensure_ascii=False, separators=(",", ":"))


def run(workflow: BpmnWorkflow) -> None:
    """Advance automatic steps (scripts, gateways, DMN, service tasks, due timers)."""
    try:
        workflow.do_engine_steps()
    except UnsafeExpression as exc:
        raise RuntimeFailure(f"表达式不安全：{exc}") from exc
    except SpiffWorkflowException as exc:
        raise RuntimeFailure(str(exc)) from exc


def fire_timers(workflow: BpmnWorkflow) -> None:
    """Fire timers whose time has come, then advance."""
    try:
        workflow.refresh_timers()
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise RuntimeFailure(str(exc)) from exc


@dataclass
class ReadyTask:
    """What the inbox needs to know about a ready user task."""

    task_id: str
    spec_name: str
    title: str
    lane: str | None  # the role the task is offered to
    properties: dict
    data: dict = field(default_factory=dict)  # the ``task_data`` property's value


def task_properties(task_spec) -> dict:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))


# User-task properties that are Python expressions evaluated in the task's own data (so a
# multi-instance child can be titled, routed and timed by its item). ``due_*`` may also be
# plain numbers.
EXPRESSION_PROPERTIES = ("candidate_role", "candidate_user", "title", "task_data",
                         "due_working_days", "due_hours", "decision_limit")


def _evaluate_property(workflow, task, name: str, expression: str):
    if name.startswith("due_"):
        try:
            return float(expression)
        except ValueError:
            pass
    try:
        return workflow.script_engine.evaluate(task, expression)
    except SpiffWorkflowException as exc:
        raise RuntimeFailure(f"任务“{task.task_spec.bpmn_name}”的属性 {name} 无法计算：{exc}") \
            from exc


def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    """Ready user tasks. Properties ``candidate_role`` (the role to offer the task to, e.g.
    ``"department:" + department`` for one child of a multi-instance task per department),
    ``candidate_user`` (a username: the task is assigned to that person, e.g. one signer of a
    countersign step), ``title``, ``task_data`` (a dict shown to the task's form) and
    ``due_working_days`` /
    ``due_hours`` are evaluated in the task's data; without ``candidate_role`` the task goes
    to its lane."""
    tasks = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        properties = task_properties(spec)
        for name in EXPRESSION_PROPERTIES:
            if properties.get(name):
                properties[name] = _evaluate_property(workflow, task, name, properties[name])
        if not properties.get("form") and _is_confirmation(spec):
            properties["form"] = CONFIRM_FORM
        task_data = properties.pop("task_data", None) or {}
        if not isinstance(task_data, dict):
            raise RuntimeFailure(f"任务“{spec.bpmn_name}”的 task_data 必须是字典")
        tasks.append(ReadyTask(
            task_id=str(task.id),
            spec_name=spec.bpmn_id or spec.name,
            title=str(properties.get("title") or spec.bpmn_name or spec.bpmn_id or spec.name),
            lane=str(properties["candidate_role"]) if properties.get("candidate_role")
            else spec.lane,
            properties=properties,
            data=json.loads(json.dumps(task_data, default=str)),
        ))
    return tasks


# A plain ``bpmn:task`` or ``bpmn:manualTask`` naming no form is a confirmation step (see
# engine.validation): the generic confirmation form.
CONFIRM_FORM = "generic:confirm"


def _is_confirmation(task_spec) -> bool:
    from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
    from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask

    return isinstance(task_spec, (ManualTask, NoneTask))


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    """Complete a ready user task with form data and advance the workflow."""
    from uuid import UUID

    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise RuntimeFailure("任务已不在待办状态")
    task.set_data(**data)
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise RuntimeFailure(str(exc)) from exc
    run(workflow)


def workflow_data(workflow: BpmnWorkflow) -> dict:
    """What the case knows now: the data of the most recently completed task, updated with
    the data of the tasks waiting or ready on every branch (newest last), so that a branch
    that has just moved (e.g. after a message) does not hide what another branch filed."""
    if workflow.is_completed():
        return dict(workflow.data) | dict(workflow.last_task.data if workflow.last_task else {})
    completed = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if _shares_data(t)]
    latest = max(completed, key=lambda t: t.last_state_change, default=None)
    data = dict(latest.data) if latest else dict(workflow.task_tree.data)
    frontier = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    for task in sorted(frontier, key=lambda t: t.last_state_change):
        if _shares_data(task):
            data.update(task.data)
    return data


def _shares_data(task) -> bool:
    """Does the task see the case's data? Not inside a called process that declares its
    inputs and outputs (``ioSpecification``): it holds only what was passed in (e.g. one
    department's work item), which is not what the case knows."""
    workflow = task.workflow
    while workflow is not workflow.top_workflow:
        if getattr(workflow.spec, "io_specification", None) is not None:
            return False
        workflow = workflow.parent_workflow
    return True


def next_timer_due(workflow: BpmnWorkflow) -> datetime | None:
    """Earliest due time of a waiting timer event, for the periodic sweep's index: timer
    catch and boundary events, event-subprocess timer starts, and the timers behind an
    event-based gateway (the gateway waits for them itself, in a MultipleEventDefinition,
    and keeps the due time on its own task)."""
    due = [when for task in workflow.get_tasks(state=TaskState.WAITING)
           for when in _timer_due_times(task)]
    return min(due) if due else None


def _timer_due_times(task) -> list[datetime]:
    from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

    event = getattr(task.task_spec, "event_definition", None)
    events = event.event_definitions if isinstance(event, MultipleEventDefinition) \
        else [event]
    if not any(isinstance(e, TimerEventDefinition) for e in events):
        return []
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # a cycle timer: {"cycles", "next", "duration"}
        if value.get("cycles") == 0:
            return []
        value = value.get("next")
    if not value:
        return []
    try:
        return [TimerEventDefinition.get_datetime(str(value))]
    except (TypeError, ValueError):
        return []


def stalled_at(workflow: BpmnWorkflow) -> list:
    """The task specs a workflow waits at with nothing left that could move it: not
    completed, no ready or running task, no event (timer, message) waited for — only joins
    waiting for branches that ended elsewhere (e.g. an interrupting boundary event whose path
    leads to an end event inside a parallel block). Empty when the workflow can move."""
    if workflow.is_completed():
        return []
    if workflow.get_tasks(state=TaskState.READY):
        return []
    waiting = workflow.get_tasks(state=TaskState.WAITING)
    if any(getattr(t.task_spec, "event_definition", None) is not None for t in waiting):
        return []
    return [t.task_spec for t in waiting if getattr(t.task_spec, "bpmn_id", None)]


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def send_message(workflow: BpmnWorkflow, name: str, payload: dict) -> None:
    """Deliver a named BPMN message (e.g. an external result) to a waiting workflow."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    from SpiffWorkflow.bpmn.util.event import BpmnEvent

    # Use the waiting event's own definition: the Spiff parser makes its own subclass, and
    # events only match definitions of the same class.
    definition = next((event for event in _waiting_message_definitions(workflow)
                       if event.name == name), None)
    if definition is None:
        # Catch events behind an event-based gateway or event subprocess start events are not
        # WAITING tasks; find the definition in the specs and let the library route it.
        specs = [workflow.spec, *workflow.subprocess_specs.values()]
        definition = next((spec.event_definition for process in specs
                           for spec in process.task_specs.values()
                           if isinstance(getattr(spec, "event_definition", None),
                                         MessageEventDefinition)
                           and spec.event_definition.name == name), None)
    if definition is None:
        raise RuntimeFailure(f"案件当前不在等待“{name}”")
    try:
        workflow.send_event(BpmnEvent(definition, payload=payload))
        workflow.do_engine_steps()
    except WorkflowException as exc:
        raise RuntimeFailure(f"案件当前不在等待“{name}”") from exc
    except SpiffWorkflowException as exc:
        raise RuntimeFailure(str(exc)) from exc


def _waiting_message_definitions(workflow: BpmnWorkflow) -> list:
    """Message definitions of waiting tasks, including those an event-based gateway waits
    for (the gateway holds them in a MultipleEventDefinition; its catch events are not
    WAITING themselves)."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        event = getattr(task.task_spec, "event_definition", None)
        events = event.event_definitions if isinstance(event, MultipleEventDefinition) \
            else [event]
        found += [e for e in events if isinstance(e, MessageEventDefinition)]
    return found


def waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    """Names of the messages the workflow is waiting for now."""
    return [event.name for event in _waiting_message_definitions(workflow)]


def add_task_data(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    """Add data to a ready task without completing it (e.g. material the applicant
    supplied while the task waited)."""
    from uuid import UUID

    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise RuntimeFailure("任务已不在待办状态")
    task.set_data(**data)


def reset_to(workflow: BpmnWorkflow, task_id: str) -> None:
    """Re-open an earlier (completed) task: the workflow goes back to it, the steps after it
    are undone, and it becomes ready again with the data it had before."""
    from uuid import UUID

    task = workflow.get_task_from_id(UUID(task_id))
    if task is None:
        raise RuntimeFailure("找不到要退回的环节")
    try:
        workflow.reset_from_task_id(task.id)
        # SpiffWorkflow 3.2 leaves the removed waiting tasks (e.g. an event-based gateway)
        # registered with the event manager; the next timer refresh would crash on them.
        manager = getattr(workflow, "event_manager", None)
        for stale_id, stale in list(getattr(manager, "tasks", {}).items()):
            if stale.parent is None or stale.workflow.tasks.get(stale_id) is not stale:
                manager.remove_task(stale)
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise RuntimeFailure(str(exc)) from exc


def is_multi_instance_child(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Is the task one instance of a multi-instance step (e.g. one signer of a 会签)?"""
    from uuid import UUID

    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

    task = workflow.get_task_from_id(UUID(task_id))
    parent = task.parent if task is not None else None
    return parent is not None and isinstance(parent.task_spec, MultiInstanceTask)


def task_properties_by_id(spec_json: str) -> dict[str, dict]:
    """{BPMN id: properties} of every task of a stored spec (raw strings, unevaluated), read
    without rebuilding the workflow: the serialised format is this module's business."""
    specs = json.loads(spec_json)
    found: dict[str, dict] = {}
    for process in [specs["spec"], *specs.get("subprocess_specs", {}).values()]:
        for task_spec in process.get("task_specs", {}).values():
            properties = (task_spec.get("extensions") or {}).get("properties")
            if task_spec.get("bpmn_id") and properties:
                found.setdefault(task_spec["bpmn_id"], dict(properties))
    return found
