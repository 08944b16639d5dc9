"""Compare definition versions and move running cases to a new version.

``definition_diff`` tells a supervisor, in plain Chinese, what a draft changes against the
deployed version: steps added, removed or renamed, steps moved to another lane (role), lanes
added or removed, decision-table rules changed.

``case_migrate`` moves one running case to another version of its procedure with
SpiffWorkflow's ``diff_workflow`` / ``migrate_workflow``. It is allowed only when every task
the case is waiting on (ready user tasks, waiting timers and messages) still exists in the new
version; otherwise it is refused with the reason. A case before an inserted step goes through
it; a case already past it does not. Timers that are already running keep their due time
(the library would restart them from now).
"""
import json
from dataclasses import dataclass, field

from django.db import transaction

from .models import AuditAction, AuditEntry, Case, CaseStatus, ProcessDefinition, Role, TaskStatus
from .validation import ACTIVITIES, BPMN_NS, label, lanes_of

# ---------------------------------------------------------------------------------------------
# Definition diff


@dataclass(frozen=True)
class Change:
    kind: str  # task_added, task_removed, task_renamed, task_lane, lane_added, lane_removed,
    #            rule_added, rule_removed, rule_changed, decision_added, decision_removed,
    #            hit_policy
    element_id: str
    message: str


@dataclass
class DefinitionDiff:
    changes: list[Change] = field(default_factory=list)

    def of(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def tasks_added(self) -> list[Change]:
        return self.of("task_added")

    @property
    def tasks_removed(self) -> list[Change]:
        return self.of("task_removed")

    @property
    def tasks_renamed(self) -> list[Change]:
        return self.of("task_renamed")

    @property
    def lane_changes(self) -> list[Change]:
        return [c for c in self.changes if c.kind in ("task_lane", "lane_added", "lane_removed")]

    @property
    def rule_changes(self) -> list[Change]:
        return [c for c in self.changes if c.kind.startswith(("rule_", "decision_", "hit_"))]

    @property
    def messages(self) -> list[str]:
        return [change.message for change in self.changes]

    def __bool__(self) -> bool:
        return bool(self.changes)


_STEP_TYPES = (*ACTIVITIES, "intermediateCatchEvent", "intermediateThrowEvent",
               "boundaryEvent")


def _steps(root) -> dict:
    from lxml import etree

    return {element.get("id"): element for element in root.iter()
            if isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS
            and etree.QName(element).localname in _STEP_TYPES and element.get("id")}


def _lane_names(root) -> set[str]:
    return {(lane.get("name") or "").strip() for lane in root.iter(f"{{{BPMN_NS}}}lane")}


def definition_diff(old_bpmn: str | bytes, new_bpmn: str | bytes, *,
                    old_dmns: list | tuple = (), new_dmns: list | tuple = ()) -> DefinitionDiff:
    """What changes from ``old`` to ``new``, in plain terms (steps are matched by id)."""
    from .feel import safe_xml

    old_root, new_root = safe_xml(old_bpmn), safe_xml(new_bpmn)
    old_steps, new_steps = _steps(old_root), _steps(new_root)
    old_lanes, new_lanes = lanes_of(old_root), lanes_of(new_root)
    diff = DefinitionDiff()
    for step_id, element in new_steps.items():
        if step_id not in old_steps:
            where = f"，在泳道“{new_lanes[step_id]}”" if new_lanes.get(step_id) else ""
            diff.changes.append(Change("task_added", step_id, f"新增{label(element)}{where}"))
    for step_id, element in old_steps.items():
        if step_id not in new_steps:
            diff.changes.append(Change("task_removed", step_id, f"删除{label(element)}"))
            continue
        new = new_steps[step_id]
        old_name, new_name = (element.get("name") or "").strip(), (new.get("name") or "").strip()
        if old_name != new_name:
            diff.changes.append(Change("task_renamed", step_id,
                                       f"{label(element)}改名为“{new_name or step_id}”"))
        if old_lanes.get(step_id) != new_lanes.get(step_id):
            diff.changes.append(Change(
                "task_lane", step_id,
                f"{label(new)}从泳道“{old_lanes.get(step_id) or '无'}”移到"
                f"“{new_lanes.get(step_id) or '无'}”"))
    old_lane_names, new_lane_names = _lane_names(old_root), _lane_names(new_root)
    for name in sorted(new_lane_names - old_lane_names):
        diff.changes.append(Change("lane_added", name, f"新增泳道“{name}”"))
    for name in sorted(old_lane_names - new_lane_names):
        diff.changes.append(Change("lane_removed", name, f"删除泳道“{name}”"))
    diff.changes += _dmn_changes(old_dmns, new_dmns)
    return diff


def _decisions(dmn_xmls) -> dict:
    from .feel import safe_xml

    decisions = {}
    for dmn in dmn_xmls:
        for decision in safe_xml(dmn).iter("{*}decision"):
            decisions[decision.get("id")] = decision
    return decisions


def _rule_text(table, rule) -> str:
    inputs = [i.get("label") or (i.findtext("{*}inputExpression/{*}text") or "").strip()
              for i in table.findall("{*}input")]
    outputs = [o.get("label") or o.get("name") or "" for o in table.findall("{*}output")]
    conditions = []
    for position, entry in enumerate(rule.findall("{*}inputEntry")):
        text = (entry.findtext("{*}text") or "").strip()
        if text and text != "-":
            column = inputs[position] if position < len(inputs) else ""
            conditions.append(f"{column} {text}")
    results = [f"{outputs[p] if p < len(outputs) else ''} = {(e.findtext('{*}text') or '').strip()}"
               for p, e in enumerate(rule.findall("{*}outputEntry"))]
    return f"当 {'且'.join(conditions) or '任何情况'} 时，{'，'.join(results)}"


def _dmn_changes(old_dmns, new_dmns) -> list[Change]:
    changes = []
    old, new = _decisions(old_dmns), _decisions(new_dmns)
    for decision_id, decision in new.items():
        name = decision.get("name") or decision_id
        if decision_id not in old:
            changes.append(Change("decision_added", decision_id, f"新增决策表“{name}”"))
            continue
        old_table = old[decision_id].find("{*}decisionTable")
        new_table = decision.find("{*}decisionTable")
        if old_table is None or new_table is None:
            continue
        old_policy = (old_table.get("hitPolicy") or "UNIQUE").upper()
        new_policy = (new_table.get("hitPolicy") or "UNIQUE").upper()
        if old_policy != new_policy:
            changes.append(Change("hit_policy", decision_id,
                                  f"决策表“{name}”的命中策略由 {old_policy} 改为 {new_policy}"))
        old_rules = {r.get("id"): r for r in old_table.findall("{*}rule")}
        new_rules = {r.get("id"): r for r in new_table.findall("{*}rule")}
        for index, (rule_id, rule) in enumerate(new_rules.items(), start=1):
            if rule_id not in old_rules:
                changes.append(Change("rule_added", rule_id, f"决策表“{name}”新增规则{index}："
                                                             f"{_rule_text(new_table, rule)}"))
                continue
            before, after = _rule_text(old_table, old_rules[rule_id]), _rule_text(new_table, rule)
            if before != after:
                changes.append(Change("rule_changed", rule_id,
                                      f"决策表“{name}”规则{index}由“{before}”改为“{after}”"))
        for rule_id, rule in old_rules.items():
            if rule_id not in new_rules:
                changes.append(Change("rule_removed", rule_id, f"决策表“{name}”删除规则："
                                                               f"{_rule_text(old_table, rule)}"))
    for decision_id, decision in old.items():
        if decision_id not in new:
            changes.append(Change("decision_removed", decision_id,
                                  f"删除决策表“{decision.get('name') or decision_id}”"))
    return changes


# ---------------------------------------------------------------------------------------------
# Moving running cases


class MigrationRefused(Exception):
    """The case cannot move to that version; the message says why (in Chinese)."""


@dataclass
class MigrationCheck:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    changed_tasks: list[str] = field(default_factory=list)


def _live_states():
    from SpiffWorkflow.util.task import TaskState

    return TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _spec_objects(spec_json: str):
    from .runtime import SERIALIZER

    specs = json.loads(spec_json)
    return (SERIALIZER.from_dict(specs["spec"]),
            {name: SERIALIZER.from_dict(sub) for name, sub in specs["subprocess_specs"].items()})


def _task_label(task) -> str:
    spec = task.task_spec
    name = spec.bpmn_name or spec.bpmn_id or spec.name
    return f"“{name}”（{spec.bpmn_id or spec.name}）"


def _plan(case: Case, to_definition: ProcessDefinition):
    """Load the case and diff it against the target; (check, workflow, engine, diffs, specs)."""
    from SpiffWorkflow.bpmn.util.diff import diff_workflow

    from . import runtime

    reasons = []
    if to_definition.key != case.procedure:
        reasons.append(f"目标版本属于其他事项（{to_definition.key}），不能迁移")
    if to_definition.pk == case.definition_id:
        reasons.append(f"案件已在第 {to_definition.version} 版")
    if case.status != CaseStatus.RUNNING:
        reasons.append("案件已办结或异常，不能迁移")
    if reasons:
        return MigrationCheck(False, reasons), None, None, None, None
    workflow, script_engine = runtime.load(case.definition.spec_json, case.state)
    new_spec, new_subs = _spec_objects(to_definition.spec_json)
    top_diff, sub_diffs = diff_workflow(runtime.SERIALIZER.registry, workflow, new_spec,
                                        new_subs)
    live = _live_states()
    for task in top_diff.removed:
        if task.state & live and task.task_spec.bpmn_id:
            reasons.append(f"案件当前停在{_task_label(task)}，新版本中已没有这一步")
    for sub_id, sub_diff in sub_diffs.items():
        subworkflow = workflow.subprocesses[sub_id]
        waiting = [t for t in subworkflow.get_tasks(state=live) if t.task_spec.bpmn_id]
        if sub_diff is None:
            reasons += [f"案件当前停在子流程中的{_task_label(t)}，新版本中已没有该子流程"
                        for t in waiting]
            continue
        reasons += [f"案件当前停在{_task_label(t)}，新版本中已没有这一步"
                    for t in sub_diff.removed if t.state & live and t.task_spec.bpmn_id]
    changed = [_task_label(t) for t in top_diff.changed if t.state & live]
    check = MigrationCheck(not reasons, reasons, changed)
    return check, workflow, script_engine, (top_diff, sub_diffs), (new_spec, new_subs)


def case_migrate_check(*, case: Case, to_definition: ProcessDefinition) -> MigrationCheck:
    """Whether ``case`` can move to ``to_definition`` and, if not, why. Reads only."""
    return _plan(case, to_definition)[0]


def _timer_due_values(workflow) -> dict:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    from SpiffWorkflow.util.task import TaskState

    values = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            value = task._get_internal_data("event_value")
            if value is not None:
                values[task.task_spec.bpmn_id] = value
    return values


def _restore_timers(workflow, values: dict) -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    from SpiffWorkflow.util.task import TaskState

    for task in workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition) \
                and task.task_spec.bpmn_id in values:
            task._set_internal_data(event_value=values[task.task_spec.bpmn_id])


@transaction.atomic
def case_migrate(*, case: Case, to_definition: ProcessDefinition, actor) -> Case:
    """Move a running case to ``to_definition`` (same procedure), or raise
    ``MigrationRefused`` saying why. Holds the case row's lock throughout, so no task can be
    completed or timer fired on the old version while the case moves; re-syncs its inbox
    rows (titles, lanes) and writes an audit entry."""
    from SpiffWorkflow.bpmn.util.diff import migrate_workflow

    from . import runtime
    from .services import _advance

    case = Case.objects.select_for_update(of=("self",)).select_related(
        "definition", "village").get(pk=case.pk)
    from_definition = case.definition
    check, workflow, script_engine, diffs, specs = _plan(case, to_definition)
    if not check.ok:
        raise MigrationRefused("；".join(check.reasons))
    top_diff, sub_diffs = diffs
    new_spec, new_subs = specs
    timers = _timer_due_values(workflow)
    migrate_workflow(top_diff, workflow, new_spec)
    for sub_id, sub_diff in sub_diffs.items():
        subworkflow = workflow.subprocesses[sub_id]
        migrate_workflow(sub_diff, subworkflow, new_subs[subworkflow.spec.name])
    workflow.subprocess_specs = new_subs
    _restore_timers(workflow, timers)
    runtime.run(workflow)
    claims = {str(row.task_id): (row.spec_name, row.lane, row.assignee_id)
              for row in case.tasks.filter(status=TaskStatus.OPEN)}
    case.definition = to_definition
    case.save(update_fields=["definition", "updated_at"])
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=actor)
    _resync_open_tasks(case, workflow, claims)
    AuditEntry.objects.create(
        case=case, actor=actor, action=AuditAction.MIGRATED,
        summary=f"案件由第 {from_definition.version} 版迁移到第 {to_definition.version} 版",
        data={"migrated_from": from_definition.pk, "migrated_to": to_definition.pk,
              "from_version": from_definition.version, "to_version": to_definition.version,
              "changed_tasks": check.changed_tasks})
    return case


def _resync_open_tasks(case: Case, workflow, claims: dict) -> None:
    """Open inbox rows whose task survived keep their id but may have a new title or lane in
    the new version; a row moved to another lane loses its claim (the claimer may not hold
    the new role). ``claims``: the open rows before migrating, {task id: (spec, lane,
    assignee)}, so that a task the library re-created keeps its colleague's claim."""
    from . import runtime

    ready = {task.task_id: task for task in runtime.ready_user_tasks(workflow)}
    roles = {role.code: role for role in Role.objects.all()}
    claimed = {(spec, lane): assignee for spec, lane, assignee in claims.values() if assignee}
    for row in case.tasks.filter(status=TaskStatus.OPEN):
        task = ready.get(str(row.task_id))
        if task is None:
            continue
        fields = []
        lane = task.lane or ""
        if str(row.task_id) not in claims and row.assignee_id is None and \
                claimed.get((task.spec_name, lane)):
            row.assignee_id = claimed[(task.spec_name, lane)]
            fields.append("assignee")
        if row.lane != lane:
            row.lane = lane
            role = roles.get(lane)
            row.candidate_unit = case.village.ancestor_at(role.level) if role and role.level \
                else None
            row.assignee = case.applicant if lane == "applicant" else None
            fields += ["lane", "candidate_unit", "assignee"]
        if row.title != task.title:
            row.title = task.title
            fields.append("title")
        if row.spec_name != task.spec_name:
            row.spec_name = task.spec_name
            fields.append("spec_name")
        if fields:
            row.save(update_fields=list(dict.fromkeys(fields)))


__all__ = ["Change", "DefinitionDiff", "MigrationCheck", "MigrationRefused", "case_migrate",
           "case_migrate_check", "definition_diff"]
