"""Random diagrams from the constructs the engine supports, for the validation ≡ execution
property (tests/engine/test_validation_is_execution.py).

A seeded ``random.Random`` builds a process from nested blocks: tasks of every kind (user,
manual, plain, script, service with the generic clock operation; human tasks sometimes
multi-instance, some user tasks with an interrupting boundary timer), exclusive / parallel /
inclusive splits and joins, embedded subprocesses, call activities to another process of the
same file, intermediate timer and message catch events, event-based gateways with a timer and
a message behind them, and non-interrupting timer event subprocesses with a human step. With
``faults`` some elements are made to be refused (a human task outside every lane, a user task
without a form, an unknown service operation); the generator records each one's id and name.
"""
import random
from dataclasses import dataclass, field

from .bpmn_builder import NAMESPACES, flow, properties

ROLES = ("township_staff", "county_staff")
FORMS = ("generic:decision", "generic:opinion")
NAMES = ("受理", "审核", "复核", "审批", "核对材料", "入户调查", "公示", "登记", "回访", "归档")


@dataclass
class Scope:
    """A process or an embedded subprocess: its elements and flows (lanes are per process)."""

    elements: list[str] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)


@dataclass
class Process:
    process_id: str
    name: str
    scope: Scope = field(default_factory=Scope)
    lanes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Generated:
    bpmn: str
    faults: list[tuple[str, str, str]]  # (code, element id, element name)
    decisions: dict[str, dict]  # for the dry run: the message catch events to take
    prefer_timers: bool  # the driver lets timers fire before it sends messages
    data: dict
    # Messages behind an event-based gateway whose timer is to win (prefer_timers): the
    # driver never sends them, so the case must be moved on by the gateway's timer.
    unsent: set[str] = field(default_factory=set)


class DiagramGenerator:
    def __init__(self, seed: int, *, faults: bool):
        self.rnd = random.Random(seed)  # noqa: S311 - test diagrams, not secrets
        self.allow_faults = faults
        self.count = 0
        self.processes: list[Process] = []
        self.messages: list[str] = []
        self.faults: list[tuple[str, str, str]] = []
        self.decisions: dict[str, dict] = {}
        self.prefer_timers = self.rnd.random() < 0.5
        self.unsent: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def _name(self) -> str:
        return f"{self.rnd.choice(NAMES)}{self.count}"

    def _flow(self, scope: Scope, source: str, target: str, condition: str = "") -> str:
        flow_id = self._id("Flow")
        scope.flows.append(flow(flow_id, source, target, condition))
        return flow_id

    def _fault(self) -> bool:
        """In a faulty diagram the first chance is always taken, later ones sometimes."""
        return self.allow_faults and (not self.faults or self.rnd.random() < 0.15)

    # -- blocks: each returns (entry id, exit id) inside ``scope`` ---------------------------

    def block(self, process: Process, scope: Scope, depth: int) -> tuple[str, str]:
        kinds = ["task"] * 5 + ["seq"] * 2 + ["timer", "message"]
        if depth < 2:
            kinds += ["xor", "and", "or", "sub", "call", "event_gateway", "boundary"]
        kind = self.rnd.choice(kinds)
        return getattr(self, f"_{kind}")(process, scope, depth)

    def _seq(self, process, scope, depth):
        first_in, first_out = self.block(process, scope, depth + 1)
        second_in, second_out = self.block(process, scope, depth + 1)
        self._flow(scope, first_out, second_in)
        return first_in, second_out

    def _task(self, process, scope, depth, *, kind: str | None = None):
        kind = kind or self.rnd.choice(("userTask", "manualTask", "task", "scriptTask",
                                        "serviceTask"))
        element_id, name = self._id(kind[0].upper() + kind[1:]), self._name()
        inner = ""
        if kind in ("userTask", "manualTask", "task"):
            props = {}
            if kind == "userTask":
                if self._fault():
                    self.faults.append(("missing_form", element_id, name))
                else:
                    props["form"] = self.rnd.choice(FORMS)
            inner = properties(**props)
            if self._fault():
                self.faults.append(("task_without_lane", element_id, name))
            else:
                process.lanes.setdefault(self.rnd.choice(ROLES), []).append(element_id)
            if self.rnd.random() < 0.25:
                sequential = "true" if self.rnd.random() < 0.5 else "false"
                inner += (f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">'
                          "<bpmn:loopCardinality>2</bpmn:loopCardinality>"
                          "</bpmn:multiInstanceLoopCharacteristics>")
        elif kind == "scriptTask":
            inner = f"<bpmn:script>step_{self.count} = {self.count}</bpmn:script>"
        else:
            operation = "start_clock"
            if self._fault():
                operation = "send_sms"
                self.faults.append(("service_operation", element_id, name))
            inner = ("<bpmn:extensionElements>"
                     f'<spiffworkflow:serviceTaskOperator id="{operation}" '
                     f'resultVariable="clock_{self.count}"><spiffworkflow:parameters>'
                     f'<spiffworkflow:parameter id="name" type="str" '
                     f'value="&quot;clock_{self.count}&quot;"/>'
                     '<spiffworkflow:parameter id="hours" type="int" value="24"/>'
                     "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
                     "</bpmn:extensionElements>")
        scope.elements.append(f'<bpmn:{kind} id="{element_id}" name="{name}">{inner}'
                              f"</bpmn:{kind}>")
        return element_id, element_id

    def _split(self, process, scope, depth, gateway: str):
        split, join = self._id("Gateway"), self._id("Gateway")
        default_flow = ""
        branches = [self.block(process, scope, depth + 1) for _ in range(2)]
        flows = []
        for index, (entry, exit_) in enumerate(branches):
            condition = ""
            if gateway == "exclusiveGateway" and index == 0:
                condition = "route == 1"
            if gateway == "inclusiveGateway":
                condition = ("route >= 1", "route >= 0")[index]
            flow_id = self._flow(scope, split, entry, condition)
            if gateway == "exclusiveGateway" and index == 1:
                default_flow = flow_id
            flows.append(flow_id)
            self._flow(scope, exit_, join)
        default = f' default="{default_flow}"' if default_flow else ""
        scope.elements.append(f'<bpmn:{gateway} id="{split}" name="分支{split}"{default}/>')
        scope.elements.append(f'<bpmn:{gateway} id="{join}" name="汇合{join}"/>')
        return split, join

    def _xor(self, process, scope, depth):
        return self._split(process, scope, depth, "exclusiveGateway")

    def _and(self, process, scope, depth):
        return self._split(process, scope, depth, "parallelGateway")

    def _or(self, process, scope, depth):
        return self._split(process, scope, depth, "inclusiveGateway")

    def _sub(self, process, scope, depth):
        element_id = self._id("SubProcess")
        inner = Scope()
        start, end = self._id("StartEvent"), self._id("EndEvent")
        entry, exit_ = self.block(process, inner, depth + 1)
        self._flow(inner, start, entry)
        self._flow(inner, exit_, end)
        body = (f'<bpmn:startEvent id="{start}"/>' + "".join(inner.elements)
                + f'<bpmn:endEvent id="{end}"/>' + "".join(inner.flows))
        scope.elements.append(f'<bpmn:subProcess id="{element_id}" name="子流程{self.count}">'
                              f"{body}</bpmn:subProcess>")
        return element_id, element_id

    def _call(self, process, scope, depth):
        element_id = self._id("CallActivity")
        called = Process(self._id("Process"), f"被调用流程{self.count}")
        self.processes.append(called)
        self._body(called, depth + 1)
        scope.elements.append(f'<bpmn:callActivity id="{element_id}" name="调用{self.count}" '
                              f'calledElement="{called.process_id}"/>')
        return element_id, element_id

    def _timer_event(self, element_id: str, duration: str) -> str:
        return (f'<bpmn:intermediateCatchEvent id="{element_id}" name="等待{self.count}">'
                f"<bpmn:timerEventDefinition><bpmn:timeDuration>&quot;{duration}&quot;"
                "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")

    def _message_event(self, element_id: str) -> str:
        message = f"message_{self.count}"
        self.messages.append(message)
        return (f'<bpmn:intermediateCatchEvent id="{element_id}" name="收到{self.count}">'
                f'<bpmn:messageEventDefinition messageRef="{message}"/>'
                "</bpmn:intermediateCatchEvent>")

    def _timer(self, process, scope, depth):
        element_id = self._id("TimerEvent")
        scope.elements.append(self._timer_event(element_id, "PT1H"))
        return element_id, element_id

    def _message(self, process, scope, depth):
        element_id = self._id("MessageEvent")
        scope.elements.append(self._message_event(element_id))
        self.decisions[element_id] = {}
        return element_id, element_id

    def _event_gateway(self, process, scope, depth):
        gateway, join = self._id("Gateway"), self._id("Gateway")
        timer, message = self._id("TimerEvent"), self._id("MessageEvent")
        scope.elements += [f'<bpmn:eventBasedGateway id="{gateway}" name="等待{gateway}"/>',
                           self._timer_event(timer, "PT2H"), self._message_event(message),
                           f'<bpmn:exclusiveGateway id="{join}" name="汇合{join}"/>']
        message_name = self.messages[-1]
        for catch in (timer, message):
            self._flow(scope, gateway, catch)
            entry, exit_ = self.block(process, scope, depth + 1)
            self._flow(scope, catch, entry)
            self._flow(scope, exit_, join)
        if self.prefer_timers:
            self.unsent.add(message_name)
        else:
            self.decisions[message] = {}
        return gateway, join

    def _boundary(self, process, scope, depth):
        task, _ = self._task(process, scope, depth, kind="userTask")
        boundary, end = self._id("BoundaryEvent"), self._id("EndEvent")
        scope.elements.append(
            f'<bpmn:boundaryEvent id="{boundary}" name="超时{self.count}" attachedToRef="{task}">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>&quot;P30D&quot;</bpmn:timeDuration>'
            f'</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="{end}"/>')
        self._flow(scope, boundary, end)
        return task, task

    # -- the file ----------------------------------------------------------------------------

    def _body(self, process: Process, depth: int) -> None:
        start, end = self._id("StartEvent"), self._id("EndEvent")
        previous = start
        for _ in range(self.rnd.randint(1, 3) if depth == 0 else 1):
            entry, exit_ = self.block(process, process.scope, depth)
            self._flow(process.scope, previous, entry)
            previous = exit_
        self._flow(process.scope, previous, end)
        process.scope.elements[:0] = [f'<bpmn:startEvent id="{start}"/>']
        process.scope.elements.append(f'<bpmn:endEvent id="{end}"/>')
        if depth == 0 and self.rnd.random() < 0.3:
            self._event_subprocess(process)

    def _event_subprocess(self, process: Process) -> None:
        """A non-interrupting timer event subprocess with a human step (e.g. a reminder call
        while the case waits)."""
        element_id, inner = self._id("EventSubProcess"), Scope()
        start, end = self._id("StartEvent"), self._id("EndEvent")
        task, _ = self._task(process, inner, 2, kind=self.rnd.choice(
            ("userTask", "manualTask", "task")))
        self._flow(inner, start, task)
        self._flow(inner, task, end)
        body = (f'<bpmn:startEvent id="{start}" name="催办{self.count}" isInterrupting="false">'
                "<bpmn:timerEventDefinition><bpmn:timeDuration>&quot;PT30M&quot;"
                "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>"
                + "".join(inner.elements) + f'<bpmn:endEvent id="{end}"/>'
                + "".join(inner.flows))
        process.scope.elements.append(
            f'<bpmn:subProcess id="{element_id}" name="事件子流程{self.count}" '
            f'triggeredByEvent="true">{body}</bpmn:subProcess>')

    def generate(self) -> Generated:
        main = Process("generated", "生成的流程")
        self.processes.insert(0, main)
        self._body(main, 0)
        processes = []
        for index, process in enumerate(self.processes):
            lanes = ""
            if process.lanes:
                lanes = f'<bpmn:laneSet id="LaneSet_{index}">' + "".join(
                    f'<bpmn:lane id="Lane_{index}_{role}" name="{role}">'
                    + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
                    + "</bpmn:lane>" for role, refs in process.lanes.items()) + "</bpmn:laneSet>"
            # Called processes are executable too: SpiffWorkflow refuses to call one that
            # is not (the main process is the first, which the engine starts).
            executable = "true"
            processes.append(
                f'<bpmn:process id="{process.process_id}" name="{process.name}" '
                f'isExecutable="{executable}">{lanes}' + "".join(process.scope.elements)
                + "".join(process.scope.flows) + "</bpmn:process>")
        messages = "".join(f'<bpmn:message id="{m}" name="{m}"/>' for m in self.messages)
        bpmn = (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} '
                f'id="Definitions_generated" targetNamespace="http://minzheng.example/bpmn">'
                f"{messages}{''.join(processes)}</bpmn:definitions>")
        return Generated(bpmn=bpmn, faults=self.faults, decisions=self.decisions,
                         prefer_timers=self.prefer_timers, data={"route": self.rnd.choice((0, 1))},
                         unsent=self.unsent)
