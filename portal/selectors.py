"""Reads of the portal: who may do what on which page, and case data laid out for display.

Object access itself is ``engine.selectors`` (``*_get_for_user`` gives outsiders 404); this
module adds the portal's role rules (who may file, who sees the inbox) and turns case data
into labelled rows using the procedure's own forms, so no procedure is named here.
"""
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from engine.clocks import case_clock_statuses
from engine.identity import mask_id_number
from engine.models import (
    APPLICANT_ROLE,
    AuditAction,
    AuditEntry,
    Case,
    HumanTask,
    RoleReach,
    TaskStatus,
    Unit,
    UnitLevel,
)
from engine.search import cases_search
from engine.selectors import (
    case_list_for_user,
    document_list_for_case,
    is_staff_member,
    role_assignments,
    task_list_for_user,
    user_can_act_on_task,
)
from engine.visibility import HIDDEN_TEXT, CaseViewer, case_viewer, policy_for
from workflows.common.fields import IdNumberField
from workflows.registry import Procedure, procedure_get

VILLAGE_STAFF_ROLE = "village_staff"
HIDDEN_ATTACHMENT = f"证明材料{HIDDEN_TEXT}"


# ---------------------------------------------------------------------------------------------
# Who the user is


def user_identity(user) -> dict:
    """Name and "role（unit）" labels for the page header."""
    if not user.is_authenticated:
        return {"name": "", "roles": []}
    roles = [f"{a.role.name}（{a.unit.name}）" for a in role_assignments(user)]
    return {"name": user.get_full_name() or user.username, "roles": roles or ["申请人"]}


def staff_required(user) -> None:
    """Inbox and case list are staff pages; applicants use 我的申请."""
    if not is_staff_member(user):
        raise PermissionDenied("该页面仅供经办人员使用，申请人请查看“我的申请”")


@dataclass(frozen=True)
class FilingRights:
    on_behalf: bool
    villages: QuerySet | None  # None: any village (an applicant filing for themselves)


def filing_rights_for_user(user) -> FilingRights:
    """Applicants file for themselves; village staff file on behalf of residents of their
    villages (村委会代办); township and county staff do not file (they accept and decide)."""
    assignments = role_assignments(user)
    if not assignments:
        return FilingRights(on_behalf=False, villages=None)
    paths = [a.unit.path for a in assignments if a.role_id == VILLAGE_STAFF_ROLE]
    if not paths:
        raise PermissionDenied("乡镇、县级工作人员不能提交申请；请由申请人本人或村（社区）"
                               "协理员代办提交")
    within = Q(pk__in=[])
    for path in paths:
        within |= Q(path__startswith=path)
    villages = Unit.objects.filter(within, level=UnitLevel.VILLAGE).order_by("pk")
    return FilingRights(on_behalf=True, villages=villages)


def user_may_file(user) -> bool:
    try:
        filing_rights_for_user(user)
    except PermissionDenied:
        return False
    return True


def application_initial(user, rights: FilingRights) -> dict:
    """What an applicant's own form starts with: their registered name, ID and phone."""
    if rights.on_behalf:
        return {}
    initial = {"applicant_name": user.get_full_name()}
    profile = getattr(user, "applicant_profile", None)
    if profile is not None:
        initial.update(id_number=profile.id_number, phone=profile.phone)
    return {name: value for name, value in initial.items() if value}


def procedure_or_404(key: str) -> Procedure:
    try:
        return procedure_get(key)
    except LookupError:
        raise Http404("未知的审批事项") from None


# ---------------------------------------------------------------------------------------------
# Inbox


def townships_visible_to(user) -> QuerySet[Unit]:
    """Townships the user's jurisdictions lie in or contain (for the inbox filter)."""
    q = Q(pk__in=[])
    for assignment in role_assignments(user):
        q |= Q(path__startswith=assignment.unit.path)  # a county's townships, or itself
        township = assignment.unit.ancestor_at(UnitLevel.TOWNSHIP)
        if township is not None:  # village staff: the township their village is in
            q |= Q(pk=township.pk)
    return Unit.objects.filter(q, level=UnitLevel.TOWNSHIP).order_by("pk")


# Columns list pages never show: a definition's diagram and compiled spec (17–40 KB each,
# per row) and a case's workflow state and data. Deferred, they are not even read.
_DEFINITION_HEAVY = ("bpmn_xml", "dmn_xml", "spec_json", "comment")
_CASE_HEAVY = ("state", "data", "error")
# Counts above this are shown as "200+": counting further is reading every row, and at a
# county's scale a count of up to ~200 rows is a nested loop of index probes, of more a hash
# of every running case (bench/README.md).
COUNT_CAP = 200


def inbox_for_user(user) -> QuerySet[HumanTask]:
    return (task_list_for_user(user=user).select_related("case__definition")
            .defer(*(f"case__{name}" for name in _CASE_HEAVY),
                   *(f"case__definition__{name}" for name in _DEFINITION_HEAVY),
                   "task_data", "form_data", "delegate_answer"))


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """``queryset.count()``, but at most ``cap + 1``: a count stops reading rows there
    (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``); show it with ``count_label``
    ("200+")."""
    return queryset.order_by()[:cap + 1].count()


def count_label(count: int, cap: int = COUNT_CAP) -> str:
    return f"{cap}+" if count > cap else str(count)


def inbox_counts(user, tasks: QuerySet[HumanTask], now: datetime) -> dict:
    """Tab counts over the whole inbox (before filters), each at most ``COUNT_CAP + 1``."""
    return {
        "all": capped_count(tasks),
        "free": capped_count(tasks.filter(assignee__isnull=True)),
        "mine": capped_count(tasks.filter(assignee=user)),
        "overdue": capped_count(tasks.filter(due_at__lt=now)),
    }


def tasks_attach_departments(tasks) -> list[HumanTask]:
    """``task.department``: the department's name for a department's task (lane
    ``department:公安`` → 公安), else ""; one query for the role names."""
    from engine.models import Role

    tasks = list(tasks)
    codes = {t.lane for t in tasks if t.lane.startswith("department:")}
    names = dict(Role.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for task in tasks:
        task.department = names.get(task.lane, "")
    return tasks


# ---------------------------------------------------------------------------------------------
# Cases


def _open_tasks_prefetch() -> Prefetch:
    return Prefetch("tasks", to_attr="open_tasks",
                    queryset=HumanTask.objects.filter(status=TaskStatus.OPEN)
                    .select_related("assignee", "candidate_unit").order_by("created_at"))


def _case_list_columns(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.defer(*_CASE_HEAVY, *(f"definition__{name}" for name in _DEFINITION_HEAVY))


def cases_for_staff(user, *, query: str = "") -> QuerySet[Case]:
    """The case list: the user's cases, newest first, narrowed by a search (``q``,
    ``engine.search``) when given."""
    cases = _case_list_columns(case_list_for_user(user=user))
    if query:
        cases = cases_search(cases, query)
    return cases.prefetch_related(_open_tasks_prefetch())


def cases_of_applicant(user) -> QuerySet[Case]:
    """"我的申请": cases the user filed for themselves, with their documents."""
    from engine.models import Document

    documents = Prefetch("documents", queryset=Document.objects.defer("pdf", "context")
                         .order_by("created_at"))
    return (_case_list_columns(case_list_for_user(user=user).filter(applicant=user))
            .prefetch_related(_open_tasks_prefetch(), documents))


def applicant_tasks(user) -> QuerySet[HumanTask]:
    """Steps waiting for the applicant themselves (e.g. 补正材料)."""
    return task_list_for_user(user=user).filter(lane=APPLICANT_ROLE, case__applicant=user)


def open_tasks_of_case(case: Case) -> list[HumanTask]:
    return list(case.tasks.filter(status=TaskStatus.OPEN)
                .select_related("assignee", "candidate_unit").order_by("created_at"))


def user_may_see_identity(user, case: Case, tasks: list[HumanTask]) -> bool:
    """Full ID numbers only for the applicant and for staff who may act on the case now;
    everyone else sees them masked (《社会救助暂行办法》 art. 61 confidentiality)."""
    if case.applicant_id and case.applicant_id == user.pk:
        return True
    return any(t.status == TaskStatus.OPEN and user_can_act_on_task(user, t) for t in tasks)


def _count(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def grant_warnings(case: Case, procedure: Procedure | None) -> list[str]:
    """Yellow warnings for staff: the rule of one grant per household per year for the same
    cause. Both what the applicant declared and what the system has on record
    (``recorded_grants``, added when the application was filed) are checked."""
    name = procedure.name if procedure else case.definition.name
    warnings = []
    declared = _count(case.data.get("previous_grants_count"))
    if declared > 0:
        warnings.append(f"本年度已获{name}{declared}次，同一事由原则上一年一次")
    recorded = case.data.get("recorded_grants") or {}
    if isinstance(recorded, dict) and _count(recorded.get("count")) > 0:
        warnings.append(f"系统记录：该户（户主或家庭成员）本年度已批准{name}"
                        f"{_count(recorded['count'])}次，"
                        f"共{recorded.get('total', 0)}元")
    return warnings


# ---------------------------------------------------------------------------------------------
# Case data as labelled rows


@dataclass
class Row:
    label: str
    value: str = ""
    # A list value (household members etc.) as a small table: column labels and cells.
    columns: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)


# Column labels of list items that procedures' forms produce (e.g. household members).
_ITEM_LABELS = {"name": "姓名", "id_number": "身份证号码", "relation": "关系"}


def _display_value(field_obj: forms.Field, value, *, reveal: bool) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(field_obj, IdNumberField):
        return str(value) if reveal else mask_id_number(str(value))
    if isinstance(field_obj, forms.BooleanField):
        return "是" if value else "否"
    if isinstance(field_obj, forms.ModelChoiceField):
        obj = field_obj.queryset.model._default_manager.filter(pk=value).first()
        return str(obj) if obj else str(value)
    if isinstance(field_obj, forms.ChoiceField):
        coerce = getattr(field_obj, "coerce", str)
        for key, label in field_obj.choices:
            if key == value or str(key) == str(value) or (
                    isinstance(field_obj, forms.TypedChoiceField) and key != ""
                    and coerce(key) == value):
                return str(label)
        return str(value)
    return str(value)


def _list_row(label: str, value: list, *, reveal: bool, field_obj=None) -> Row:
    if not value:
        return Row(label=label, value="—")
    if not all(isinstance(item, dict) for item in value):
        if isinstance(field_obj, forms.ChoiceField):  # e.g. a MultipleChoiceField's codes
            return Row(label=label, value="、".join(
                _display_value(field_obj, item, reveal=reveal) for item in value))
        return Row(label=label, value="、".join(str(item) for item in value))
    # Known columns first, in their natural order (stored JSON does not keep key order).
    keys = sorted(dict.fromkeys(key for item in value for key in item),
                  key=lambda k: (list(_ITEM_LABELS).index(k) if k in _ITEM_LABELS
                                 else len(_ITEM_LABELS), k))
    cells = []
    for item in value:
        cells.append([
            (mask_id_number(str(item.get(key, ""))) if key == "id_number" and not reveal
             else str(item.get(key, ""))) for key in keys])
    return Row(label=label, columns=[_ITEM_LABELS.get(key, key) for key in keys], cells=cells)


def form_rows(form_class: type[forms.Form] | None, data: dict, *, reveal: bool,
              overrides: dict[str, str] | None = None, skip_empty: bool = False,
              visibility: CaseViewer | None = None) -> list[Row]:
    """``data`` (JSON from a form) as rows labelled by ``form_class``'s fields, in its order;
    keys the form does not know (derived data) are left out. ``visibility``: sensitive
    fields the viewer may not see in full are masked (``engine.visibility``)."""
    if form_class is None:
        return []
    overrides = overrides or {}
    rows = []
    try:
        # An instance, not the class: some forms set their choices in __init__.
        fields = form_class().fields
    except Exception:  # noqa: BLE001 - a form needing arguments: fall back to the class
        fields = form_class.base_fields
    for name, field_obj in fields.items():
        # Uploads are attachments, listed with the documents, never workflow data. Fields a
        # task-scoped viewer's tasks do not declare are left out (engine.visibility).
        if name not in data or isinstance(field_obj, forms.FileField) or (
                visibility is not None and not visibility.shows(name)):
            continue
        value = data[name]
        if skip_empty and value in (None, "", []):
            continue
        if name in overrides:
            rows.append(Row(label=str(field_obj.label), value=overrides[name]))
        elif visibility is not None and not visibility.sees(name):
            rows.append(Row(label=str(field_obj.label),
                            value=str(visibility.value(name, value) or "—")))
        elif isinstance(value, list):
            rows.append(_list_row(str(field_obj.label), value, reveal=reveal,
                                  field_obj=field_obj))
        else:
            rows.append(Row(label=str(field_obj.label),
                            value=_display_value(field_obj, value, reveal=reveal)))
    return rows


def _masking_all(case: Case) -> CaseViewer:
    """The safe default view when the caller names no viewer: every sensitive item masked."""
    return CaseViewer(policy=policy_for(case.procedure), user_pk=None)


def case_rows(case: Case, procedure: Procedure | None, *, reveal: bool,
              visibility: CaseViewer | None = None) -> list[Row]:
    """The application as filed, labelled by the procedure's application form."""
    form_class = procedure.application_form if procedure else None
    village = case.village
    township = village.parent.name if village.parent_id else ""
    return form_rows(form_class, case.data, reveal=reveal,
                     overrides={"village": f"{township} {village.name}".strip()},
                     visibility=visibility or _masking_all(case))


@dataclass
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    summary: str
    rows: list[Row]


def _history_entry(entry: AuditEntry, procedure: Procedure | None, *,
                   details: bool, visibility: CaseViewer) -> HistoryEntry:
    rows = []
    if entry.action == AuditAction.ATTACHMENT:
        # A file name can tell an illness ("肝癌诊断.pdf"): hidden like the file itself.
        names = [item.get("name", "") if visibility.sees_upload(item.get("field", ""),
                                                                 entry.actor_id)
                 else HIDDEN_ATTACHMENT for item in entry.data.get("attachments", [])]
        rows = [Row(label="文件", value="、".join(names))]
    if entry.action == AuditAction.COMPLETED and entry.task_id and procedure and details:
        try:
            form_class = task_form_class_for(procedure, entry.task)
        except LookupError:
            form_class = None
        rows = form_rows(form_class, entry.data.get("form", {}), reveal=False, skip_empty=True,
                         visibility=visibility.for_step(entry.task.spec_name, entry.task_id))
    actor = entry.actor.get_full_name() or entry.actor.username if entry.actor else "系统"
    return HistoryEntry(at=entry.at, actor=actor, action=entry.get_action_display(),
                        summary=entry.summary, rows=rows)


def case_history(case: Case, procedure: Procedure | None, *, viewer,
                 staff: bool, visibility: CaseViewer | None = None) -> list[HistoryEntry]:
    """The audit trail of a case; completions show the submitted form, labelled. Applicants
    see every step but the form details only of their own submissions: staff opinions and
    investigation findings are internal working papers (what an applicant must act on is
    shown on their task, see ``step_before``)."""
    visibility = visibility or _masking_all(case)
    entries = AuditEntry.objects.filter(case=case).select_related("actor", "task")
    if visibility.restricted:
        # Seen only through tasks: the entries of the steps its tasks declare, and its own.
        entries = [entry for entry in entries.order_by("at", "pk")
                   if entry.actor_id == viewer.pk
                   or (entry.task_id and visibility.shows_step(entry.task.spec_name,
                                                               entry.task_id))]
    else:
        entries = entries.order_by("at", "pk")
    return [_history_entry(entry, procedure, details=staff or entry.actor_id == viewer.pk,
                           visibility=visibility)
            for entry in entries]


def step_before(task: HumanTask, procedure: Procedure | None, *,
                visibility: CaseViewer | None = None) -> HistoryEntry | None:
    """The completion that led to ``task`` (e.g. 受理审查 returning the application with the
    one-time list of missing material), shown to whoever must now act on it."""
    entry = (AuditEntry.objects.filter(case=task.case_id, action=AuditAction.COMPLETED,
                                       at__lte=task.created_at)
             .exclude(task=task).select_related("actor", "task").order_by("-at", "-pk").first())
    if entry is None or (visibility is not None and entry.task_id
                         and not visibility.shows_step(entry.task.spec_name, entry.task_id)):
        return None
    return _history_entry(entry, procedure, details=True,
                          visibility=visibility or _masking_all(task.case))


def task_form_class_for(procedure: Procedure | None, task: HumanTask) -> type[forms.Form]:
    """The task's form; for a diagram deployed in the modeler without a procedure of its own,
    the generic form the diagram declares (or an opinion form)."""
    from workflows.common.forms import GENERIC_FORMS, OpinionForm

    if procedure is not None:
        return procedure.task_form_class(task.spec_name, task.form_key)
    return GENERIC_FORMS.get(task.form_key, OpinionForm)


def procedure_of_case(case: Case) -> Procedure | None:
    try:
        return procedure_get(case.procedure)
    except LookupError:
        return None


# ---------------------------------------------------------------------------------------------
# Task and case pages


@dataclass(frozen=True)
class TaskAccess:
    """What the user may do on a task page. ``allowed``: holds the task's role (POSTs are
    403 otherwise); ``can_act``: and the task is open and not claimed by a colleague."""

    allowed: bool
    can_act: bool
    claimed_by_other: bool
    can_claim: bool
    can_release: bool


def task_access(user, task: HumanTask) -> TaskAccess:
    allowed = user_can_act_on_task(user, task)
    claimed_by_other = task.assignee_id is not None and task.assignee_id != user.pk
    can_act = allowed and task.status == TaskStatus.OPEN and not claimed_by_other
    # The applicant's own steps are assigned to them; there is nothing to claim or release.
    poolable = task.lane != APPLICANT_ROLE
    return TaskAccess(
        allowed=allowed, can_act=can_act, claimed_by_other=claimed_by_other,
        can_claim=can_act and poolable and task.assignee_id is None,
        can_release=can_act and poolable and task.assignee_id == user.pk,
    )


def case_page(user, case: Case, *, reveal: bool | None = None) -> dict:
    """Everything a case (or task) page shows about the case. ``reveal`` defaults to
    ``user_may_see_identity``."""
    procedure = procedure_of_case(case)
    open_tasks = open_tasks_of_case(case)
    if reveal is None:
        reveal = user_may_see_identity(user, case, open_tasks)
    # Bank accounts, diagnoses and certificates: in full only for the applicant and those
    # deciding (engine.visibility); ``reveal`` above is the ID-number rule. A user who sees
    # the case only through tasks sees only what those tasks declare.
    visibility = case_viewer(user, case)
    staff = is_staff_member(user)
    attachments = [a for a in case.attachments.select_related("task", "uploaded_by")
                   .defer("content") if visibility.shows_attachment(a)]
    for attachment in attachments:
        attachment.hidden = not visibility.sees_attachment(attachment)
    return {
        "staff": staff,
        "case": case,
        "procedure": procedure,
        "open_tasks": open_tasks,
        "visibility": visibility,
        "rows": case_rows(case, procedure, reveal=reveal, visibility=visibility),
        "clocks": case_clock_statuses(case),  # engine.clocks: deadlines on the whole case
        "history": case_history(case, procedure, viewer=user, staff=staff,
                                visibility=visibility),
        "documents": [d for d in document_list_for_case(case)
                      if visibility.shows_document(d.doc_type)],
        "attachments": attachments,
        # The one-grant-a-year rule is a matter for the staff deciding, not the applicant
        # (nor a department that sees the case only through its task).
        "warnings": grant_warnings(case, procedure) + (
            procedure_case_notices(procedure, case))
        if staff and not visibility.restricted else [],
    }


def procedure_case_notices(procedure: Procedure | None, case: Case) -> list[str]:
    """The procedure's sentences for staff about this case (``Procedure.case_notices``)."""
    if procedure is None or procedure.case_notices is None:
        return []
    return list(procedure.case_notices_for(case))


def county_supervised_or_403(user) -> Unit:
    """The county whose settings ``user`` may edit: holders of the ``supervise_unit`` object
    permission (django-guardian) on a county unit."""
    for assignment in role_assignments(user):
        county = assignment.unit.county
        if county is not None and user.has_perm("engine.supervise_unit", county):
            return county
    raise PermissionDenied("只有县民政局主管人员可以修改本县设置")


def county_quota_rows(county: Unit, procedures: list[Procedure], year: int) -> list[dict]:
    """Every (quota, township) pair of the year with its capacity and places used."""
    from engine.models import Quota

    townships = list(county.children.filter(level=UnitLevel.TOWNSHIP).order_by("pk"))
    existing = {(q.key, q.unit_id): q for q in Quota.objects.filter(unit__in=townships,
                                                                    year=year)}
    rows = []
    for procedure in procedures:
        for key, label in procedure.quotas:
            for township in townships:
                quota = existing.get((key, township.pk))
                rows.append({"key": key, "label": label, "township": township,
                             "capacity": quota.capacity if quota else None,
                             "used": quota.used if quota else 0})
    return rows


def user_supervises_county(user) -> bool:
    try:
        county_supervised_or_403(user)
    except PermissionDenied:
        return False
    return True


def procedure_pages_for(user) -> list[tuple[str, str]]:
    """Menu entries of procedures' own staff pages, for county-level staff."""
    from django.urls import reverse

    from workflows.registry import procedure_list

    if not any(a.unit.level == UnitLevel.COUNTY for a in role_assignments(user)):
        return []
    return [(label, reverse(name)) for p in procedure_list() for label, name in p.staff_pages]


# ---------------------------------------------------------------------------------------------
# Approval actions: who can be chosen


def task_action_context(user, task: HumanTask) -> dict:
    """What the task page's 更多操作 panel offers the user who may act on the task."""
    from engine.actions import returnable_steps
    from engine.services import APPLICANT_SUPPLEMENT, CO_SIGN

    if task.spec_name in (APPLICANT_SUPPLEMENT, CO_SIGN) or task.lane == APPLICANT_ROLE:
        return {}
    from engine.selectors import staff_over_village

    # Delegates and added signers must see the case: the bureau's own staff over it (an
    # outside body sees a case only through a task of its own).
    staff = list(staff_over_village(task.village_path, reach=RoleReach.PROCEDURE)
                 .exclude(pk=user.pk).order_by("username"))
    return {
        "returnable": [s for s in returnable_steps(task.case) if s.task_id != task.task_id],
        "transfer_to": list(staff_over_village(task.village_path, role=task.lane)
                            .exclude(pk=user.pk).order_by("username")),
        "delegate_to": staff,
        "signers": staff,
        "co_signs": list(task.case.tasks.filter(status=TaskStatus.OPEN, spec_name=CO_SIGN,
                                                task_data__held_task_id=str(task.task_id))
                         .select_related("assignee")),
        # Other signers of the same multi-person step (会签/或签/票签) still to sign.
        "fellow_signers": list(task.case.tasks.filter(status=TaskStatus.OPEN,
                                                      spec_name=task.spec_name,
                                                      assignee__isnull=False)
                               .exclude(pk=task.pk).select_related("assignee")),
    }


def substitute_candidates(user) -> list:
    """Staff of the user's county other than the user."""
    from engine.models import RoleAssignment

    counties = {a.unit.county for a in role_assignments(user) if a.unit.county}
    found = {}
    for county in counties:
        for row in RoleAssignment.objects.filter(unit__path__startswith=county.path,
                                                 user__is_active=True).select_related("user"):
            found[row.user.pk] = row.user
    found.pop(user.pk, None)
    return sorted(found.values(), key=lambda u: u.username)
