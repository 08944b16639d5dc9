"""Writes: deploy definitions, start cases, claim/release/complete tasks, fire timers, issue
documents.

Every engine advance runs inside one transaction holding the case row's lock
(``select_for_update``), and saves the workflow state, the inbox rows, the audit entries and
any issued documents together: either all of it happens or none of it does.
"""
import hashlib
import json
import logging
from functools import lru_cache

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from . import notices, runtime
from .calendar import task_due_fields
from .errors import ActionRefused, SetupIncomplete
from .identity import mask_id_number
from .models import (
    APPLICANT_ROLE,
    Attachment,
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    DefinitionDraft,
    Document,
    DocumentSequence,
    HumanTask,
    ProcessDefinition,
    Quota,
    QuotaReservation,
    QuotaWaiting,
    Role,
    RoleAssignment,
    TaskStatus,
    Unit,
    UnitLevel,
    WaitingStatus,
)
from .registry import action as registered_action
from .registry import document_type
from .reports import case_month_decided, case_month_filed, step_stat_record
from .runtime import DefinitionError, RuntimeFailure
from .selectors import user_can_act_on_task

logger = logging.getLogger(__name__)

__all__ = [
    "DefinitionError",
    "RuntimeFailure",
    "TaskAlreadyHandled",
    "ActionRefused",
    "QuotaExceeded",
    "definition_deploy",
    "case_start",
    "task_claim",
    "task_release",
    "task_complete",
    "timers_fire_due",
    "case_fire_timers",
]


class TaskAlreadyHandled(Exception):
    """The task was completed, cancelled or claimed by someone else in the meantime."""


class QuotaExceeded(ActionRefused):
    """No place left in a quota (or none set): the step that needed one is refused."""


# ---------------------------------------------------------------------------------------------
# Definitions


def _content_hash(bpmn_xml: str, dmn_xmls: list[str]) -> str:
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    for dmn in dmn_xmls:
        digest.update(b"\0")
        digest.update(dmn.encode("utf-8"))
    return digest.hexdigest()


def definition_check(*, bpmn_xml: str, dmn_xmls: list[str],
                     form_exists=None, county: Unit | None = None,
                     key: str | None = None, library=None) -> tuple[str, str]:
    """Validate and parse a diagram; return (process_id, spec_json) or raise DefinitionError
    listing every error (see ``engine.validation``: lanes are roles, expressions are safe,
    gateways and timers are well-formed, service tasks name known operations...).

    Call activities to processes of other files are resolved in ``county``'s process
    library (``engine.library``; ``key``'s own versions excluded), or pass ``library``
    (a resolution made already)."""
    from .library import resolve

    roles = tuple(sorted(Role.objects.values_list("code", "level", "name")))
    if library is None:
        library = resolve(bpmn_xml, county=county, exclude_key=key)
    if library.problems or form_exists is not None:
        return _definition_check(bpmn_xml, tuple(dmn_xmls), roles, form_exists, library)
    # The called definitions are immutable, so their pks stand for their content.
    return _definition_check_cached(bpmn_xml, tuple(dmn_xmls), roles, None,
                                    _LibraryKey(library))


class _LibraryKey:
    """A resolution as a cache key: equal when the same definitions are called."""

    def __init__(self, library):
        self.library = library

    def __hash__(self):
        return hash(self.library.pins())

    def __eq__(self, other):
        return isinstance(other, _LibraryKey) and self.library.pins() == other.library.pins()


def _definition_check(bpmn_xml: str, dmn_xmls: tuple[str, ...], roles: tuple,
                      form_exists=None, library=None) -> tuple[str, str]:
    from .validation import lanes_as_role_codes, validate_definition

    if isinstance(library, _LibraryKey):
        library = library.library
    role_names = {code: name for code, _level, name in roles}
    problems = validate_definition(
        bpmn_xml=bpmn_xml, dmn_xmls=list(dmn_xmls),
        known_roles=set(role_names), form_exists=form_exists,
        role_levels={code: level for code, level, _name in roles}, role_names=role_names,
        library=library)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DefinitionError("；".join(p.message for p in errors))
    process_id = runtime.executable_process_id(bpmn_xml)
    # Lanes named with a role's Chinese name run as the role's code.
    spec, subprocess_specs = runtime.parse(lanes_as_role_codes(bpmn_xml, role_names),
                                           list(dmn_xmls), process_id,
                                           library.files if library is not None else ())
    return process_id, runtime.spec_to_json(spec, subprocess_specs)


# A pure function of its arguments (the diagram, the tables and the roles; the product's
# operations and document types are fixed at start-up), so a process checks the same content
# once: deploying the shipped definitions again (every start, every test's demo) costs a hash
# lookup instead of a validation and a parse. Only successes are kept (lru_cache does not
# cache a raised DefinitionError).
_definition_check_cached = lru_cache(maxsize=64)(_definition_check)


@transaction.atomic
def definition_deploy(*, key: str, name: str, bpmn_xml: str, dmn_xmls: list[str],
                      deployed_by=None, comment: str = "",
                      county: Unit | None = None) -> ProcessDefinition:
    """Deploy a diagram (+ tables) as the next version of procedure ``key``.

    ``county``: the version is that county's (its supervisors' edit); None deploys the
    product's version for every county. Version numbers run across all counties.
    Deploying content identical to the current version deploys nothing and returns it.
    Parse errors raise ``DefinitionError`` and nothing is stored. Decision tables written in
    FEEL (as dmn-js writes them) are stored translated into the engine's expressions.
    """
    from .feel import FeelError, dmn_translate_feel
    from .validation import definition_roles

    translated = []
    for dmn in dmn_xmls:
        try:
            text, problems = dmn_translate_feel(dmn)
        except FeelError as exc:
            raise DefinitionError(f"决策表无法识别：{exc}") from exc
        errors = [p.message for p in problems if p.severity == "error"]
        if errors:
            raise DefinitionError("；".join(errors))
        translated.append(text)
    dmn_xmls = translated
    from .library import resolve

    library = resolve(bpmn_xml, county=county, exclude_key=key)
    process_id, spec_json = definition_check(bpmn_xml=bpmn_xml, dmn_xmls=dmn_xmls,
                                             library=library)
    content_hash = _content_hash(bpmn_xml, dmn_xmls)
    # Lock the procedure's existing versions so two deploys cannot take the same number.
    list(ProcessDefinition.objects.select_for_update().filter(key=key).values_list("pk"))
    current = _definition_current_or_none(key, county)
    # Same content calling the same versions: nothing to deploy. A new version of a called
    # process makes the caller's redeploy a new version that calls it (engine.library).
    if current is not None and current.content_hash == content_hash and \
            (county is None or current.county_id == county.pk) and \
            [c["definition"] for c in current.calls] == [c["definition"] for c in library.calls]:
        return current
    version = (ProcessDefinition.objects.filter(key=key).aggregate(v=Max("version"))["v"]
               or 0) + 1
    definition = ProcessDefinition(
        key=key, name=name, county=county, version=version, process_id=process_id,
        bpmn_xml=bpmn_xml,
        dmn_xml=list(dmn_xmls), content_hash=content_hash, spec_json=spec_json,
        deployed_by=deployed_by, comment=comment,
        roles=_with_called_roles(
            definition_roles(bpmn_xml, dict(Role.objects.values_list("code", "name"))),
            library.roles),
        calls=library.calls,
    )
    definition.full_clean()
    definition.save()
    AuditEntry.objects.create(
        actor=deployed_by, action=AuditAction.DEPLOYED,
        summary=f"部署 {name} 第 {version} 版{f'（{county.name}）' if county else ''}",
        data={"key": key, "version": version, "content_hash": content_hash,
              "comment": comment, "county": county.pk if county else None,
              "calls": [{k: c[k] for k in ("process_id", "key", "version")}
                        for c in library.calls]},
    )
    return definition


def _with_called_roles(roles: list[str], called: list[str]) -> list[str]:
    """The diagram's roles and those of the processes it calls (their cases are seen by
    holders of either)."""
    return list(roles) + [code for code in called if code not in roles]


@transaction.atomic
def definition_draft_save(*, key: str, county: Unit, bpmn_xml: str, dmn_xmls: list[str],
                          user) -> DefinitionDraft:
    """Keep a supervisor's edit (not validated: drafts may be broken while being edited)."""
    draft = DefinitionDraft.objects.select_for_update().filter(key=key, county=county).first()
    if draft is None:
        draft = DefinitionDraft(key=key, county=county,
                                based_on=_definition_current_or_none(key, county))
    draft.bpmn_xml = bpmn_xml
    draft.dmn_xml = list(dmn_xmls)
    draft.updated_by = user
    draft.full_clean()
    draft.save()
    return draft


def definition_draft_discard(*, key: str, county: Unit) -> None:
    DefinitionDraft.objects.filter(key=key, county=county).delete()


def _definition_current_or_none(key: str, county: Unit | None) -> ProcessDefinition | None:
    versions = ProcessDefinition.objects.filter(key=key).order_by("-version")
    if county is not None:
        own = versions.filter(county=county).first()
        if own is not None:
            return own
    return versions.filter(county__isnull=True).first()


def definition_current(key: str, county: Unit | None = None) -> ProcessDefinition:
    """The version new cases of ``county`` start on: the county's latest own version, else
    the product's latest."""
    definition = _definition_current_or_none(key, county)
    if definition is None:
        raise LookupError(f"流程 {key} 尚未部署")
    return definition


# ---------------------------------------------------------------------------------------------
# Cases


def _check_jsonable(data: dict) -> dict:
    if not isinstance(data, dict):
        raise ValueError("表单数据必须是字典")
    for name in data:
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"表单字段名不合法：{name!r}")
    try:
        return json.loads(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"表单数据必须是 JSON 类型：{exc}") from exc


@transaction.atomic
def case_start(*, procedure: str, title: str, village: Unit, applicant_name: str,
               applicant_id_number: str = "", applicant=None, data: dict,
               started_by, persons: list[dict] | None = None) -> Case:
    """Open a case on the current version of ``procedure`` and run it to its first wait.

    ``applicant`` is the applicant's account, or None when village staff file on behalf of
    someone without one (村委会代办); the applicant's own tasks then go to village staff.
    ``persons``: the other people the application names (household members: dicts with
    ``id_number``, ``name``, ``relation``), recorded with the applicant for the duplicate
    check (``engine.persons``).
    """
    if village.level != UnitLevel.VILLAGE:
        raise ValueError("案件必须属于村/社区")
    county = village.county
    definition = definition_current(procedure, county)
    data = _check_jsonable(data)
    seed = {**data, "county_settings": dict(county.settings) if county else {}}
    workflow, script_engine = runtime.new_workflow(lambda: definition.spec_json, seed,
                                                   spec_key=_spec_key(definition))
    case = Case(
        definition=definition, procedure=procedure, title=title, applicant=applicant,
        applicant_name=applicant_name, applicant_id_number=applicant_id_number,
        village=village, village_path=village.path, created_by=started_by,
    )
    case.full_clean(exclude=["state", "data", "definition", "applicant", "village",
                             "created_by"])  # saved instances: no SELECT to check each
    case.save()
    case_month_filed(case=case)  # the dashboard's monthly trend (engine.reports)
    from .persons import case_persons_record

    case_persons_record(case=case, persons=persons or [])
    AuditEntry.objects.create(case=case, actor=started_by, action=AuditAction.STARTED,
                              summary=f"发起“{title}”", data={"form": data})
    runtime.run(workflow)
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=started_by)
    return case


def _candidate_unit(village: Unit, role: Role | None) -> Unit | None:
    if role is None or not role.level:
        return None
    return village.ancestor_at(role.level)


def _due_at(properties: dict, county: Unit | None, now) -> object:
    """The due time from the task's ``due_hours`` (when set and non-zero) or
    ``due_working_days`` on the county's calendar; None when the diagram gives neither."""
    return task_due_fields(properties, county, now)["due_at"]


def _sync_human_tasks(case: Case, workflow) -> list[HumanTask]:
    """Make the inbox rows match the workflow's ready user tasks."""
    now = timezone.now()
    ready = {t.task_id: t for t in runtime.ready_user_tasks(workflow)}
    open_rows = {str(row.task_id): row for row in case.tasks.filter(status=TaskStatus.OPEN)}
    held = {row.task_data.get("held_task_id") for row in open_rows.values()
            if row.spec_name == APPLICANT_SUPPLEMENT}
    for task_id, row in open_rows.items():
        if row.spec_name == CO_SIGN and row.task_data.get("held_task_id") not in ready:
            row.status = TaskStatus.CANCELLED  # the step it was added to has ended
            row.completed_at = now
            row.save(update_fields=["status", "completed_at"])
        if row.spec_name in ENGINE_STEPS:
            continue  # not a diagram task; answered by the applicant or an added signer
        if task_id not in ready or task_id in held:  # e.g. cancelled by a boundary event
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            row.save(update_fields=["status", "completed_at"])
    new_lanes = [t.lane for task_id, t in ready.items()
                 if t.lane and task_id not in open_rows and task_id not in held]
    roles = {role.code: role for role in Role.objects.filter(code__in=new_lanes)} \
        if new_lanes else {}
    created = []
    for task_id, ready_task in ready.items():
        if task_id in open_rows or task_id in held:
            continue
        row = _human_task_row(ready_task, village=case.village, roles=roles,
                              # the applicant row only when the step is theirs
                              applicant=case.applicant if ready_task.lane == APPLICANT_ROLE
                              else None, now=now)
        row.case = case
        row.procedure = case.procedure
        row.save(force_insert=True)
        created.append(row)
    if created:
        from .notifications import tasks_opened_notify

        tasks_opened_notify(tasks=created)
    return created


def _human_task_row(ready_task, *, village: Unit, roles: dict, applicant, now) -> HumanTask:
    """The inbox row a ready user task becomes (unsaved, without its case): whom it is
    offered to (lane → role at the village's unit of the role's level, the applicant, or a
    ``candidate_user``), its form, due time and task data. The dry run asks the same."""
    from .authority import task_data_with_authority

    role = roles.get(ready_task.lane)
    assignee = applicant if ready_task.lane == APPLICANT_ROLE else None
    if ready_task.properties.get("candidate_user"):
        assignee = _user_by_username(str(ready_task.properties["candidate_user"]))
    # Never an orphan row nobody is offered (validation refuses such diagrams; a version
    # deployed before it did, or a candidate_role expression naming no role, stops here).
    where = f"任务“{ready_task.title}”（{ready_task.spec_name}）"
    if assignee is None and ready_task.lane != APPLICANT_ROLE:
        if not ready_task.lane:
            raise RuntimeFailure(f"{where}没有泳道，也没有 candidate_role / candidate_user，"
                                 f"不会交给任何人")
        if role is None:
            raise RuntimeFailure(f"{where}交给的“{ready_task.lane}”不是已知角色")
    return HumanTask(
        task_id=ready_task.task_id, spec_name=ready_task.spec_name, title=ready_task.title,
        form_key=str(ready_task.properties.get("form", "")),
        lane=ready_task.lane or "", village=village, village_path=village.path,
        candidate_unit=_candidate_unit(village, role),
        township=village.ancestor_at(UnitLevel.TOWNSHIP),
        # due_at plus what it was counted from and any year without holiday data.
        **task_due_fields(ready_task.properties, village.county, now), assignee=assignee,
        task_data=task_data_with_authority(ready_task),
    )


def human_task_preview(ready_task, *, village: Unit) -> tuple[HumanTask, list]:
    """What the inbox would do with a ready task of a case filed in ``village`` (for the
    dry run): the unsaved row and the users it would be offered to (its assignee and their
    substitutes, or the lane's role holders over the village). Raises RuntimeFailure as the
    real path would (an unknown ``candidate_user``)."""
    from .notifications import task_handlers

    roles = {role.code: role for role in Role.objects.filter(code=ready_task.lane or "")}
    row = _human_task_row(ready_task, village=village, roles=roles, applicant=None,
                          now=timezone.now())
    if row.lane == APPLICANT_ROLE and row.assignee_id is None:
        return row, []
    return row, task_handlers(row)


def _user_by_username(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise RuntimeFailure(f"找不到办理人“{username}”")
    return user


def _advance(*, case: Case, workflow, script_engine, actor) -> None:
    """Persist a workflow after it ran: effects, inbox rows, state, status — one transaction.

    An effect may answer the workflow at once (``reserve_quota`` with ``wait`` tells it
    ``quota_granted`` or ``quota_waiting``); the workflow then runs on and its new effects
    are carried out in the same transaction, until nothing is left."""
    for _ in range(100):  # a diagram looping on answered effects must not hang the request
        if not script_engine.effects:
            break
        effects = list(script_engine.effects)
        script_engine.effects.clear()
        answers = []
        for effect in effects:
            answer = _effect_apply(case=case, effect=effect, actor=actor)
            if answer is not None:
                answers.append(answer)
        for message, payload in answers:
            runtime.send_message(workflow, message, payload)
    else:
        raise RuntimeFailure("流程在服务任务之间循环，无法继续")
    stalled = runtime.stalled_at(workflow)
    if stalled:  # never saved as running with nothing anyone could do
        names = "、".join(f"“{spec.bpmn_name or spec.bpmn_id}”（{spec.bpmn_id}）"
                         for spec in stalled)
        raise RuntimeFailure(f"流程无法继续：{names}在等待不会到来的分支（例如边界事件把并行"
                             f"分支引向了结束事件），案件既不能办结也没有可办理的任务")
    _sync_human_tasks(case, workflow)
    case.state = runtime.dump(workflow)
    case.serializer_version = runtime.SERIALIZER_VERSION
    case.data = json.loads(json.dumps(runtime.workflow_data(workflow), default=str))
    case.next_timer_at = notices.notice_next_due(case, workflow)
    fields = ["state", "serializer_version", "data", "next_timer_at", "updated_at"]
    if runtime.is_completed(workflow) and case.status != CaseStatus.COMPLETED:
        case.status = CaseStatus.COMPLETED
        case.completed_at = timezone.now()
        fields += ["status", "completed_at"]
        AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.FINISHED,
                                  summary="办结")
        case_month_decided(case=case)
    case.save(update_fields=fields)


def _effect_apply(*, case: Case, effect, actor) -> tuple[str, dict] | None:
    """Carry out one service task's effect; a (message, payload) to send back, or None."""
    if effect.operation == "issue_document":
        _document_issue(case=case, doc_type_code=effect.params["doc_type"],
                        data=effect.data, actor=actor, issuer=effect.params.get("issuer"),
                        decider_task=effect.decider_task)
    elif effect.operation == "reserve_quota":
        wait = quota_wait_param(effect.params.get("wait"))
        outcome = _quota_reserve(case=case, key=effect.params["key"],
                                 level=effect.params.get("level", UnitLevel.TOWNSHIP),
                                 actor=actor, wait=wait)
        if wait:  # the diagram waits at an event-based gateway for the outcome
            return outcome
    elif effect.operation == "release_quota":
        _quota_release(case=case, key=effect.params["key"], actor=actor)
    elif effect.operation == "run_action":
        params = dict(effect.params)
        registered_action(params.pop("action"))(case=case, params=params,
                                                data=effect.data, actor=actor)
    elif effect.operation in ("start_clock", "stop_clock"):
        from .clocks import clock_effect_apply
        clock_effect_apply(case=case, effect=effect, actor=actor)
    elif effect.operation in notices.OPERATIONS:
        notices.notice_effect(case=case, operation=effect.operation, params=effect.params,
                              data=effect.data, actor=actor)
    return None


# The definition's diagram, tables and spec (17-38 KB) are not read with a case: the parsed
# spec is cached per version (``runtime.load``), and read from the row only when missing.
DEFINITION_HEAVY = ("definition__bpmn_xml", "definition__dmn_xml", "definition__spec_json")


def _spec_key(definition: ProcessDefinition) -> tuple:
    return (definition.pk, definition.content_hash)


def _load(case: Case):
    definition = case.definition
    return runtime.load(lambda: definition.spec_json, case.state,
                        spec_key=_spec_key(definition))


def case_lock(case_pk: int, *, skip_locked: bool = False) -> Case | None:
    """Lock one case row (the instance lock) and return it with its definition and village.

    ``of=("self",)``: only the case row is locked. Without it PostgreSQL would lock the
    joined definition and village rows too, and every advance of every case on the same
    diagram version (or in the same village) would queue behind one another — and two
    cases' transactions that each need the other's case (a freed quota place handed to a
    waiting case) could deadlock on those shared rows."""
    rows = Case.objects.select_for_update(of=("self",), skip_locked=skip_locked) \
        .select_related("definition", "village__parent__parent").defer(*DEFINITION_HEAVY)
    return rows.filter(pk=case_pk).first() if skip_locked else rows.get(pk=case_pk)


# ---------------------------------------------------------------------------------------------
# Tasks


def _lock_case_and_task(task_pk: int) -> tuple[Case, HumanTask]:
    # The case row is the instance lock: every advance of this case queues behind it. It is
    # found through the task (one query: the join is not locked, ``of=("self",)``).
    case = (Case.objects.select_for_update(of=("self",))
            .select_related("definition", "village__parent__parent").defer(*DEFINITION_HEAVY)
            .filter(tasks__pk=task_pk).first())
    if case is None:
        raise HumanTask.DoesNotExist(f"HumanTask {task_pk} does not exist")
    task = HumanTask.objects.select_related("assignee").get(pk=task_pk)
    task.case = case
    return case, task


def _ensure_open(task: HumanTask, user) -> None:
    from .selectors import principals_of

    if task.case.status != CaseStatus.RUNNING:
        raise TaskAlreadyHandled(f"案件{task.case.get_status_display()}，不能办理")
    if task.status != TaskStatus.OPEN:
        raise TaskAlreadyHandled("该任务已被办理，请刷新待办列表")
    if task.assignee_id and task.assignee_id != user.pk and \
            task.assignee_id not in {p.pk for p in principals_of(user)}:
        raise TaskAlreadyHandled(f"该任务已由{task.assignee.get_full_name() or task.assignee}"
                                 f"认领")


def _principal(user, task: HumanTask):
    from .selectors import acting_principal

    return acting_principal(user, task)


@transaction.atomic
def task_claim(*, user, task_pk: int) -> HumanTask:
    """Take a task offered to the user's role, so colleagues stop seeing it as free."""
    case, task = _lock_case_and_task(task_pk)
    if not user_can_act_on_task(user, task):
        raise PermissionDenied("无权办理该任务")
    _ensure_open(task, user)
    if task.assignee_id == user.pk:
        return task
    principal = _principal(user, task)
    # Conditional update: only an unclaimed open task (or one claimed by the principal the
    # user substitutes for) can be claimed.
    claimable = Q(assignee__isnull=True)
    if principal is not None:
        claimable |= Q(assignee=principal)
    updated = HumanTask.objects.filter(claimable, pk=task.pk, status=TaskStatus.OPEN).update(
        assignee=user)
    if updated != 1:
        raise TaskAlreadyHandled("该任务已被他人认领")
    task.refresh_from_db()
    AuditEntry.objects.create(case=case, task=task, actor=user, action=AuditAction.CLAIMED,
                              on_behalf_of=principal, summary=f"认领“{task.title}”")
    return task


@transaction.atomic
def task_release(*, user, task_pk: int) -> HumanTask:
    """Give a claimed task back to the pool of its role."""
    case, task = _lock_case_and_task(task_pk)
    if task.status != TaskStatus.OPEN:
        raise TaskAlreadyHandled("该任务已被办理")
    if task.assignee_id != user.pk or task.lane == APPLICANT_ROLE or task.delegated_by_id:
        raise PermissionDenied("只能释放自己认领的任务")
    task.assignee = None
    task.save(update_fields=["assignee"])
    AuditEntry.objects.create(case=case, task=task, actor=user, action=AuditAction.RELEASED,
                              summary=f"释放“{task.title}”")
    return task


# A step the engine adds outside the diagram when staff send a case back to the applicant
# for more material (补正): the diagram's own task waits until the applicant answers.
APPLICANT_SUPPLEMENT = "applicant_supplement"
# An added signer's opinion (加签), attached to an open diagram task: "before" signers answer
# before its owner may complete it; "after" signers answer after the owner, and only then
# does the case move on.
CO_SIGN = "co_sign"
ENGINE_STEPS = (APPLICANT_SUPPLEMENT, CO_SIGN)


def _open_co_signs(task: HumanTask, position: str | None = None):
    rows = task.case.tasks.filter(status=TaskStatus.OPEN, spec_name=CO_SIGN,
                                  task_data__held_task_id=str(task.task_id))
    return rows.filter(task_data__position=position) if position else rows


@transaction.atomic
def task_complete(*, user, task_pk: int, form_data: dict) -> HumanTask:
    """Complete a task with form data the procedure's form has already validated.

    Two staff submitting the same task at once: both queue on the case lock; the first
    completes it, the second finds it no longer open and gets ``TaskAlreadyHandled``.
    Ownership is re-checked inside the lock. A delegate's answer (委派) goes back to the
    owner instead of advancing the case; the applicant's answer to a 补正 request re-opens
    the step that asked for it.
    """
    form_data = _check_jsonable(form_data)
    case, task = _lock_case_and_task(task_pk)
    if not user_can_act_on_task(user, task):
        raise PermissionDenied("无权办理该任务")
    _ensure_open(task, user)
    principal = _principal(user, task)
    # The decider's authority (审批权限) is checked before any branch, so a delegate's answer
    # or a stashed completion above the limit is refused too, not only the final one.
    _authority_check(task=task, case_data=case.data, form_data=form_data)
    notes = None
    if task.spec_name not in ENGINE_STEPS:  # refuse early, before a delegate's or stashed answer
        from .checks import completion_check_run
        notes = completion_check_run(case=case, task=task, form_data=form_data, actor=user,
                                     record=False)
    if task.delegated_by_id and task.assignee_id == user.pk and task.delegate_answer is None:
        return _delegate_answer(case=case, task=task, user=user, form_data=form_data)
    if task.spec_name == CO_SIGN:
        return _co_sign_answer(case=case, task=task, user=user, form_data=form_data,
                               principal=principal)
    if task.task_data.get("stashed_completion"):
        raise TaskAlreadyHandled("已提交，正在等待加签人员签署意见")
    co_signs = {data.get("position") for data in
                _open_co_signs(task).values_list("task_data", flat=True)}  # one query
    if "before" in co_signs:
        raise TaskAlreadyHandled("请等待加签人员先签署意见")
    if "after" in co_signs:
        return _stash_until_co_signed(case=case, task=task, user=user, form_data=form_data,
                                      principal=principal)
    return _complete_diagram_task(case=case, task=task, user=user, form_data=form_data,
                                  principal=principal, checked_notes=notes)


def _authority_check(*, task, case_data, form_data) -> None:
    from .authority import completion_check

    completion_check(task=task, case_data=case_data, form_data=form_data)


def _complete_diagram_task(*, case, task, user, form_data, principal,
                           checked_notes: list | None = None) -> HumanTask:
    # Every completion of a diagram task passes here (task page, delegate confirmation,
    # co-sign stash, signer removal): the last guard of the decider's authority.
    # ``checked_notes``: the procedure's check already ran on this answer in this
    # transaction (``task_complete``); its notes are recorded without running it again.
    _authority_check(task=task, case_data=case.data, form_data=form_data)
    if task.spec_name != APPLICANT_SUPPLEMENT:  # the procedure's rules for this step
        from .checks import completion_check_run
        completion_check_run(case=case, task=task, form_data=form_data, actor=user,
                             principal=principal, notes=checked_notes)
    workflow, script_engine = _load(case)
    before = dict(case.data)
    if task.spec_name == APPLICANT_SUPPLEMENT:
        runtime.add_task_data(workflow, task.task_data["held_task_id"],
                              {"applicant_supplements": [
                                  *before.get("applicant_supplements", []), form_data]})
    else:
        runtime.complete_task(workflow, str(task.task_id), form_data)
    now = timezone.now()
    task.status = TaskStatus.COMPLETED
    task.assignee = user
    task.completed_by = user
    task.completed_at = now
    task.form_data = form_data
    task.save(update_fields=["status", "assignee", "completed_by", "completed_at",
                             "form_data"])
    step_stat_record(task=task)  # the dashboard's handling times (engine.reports)
    changed = {name: [before.get(name), value] for name, value in form_data.items()
               if before.get(name) != value}
    AuditEntry.objects.create(case=case, task=task, actor=user, action=AuditAction.COMPLETED,
                              on_behalf_of=principal, summary=f"办理“{task.title}”",
                              data={"form": form_data, "changed": changed})
    if "decision" in form_data:
        AuditEntry.objects.create(case=case, task=task, actor=user, on_behalf_of=principal,
                                  action=AuditAction.DECISION,
                                  summary=f"“{task.title}”决定：{form_data['decision']}",
                                  data={"decision": form_data["decision"]})
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=user)
    if task.spec_name == APPLICANT_SUPPLEMENT and task.task_data.get("returned_by"):
        # The step that asked for material goes back to the person who asked.
        case.tasks.filter(status=TaskStatus.OPEN, task_id=task.task_data["held_task_id"]
                          ).update(assignee_id=task.task_data["returned_by"])
    return task


def _co_sign_answer(*, case, task, user, form_data, principal) -> HumanTask:
    """An added signer's opinion: recorded; when the last "after" signer has signed, the
    owner's stashed completion of the held task is applied."""
    task.status = TaskStatus.COMPLETED
    task.completed_by = user
    task.completed_at = timezone.now()
    task.form_data = form_data
    task.save(update_fields=["status", "completed_by", "completed_at", "form_data"])
    step_stat_record(task=task)
    AuditEntry.objects.create(case=case, task=task, actor=user, on_behalf_of=principal,
                              action=AuditAction.COMPLETED, summary=f"加签意见：{task.title}",
                              data={"form": form_data})
    held = case.tasks.filter(status=TaskStatus.OPEN,
                             task_id=task.task_data["held_task_id"]).first()
    if held is None:
        return task
    held.case = case
    opinions = [*held.task_data.get("co_sign_opinions", []),
                {"user": user.get_full_name() or user.username, **form_data}]
    held.task_data = {**held.task_data, "co_sign_opinions": opinions}
    held.save(update_fields=["task_data"])
    stash = held.task_data.get("stashed_completion")
    if stash and not _open_co_signs(held, "after").exists():
        owner = held.completed_by or held.assignee
        data = {**stash, "co_sign_opinions": opinions}
        _complete_diagram_task(case=case, task=held, user=owner, form_data=data,
                               principal=None)
    return task


def _stash_until_co_signed(*, case, task, user, form_data, principal) -> HumanTask:
    """The owner has answered; the case moves on once the "after" signers have signed."""
    task.task_data = {**task.task_data, "stashed_completion": form_data}
    task.assignee = user
    task.completed_by = user
    task.save(update_fields=["task_data", "assignee", "completed_by"])
    AuditEntry.objects.create(case=case, task=task, actor=user, on_behalf_of=principal,
                              action=AuditAction.COMPLETED,
                              summary=f"办理“{task.title}”，待加签人员签署后生效",
                              data={"form": form_data})
    return task


def _delegate_answer(*, case: Case, task: HumanTask, user, form_data: dict) -> HumanTask:
    """The delegate has done the work: the answer goes back to the owner to confirm."""
    task.delegate_answer = form_data
    task.assignee_id = task.delegated_by_id
    task.save(update_fields=["delegate_answer", "assignee"])
    AuditEntry.objects.create(case=case, task=task, actor=user, action=AuditAction.COMPLETED,
                              on_behalf_of=task.delegated_by,
                              summary=f"受委派办理“{task.title}”，交回确认",
                              data={"form": form_data, "delegate_answer": True})
    return task


# ---------------------------------------------------------------------------------------------
# Timers


def timers_fire_due(*, now=None, limit: int = 500) -> int:
    """Fire every due timer. Run by Celery beat (or ``manage.py run_timers``), never by a
    web request. Each case fires in its own transaction; one broken case is recorded and
    skipped so that it cannot block the sweep."""
    now = now or timezone.now()
    due = list(Case.objects.filter(status=CaseStatus.RUNNING, next_timer_at__lte=now)
               .order_by("next_timer_at").values_list("pk", flat=True)[:limit])
    fired = 0
    for case_pk in due:
        try:
            fired += case_fire_timers(case_pk=case_pk, now=now)
        except Exception as exc:  # noqa: BLE001 - isolate failures, see docstring
            logger.exception("timer of case %s failed", case_pk)
            _case_record_error(case_pk, exc)
    # Quota places given to a waiting case whose lock was busy at the time (see
    # ``_quota_promote``): the after-commit task normally delivered them already.
    fired += quota_grants_deliver_pending()
    return fired


@transaction.atomic
def case_fire_timers(*, case_pk: int, now=None) -> int:
    """Fire the due timers of one case. Returns 1 if it advanced, 0 if there was nothing to
    do (already fired by another worker, or locked by one right now)."""
    now = now or timezone.now()
    # skip_locked: a case another worker (or a user) is advancing is picked up next sweep.
    case = (Case.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("definition", "village__parent__parent").defer(*DEFINITION_HEAVY)
            .filter(pk=case_pk, status=CaseStatus.RUNNING, next_timer_at__lte=now).first())
    if case is None:
        return 0
    workflow, script_engine = _load(case)
    due_before = case.next_timer_at
    runtime.fire_timers(workflow)
    notices.notices_end_due(case=case, workflow=workflow, now=now)
    AuditEntry.objects.create(case=case, action=AuditAction.TIMER,
                              summary="定时器到期", data={"due": due_before.isoformat()})
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=None)
    return 1


def _case_record_error(case_pk: int, exc: Exception) -> None:
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_pk)
        case.status = CaseStatus.ERROR
        case.error = str(exc)[:2000]
        case.save(update_fields=["status", "error", "updated_at"])
        AuditEntry.objects.create(case=case, action=AuditAction.ERROR,
                                  summary="流程运行异常", data={"error": str(exc)[:2000]})
        # Nobody was at a screen (a timer fired): the county's supervisors are told.
        from .notifications import configuration_error_report

        configuration_error_report(county=case.village.county,
                                   where=f"{case.title}（定时器，案件 {case.pk}）",
                                   error=str(exc))


# ---------------------------------------------------------------------------------------------
# Documents


def _allocate_sequence(*, issuer_code: str, doc_type: str, year: int) -> int:
    """Next number of a series. The sequence row is locked until the surrounding transaction
    ends, so concurrent decisions queue and a rolled-back decision gives its number back:
    no gaps, no duplicates."""
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(issuer_code=issuer_code, doc_type=doc_type, year=year)],
        ignore_conflicts=True,
    )
    sequence = DocumentSequence.objects.select_for_update().get(
        issuer_code=issuer_code, doc_type=doc_type, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _document_issue(*, case: Case, doc_type_code: str, data: dict, actor,
                    issuer: str | None = None, decider_task: str | None = None) -> Document:
    """Number a document and queue its rendering; called inside the advancing transaction.

    The issuer follows who decided (``engine.issuers``): ``issuer`` is the service task's
    explicit parameter, ``decider_task`` the user task whose completion led here. Numbers
    run per issuer, so a township issuing in its own name has its own series."""
    from .issuers import IssuerNotConfigured, decider_level, document_issuer, filing_create
    from .outbox import enqueue_on_commit
    from .tasks import document_render_task

    doc_type = document_type(doc_type_code)
    decided_at = decider_level(case, decider_task)
    try:
        chosen = document_issuer(case=case, explicit=issuer, decider=decided_at)
    except IssuerNotConfigured as exc:
        raise ActionRefused(str(exc)) from exc
    # Every document is signed with its issuer's key: a unit without one cannot issue (in
    # production; the demo creates one), and the decision is refused before it is numbered.
    from .signing import SigningNotConfigured, signing_check

    try:
        signing_check(chosen.unit)
    except SigningNotConfigured as exc:
        raise SetupIncomplete(str(exc), county=case.village.county,
                              where=f"{case.title}·出具{doc_type.title}") from exc
    level = chosen.handling_unit.level if chosen.handling_unit else chosen.unit.level
    if doc_type.decided_by and level not in doc_type.decided_by:
        allowed = "、".join(UnitLevel(code).label for code in doc_type.decided_by)
        raise RuntimeFailure(f"{doc_type.title}只能由{allowed}作出，本案由"
                             f"{UnitLevel(level).label}的办理人员决定，流程图有误")
    issuer_code = f"{chosen.prefix}{doc_type.series}"
    today = timezone.localdate()
    sequence = _allocate_sequence(issuer_code=issuer_code, doc_type=doc_type.code,
                                  year=today.year)
    document = Document(
        case=case, doc_type=doc_type.code, title=doc_type.title, issuer_code=issuer_code,
        year=today.year, sequence=sequence, number=f"{issuer_code}〔{today.year}〕{sequence}号",
        issued_on=today, issuer_unit=chosen.unit, holder_name=case.applicant_name,
        holder_id_masked=mask_id_number(case.applicant_id_number),
        context=json.loads(json.dumps(data, default=str)),
        handling_unit=chosen.handling_unit, issuer_form=chosen.form,
    )
    # The fields' own rules; not the foreign keys (saved instances) nor the uniqueness of
    # the number, which the locked sequence guarantees and the unique constraints back up:
    # six SELECTs fewer per document.
    document.full_clean(exclude=["pdf", "case", "issuer_unit", "handling_unit"],
                        validate_unique=False, validate_constraints=False)
    document.save()
    filing_create(document=document)
    AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.DOCUMENT,
                              summary=f"出具{document.title} {document.number}",
                              data={"document": str(document.uuid), "number": document.number})
    # The pending row is the outbox: a broker fault leaves it for the sweep (engine.outbox).
    enqueue_on_commit(document_render_task, document.pk)
    return document


# ---------------------------------------------------------------------------------------------
# Organisation


@transaction.atomic
def unit_create(*, name: str, level: str, parent: Unit | None = None, doc_prefix: str = "",
                office_name: str = "", settings: dict | None = None) -> Unit:
    """Add a unit to the jurisdiction tree and give it its materialised path."""
    unit = Unit(name=name, level=level, parent=parent, doc_prefix=doc_prefix,
                office_name=office_name, settings=settings or {})
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def unit_settings_update(*, unit: Unit, changes: dict, actor) -> Unit:
    """Change a unit's settings (holiday calendar, 低保 standard...), recording old and new
    values in the audit trail."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    changes = _check_jsonable(changes)
    before = {name: unit.settings.get(name) for name in changes}
    unit.settings = {**unit.settings, **changes}
    unit.save(update_fields=["settings"])
    AuditEntry.objects.create(actor=actor, action=AuditAction.SETTINGS,
                              summary=f"修改{unit.name}的设置",
                              data={"unit": unit.pk, "before": before, "after": changes})
    return unit


def role_assign(*, user, role: str, unit: Unit) -> RoleAssignment:
    """Give ``user`` role ``role`` over every case within ``unit``."""
    assignment, _ = RoleAssignment.objects.get_or_create(user=user, role_id=role, unit=unit)
    return assignment



# ---------------------------------------------------------------------------------------------
# Quotas


# The messages a diagram waits for after ``reserve_quota`` with ``wait`` (at an event-based
# gateway): the place is the case's, or the case is on the waiting list (候补). A case on the
# list later gets ``quota_granted`` when a place is given to it.
QUOTA_GRANTED_MESSAGE = "quota_granted"
QUOTA_WAITING_MESSAGE = "quota_waiting"


def quota_wait_param(value) -> bool:
    """The ``wait`` parameter of ``reserve_quota``: True/"true"/"yes"/1 (a diagram literal)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


@transaction.atomic
def quota_set(*, key: str, unit: Unit, year: int, capacity: int, actor=None) -> Quota:
    """Set a unit's yearly quota (the county's split of its own quota). Raising it gives the
    new places to the cases on its waiting list, first filed first."""
    quota = Quota.objects.select_for_update().filter(key=key, unit=unit, year=year).first()
    if quota is None:
        quota = Quota(key=key, unit=unit, year=year, capacity=capacity)
    elif capacity < quota.used:
        raise ValueError(f"名额不能少于已使用的 {quota.used} 个")
    quota.capacity = capacity
    quota.full_clean()
    quota.save()
    AuditEntry.objects.create(actor=actor, action=AuditAction.QUOTA,
                              summary=f"设置{unit.name}{year}年度名额为{capacity}",
                              data={"key": key, "unit": unit.pk, "year": year,
                                    "capacity": capacity})
    _quota_promote(quota=quota)
    return quota


def _quota_info(quota: Quota) -> dict:
    return {"key": quota.key, "unit": quota.unit.name, "year": quota.year,
            "capacity": quota.capacity}


def quota_waiting_position(waiting: QuotaWaiting) -> int:
    """1 for the first case on the list: rows still waiting filed before it, plus one."""
    ahead = QuotaWaiting.objects.filter(quota_id=waiting.quota_id,
                                        status=WaitingStatus.WAITING).filter(
        Q(filed_at__lt=waiting.filed_at) | Q(filed_at=waiting.filed_at, pk__lt=waiting.pk))
    return ahead.count() + 1


def _quota_reserve(*, case: Case, key: str, level: str, actor,
                   wait: bool = False) -> tuple[str, dict]:
    """Take one place for the case under the quota row's lock: two approvals racing for the
    last place queue here. With no place left the second is refused (``QuotaExceeded``) or,
    with ``wait``, put on the waiting list in filing order. Returns the message for the
    diagram and its payload: (``quota_granted``, …) or (``quota_waiting``, {"position": N…})."""
    unit = case.village.ancestor_at(level)
    year = timezone.localdate().year
    quota = Quota.objects.select_for_update().select_related("unit").filter(
        key=key, unit=unit, year=year).first()
    if quota is None:
        raise QuotaExceeded(f"{unit.name}{year}年度尚未设置名额，请县民政局先分配名额")
    if quota.reservations.filter(case=case, released_at__isnull=True).exists():
        return QUOTA_GRANTED_MESSAGE, {**_quota_info(quota), "granted": True}
    waiting = quota.waiting.filter(case=case, status=WaitingStatus.WAITING).first()
    if waiting is not None:
        return QUOTA_WAITING_MESSAGE, _waiting_payload(waiting, quota)
    # Places freed earlier went to the waiting list at once; hand out any still free first so
    # a new approval never goes ahead of a case filed before it.
    _quota_promote(quota=quota)
    if quota.used < quota.capacity and not quota.waiting.filter(
            status=WaitingStatus.WAITING, filed_at__lt=case.created_at).exists():
        _quota_take(quota=quota, case=case, actor=actor)
        return QUOTA_GRANTED_MESSAGE, {**_quota_info(quota), "granted": True}
    if not wait:
        raise QuotaExceeded(f"{unit.name}{year}年度名额（共{quota.capacity}个）已用完，"
                            f"不能再批准")
    waiting = QuotaWaiting(quota=quota, case=case, filed_at=case.created_at)
    waiting.full_clean()
    waiting.save()
    payload = _waiting_payload(waiting, quota)
    AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.QUOTA,
                              summary=f"{unit.name}{year}年度名额（共{quota.capacity}个）已用完，"
                                      f"列入候补名单第{payload['position']}位",
                              data={"key": key, "quota": quota.pk, "waiting": waiting.pk,
                                    "position": payload["position"]})
    if case.applicant_id:
        from .models import NotificationKind
        from .notifications import notify

        notify(users=[case.applicant], kind=NotificationKind.RESULT, case=case,
               title=f"您的{case.title}已列入{unit.name}{year}年度名额候补名单第"
                     f"{payload['position']}位",
               body="申请已获批准；因本年度名额已满，按申请时间列入候补名单，有名额空出时依次递补，"
                    "无需重新申请。")
    return QUOTA_WAITING_MESSAGE, payload


def _waiting_payload(waiting: QuotaWaiting, quota: Quota) -> dict:
    return {**_quota_info(quota), "granted": False,
            "position": quota_waiting_position(waiting),
            "waiting_since": timezone.localdate().isoformat()}


def _quota_take(*, quota: Quota, case: Case, actor) -> QuotaReservation:
    quota.used += 1
    quota.save(update_fields=["used"])
    reservation = QuotaReservation.objects.create(quota=quota, case=case)
    AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.QUOTA,
                              summary=f"占用{quota.unit.name}{quota.year}年度名额"
                                      f"（{quota.used}/{quota.capacity}）",
                              data={"key": quota.key, "quota": quota.pk, "reserved": True})
    return reservation


def _quota_promote(*, quota: Quota) -> list[int]:
    """Give free places of ``quota`` (whose row the caller has locked) to the first cases on
    its waiting list. The place is taken here, in the locked transaction — ``used``, the
    reservation and the waiting row change together —, so neither a racing approval nor a
    second release can over-allocate or skip the queue. Telling each case's workflow needs
    that case's lock: taken now if free (``skip_locked``: never wait for a case lock while
    holding the quota lock, which is how two cases' transactions would deadlock), otherwise
    right after commit (Celery) or by the periodic sweep. Returns the promoted case ids.

    Nothing of the promoted case is written here but quota rows: its audit entries go into
    its own chain when the grant is delivered, under its lock."""
    from .outbox import enqueue_on_commit
    from .tasks import quota_grant_deliver_task

    promoted = []
    now = timezone.now()
    while quota.used < quota.capacity:
        waiting = (quota.waiting.select_for_update().filter(status=WaitingStatus.WAITING)
                   .order_by("filed_at", "pk").first())
        if waiting is None:
            break
        quota.used += 1
        quota.save(update_fields=["used"])
        QuotaReservation.objects.create(quota=quota, case_id=waiting.case_id)
        waiting.status = WaitingStatus.GRANTED
        waiting.granted_at = now
        waiting.save(update_fields=["status", "granted_at"])
        promoted.append(waiting.case_id)
    for case_pk in promoted:
        case = case_lock(case_pk, skip_locked=True)
        if case is not None:
            _quota_grants_deliver(case=case, actor=None)
        else:
            enqueue_on_commit(quota_grant_deliver_task, case_pk)
    return promoted


def _quota_grants_deliver(*, case: Case, actor) -> int:
    """Tell the case's workflow (the caller holds the case lock) about places given to it
    from the waiting list and not yet delivered. A suspended case keeps its place and is
    told when resumed; a case that ended in the meantime gives the place back."""
    pending = list(case.quota_waiting.select_related("quota", "quota__unit").filter(
        status=WaitingStatus.GRANTED, delivered_at__isnull=True).order_by("granted_at", "pk"))
    delivered = 0
    for waiting in pending:
        quota = waiting.quota
        if case.status == CaseStatus.SUSPENDED:
            continue
        now = timezone.now()
        if case.status != CaseStatus.RUNNING:
            waiting.delivered_at = now
            waiting.save(update_fields=["delivered_at"])
            _quota_release(case=case, key=quota.key, actor=actor)
            continue
        workflow, script_engine = _load(case)
        if QUOTA_GRANTED_MESSAGE not in runtime.waiting_messages(workflow):
            logger.warning("case %s got a quota place but does not wait for %s", case.pk,
                           QUOTA_GRANTED_MESSAGE)
            continue  # left pending: visible in the admin, retried by the sweep
        waiting.delivered_at = now
        waiting.save(update_fields=["delivered_at"])
        AuditEntry.objects.create(
            case=case, actor=actor, action=AuditAction.QUOTA,
            summary=f"候补递补：获得{quota.unit.name}{quota.year}年度名额"
                    f"（{quota.used}/{quota.capacity}）",
            data={"key": quota.key, "quota": quota.pk, "waiting": waiting.pk,
                  "reserved": True})
        runtime.send_message(workflow, QUOTA_GRANTED_MESSAGE,
                             {**_quota_info(quota), "granted": True, "from_waiting_list": True,
                              "granted_on": timezone.localdate().isoformat()})
        _advance(case=case, workflow=workflow, script_engine=script_engine, actor=actor)
        if case.applicant_id:
            from .models import NotificationKind
            from .notifications import notify

            notify(users=[case.applicant], kind=NotificationKind.RESULT, case=case,
                   title=f"您的{case.title}已递补获得{quota.unit.name}{quota.year}年度名额",
                   body="候补名单中的名额已分配给您的申请，案件继续办理。")
        delivered += 1
    return delivered


@transaction.atomic
def quota_grant_deliver(*, case_pk: int) -> int:
    """Deliver the places given to one case from the waiting list (Celery task and sweep).
    Idempotent: a grant already delivered is not delivered again."""
    case = case_lock(case_pk)
    return _quota_grants_deliver(case=case, actor=None)


def quota_grants_deliver_pending(*, limit: int = 200) -> int:
    """The sweep's share (with the timers): grants whose case lock was busy when the place
    was given and whose after-commit task was lost. Each case in its own transaction."""
    case_pks = list(QuotaWaiting.objects.filter(
        status=WaitingStatus.GRANTED, delivered_at__isnull=True,
        case__status=CaseStatus.RUNNING).order_by("granted_at")
        .values_list("case_id", flat=True).distinct()[:limit])
    delivered = 0
    for case_pk in dict.fromkeys(case_pks):
        try:
            delivered += quota_grant_deliver(case_pk=case_pk)
        except Exception:  # noqa: BLE001 - one broken case must not block the sweep
            logger.exception("delivering the quota place of case %s failed", case_pk)
    return delivered


def _quota_release(*, case: Case, key: str, actor) -> None:
    """Give back the case's place(s) of quota ``key`` and take it off that quota's waiting
    list; each freed place goes to the first waiting case (``_quota_promote``). Idempotent:
    a case holding nothing releases nothing."""
    quota_ids = set(QuotaReservation.objects.filter(
        case=case, quota__key=key, released_at__isnull=True).values_list("quota_id", flat=True))
    quota_ids |= set(QuotaWaiting.objects.filter(
        case=case, quota__key=key, status=WaitingStatus.WAITING).values_list("quota_id",
                                                                             flat=True))
    for quota_id in sorted(quota_ids):  # lock order: by pk, like every multi-row lock here
        quota = Quota.objects.select_for_update().select_related("unit").get(pk=quota_id)
        now = timezone.now()
        for waiting in quota.waiting.select_for_update().filter(case=case,
                                                                status=WaitingStatus.WAITING):
            waiting.status = WaitingStatus.LEFT
            waiting.left_at = now
            waiting.save(update_fields=["status", "left_at"])
            AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.QUOTA,
                                      summary=f"退出{quota.unit.name}{quota.year}年度名额候补名单",
                                      data={"key": key, "quota": quota.pk,
                                            "waiting": waiting.pk})
        for reservation in quota.reservations.filter(case=case, released_at__isnull=True):
            quota.used -= 1
            quota.save(update_fields=["used"])
            reservation.released_at = now
            reservation.save(update_fields=["released_at"])
            AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.QUOTA,
                                      summary=f"释放{quota.unit.name}{quota.year}年度名额",
                                      data={"key": key, "quota": quota.pk, "reserved": False})
        _quota_promote(quota=quota)


def quota_release_all(*, case: Case, actor) -> None:
    """Give back every place the case holds and leave every waiting list (a voided case).
    The caller holds the case lock."""
    keys = set(QuotaReservation.objects.filter(case=case, released_at__isnull=True)
               .values_list("quota__key", flat=True))
    keys |= set(QuotaWaiting.objects.filter(case=case, status=WaitingStatus.WAITING)
                .values_list("quota__key", flat=True))
    for key in sorted(keys):
        _quota_release(case=case, key=key, actor=actor)


# ---------------------------------------------------------------------------------------------
# Messages and random draws


@transaction.atomic
def case_send_message(*, case_pk: int, message: str, payload: dict, actor) -> Case:
    """Deliver a named message to a waiting case (an external result, a spot-check
    selection...). Raises ``RuntimeFailure`` when the case is not waiting for it."""
    payload = _check_jsonable(payload)
    case = case_lock(case_pk)
    if case.status != CaseStatus.RUNNING:
        raise TaskAlreadyHandled("案件已办结")
    workflow, script_engine = _load(case)
    runtime.send_message(workflow, message, payload)
    AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.MESSAGE,
                              summary=f"收到“{message}”", data={"payload": payload})
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=actor)
    return case


def case_waiting_messages(case: Case) -> list[str]:
    workflow, _ = _load(case)
    return runtime.waiting_messages(workflow)


def random_draw(*, population: list[str], ratio: float, minimum: int, seed: str) -> list[str]:
    """Draw ``max(minimum, ceil(ratio × n))`` members at random, reproducibly: the same seed
    and population always give the same sample (双随机: anyone can re-run the draw)."""
    import math
    import random

    members = sorted(set(population))
    size = min(len(members), max(minimum, math.ceil(ratio * len(members))))
    return sorted(random.Random(seed).sample(members, size))  # noqa: S311 - audit, not crypto


@transaction.atomic
def random_draw_record(*, purpose: str, population: list[str], ratio: float, minimum: int,
                       seed: str, actor, seed_sha256: str = "") -> list[str]:
    """``random_draw`` plus an audit entry holding everything needed to reproduce it. With
    ``seed_sha256`` (a commitment made earlier, see ``random_draw_seed_commit``) the seed must
    match it: a draw with any other seed is refused."""
    if seed_sha256 and random_draw_seed_hash(seed) != seed_sha256:
        raise ActionRefused("随机种子与事先公布的SHA-256值不符，不能抽取")
    chosen = random_draw(population=population, ratio=ratio, minimum=minimum, seed=seed)
    digest = random_draw_population_hash(population)
    AuditEntry.objects.create(
        actor=actor, action=AuditAction.DRAW,
        summary=f"{purpose}：从{len(set(population))}个中随机抽取{len(chosen)}个",
        data={"purpose": purpose, "seed": seed, "seed_sha256": seed_sha256, "ratio": ratio,
              "minimum": minimum, "population_size": len(set(population)),
              "population_sha256": digest, "population": sorted(set(population)),
              "chosen": chosen},
    )
    return chosen


def random_draw_seed_hash(seed: str) -> str:
    """SHA-256 (hex) of a draw's seed: the commitment published before the draw."""
    return hashlib.sha256(seed.encode()).hexdigest()


def random_draw_population_hash(population: list[str]) -> str:
    """SHA-256 (hex) of the population, one member a line in sorted order."""
    return hashlib.sha256("\n".join(sorted(set(population))).encode()).hexdigest()


@transaction.atomic
def random_draw_seed_commit(*, purpose: str, actor) -> tuple[str, str]:
    """Generate a draw's seed now and record its SHA-256 in the audit trail, before the
    population exists: whoever draws later cannot pick a seed that suits them, and anyone can
    check hash + population + seed → result. Returns (seed, sha256); keep the seed unshown
    until the draw."""
    import secrets

    seed = secrets.token_hex(16)
    digest = random_draw_seed_hash(seed)
    AuditEntry.objects.create(actor=actor, action=AuditAction.DRAW,
                              summary=f"{purpose}：随机种子已生成，公布其SHA-256值",
                              data={"purpose": purpose, "seed_sha256": digest})
    return seed, digest


def random_draw_verify(*, population: list[str], ratio: float, minimum: int, seed: str,
                       seed_sha256: str, chosen: list[str]) -> bool:
    """Anyone's check of a published draw: the seed matches its commitment and re-running the
    draw over the population gives the published result."""
    return (random_draw_seed_hash(seed) == seed_sha256 and
            random_draw(population=population, ratio=ratio, minimum=minimum, seed=seed)
            == sorted(chosen))



# ---------------------------------------------------------------------------------------------
# Attachments


def attachments_add(*, case: Case, task: HumanTask | None, uploads: dict, user) -> list:
    """Store uploaded files ({form field: [files]}) on the case, with an audit entry.

    Every upload passes here, so the content check is repeated: whatever a form or an API
    client claims, only a PDF, JPG or PNG that opens is stored (``engine.files``), under the
    type found in its content. A refused file raises ``FileRefused`` and nothing is stored."""
    from .files import file_check

    stored = []
    for field_name, files in uploads.items():
        for upload in files:
            upload.seek(0)
            content = upload.read()
            content_type = file_check(name=upload.name, content=content)
            attachment = Attachment(
                case=case, task=task, field=field_name, name=upload.name[:200],
                content_type=content_type,
                size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                content=content, uploaded_by=user)
            attachment.save()
            stored.append(attachment)
    if stored:
        AuditEntry.objects.create(
            case=case, task=task, actor=user, action=AuditAction.ATTACHMENT, summary=f"上传附件{len(stored)}个",
            data={"attachments": [{"uuid": str(a.uuid), "name": a.name, "field": a.field,
                                   "sha256": a.sha256} for a in stored]})
    return stored
