"""Reads, always scoped to the user asking.

Visibility is declared, not implied. A user sees a case when they are

* its applicant (or filed it; village staff of the village for a case filed on behalf of
  someone without an account, 村委会代办 — they answer its applicant steps);
* sent a copy of it (抄送);
* a holder of one of the **procedure's own roles** within the case's jurisdiction: a role of
  reach ``RoleReach.PROCEDURE`` (the bureau's village, township and county roles) held at a
  unit whose materialised path is a prefix of the case's village path, where the case's
  diagram version names the role (``ProcessDefinition.roles``, computed on deploy);
* someone who holds or held one of its **tasks**: assigned, completed, delegated it, or a task
  was offered to a role they hold within the case's jurisdiction, in any status. This is the
  only way in for roles of reach ``RoleReach.TASK`` (departments, assessor, provider,
  supervising unit, and any role added later);
* or the substitute (代理) today of someone who sees it through the last two rules.

``case_visible_q`` is that rule as one query filter (``Exists`` subqueries, no joins, so a
300k-case table needs no ``DISTINCT``); every read and write path uses it or
``case_get_for_user``. *What* of a visible case a user sees is ``engine.visibility``
(``case_viewer``): users who see it only through tasks see only the fields their tasks
declare. An API reuses these two functions.

A task is offered to a user iff its lane is a role they hold at a unit containing the case's
village (``_own_offered_q``). Every lookup by primary key goes through ``*_get_for_user``:
outsiders get 404 (they must not learn the case exists), insiders who may look but not act
get 403 from the caller.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import (
    APPLICANT_ROLE,
    Attachment,
    Case,
    CaseCopy,
    CaseStatus,
    Document,
    DocumentStatus,
    HumanTask,
    ProcessDefinition,
    RoleAssignment,
    RoleReach,
    TaskStatus,
    UnitLevel,
)


def role_assignments(user) -> list[RoleAssignment]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_role_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("unit", "role"))
        user._role_assignments = cached
    return cached


def is_staff_member(user) -> bool:
    return bool(role_assignments(user))


def _definitions_naming_roles() -> dict[str, set[int]]:
    """Role code → ids of the definition versions whose diagram names it. Computed in Python
    (a JSON "contains" is not portable to SQLite): one small query each time the rule is
    built, never cached, so a version deployed meanwhile counts at once."""
    return _definition_index()[0]


def _definition_index() -> tuple[dict[str, set[int]], dict[int, str]]:
    """``_definitions_naming_roles`` and each definition version's procedure key, from one
    query."""
    by_role: dict[str, set[int]] = {}
    keys: dict[int, str] = {}
    for pk, key, roles in ProcessDefinition.objects.values_list("pk", "key", "roles"):
        keys[pk] = key
        for role in roles or ():
            by_role.setdefault(role, set()).add(pk)
    return by_role, keys


def _proxies_for_applicant(assignment: RoleAssignment) -> bool:
    """Village staff answer the applicant's steps of a case filed on behalf (村委会代办)."""
    return assignment.unit.level == UnitLevel.VILLAGE or assignment.role_id == "village_staff"


def _task_stake_q(person) -> Q:
    """Tasks (any status) that ``person`` holds or held, or that were offered to a role they
    hold within the case's jurisdiction: a ``HumanTask`` filter."""
    q = Q(assignee=person) | Q(completed_by=person) | Q(delegated_by=person)
    for assignment in role_assignments(person):
        q |= Q(lane=assignment.role_id, village_path__startswith=assignment.unit.path)
    return q


def _procedure_role_q(person, by_role: dict[str, set[int]]) -> Q:
    """Cases of the procedures naming one of ``person``'s bureau roles, within that role's
    unit; plus, for village staff, the cases filed on behalf in their village."""
    q = Q(pk__in=[])
    for assignment in role_assignments(person):
        if assignment.role.reach == RoleReach.PROCEDURE:
            definitions = by_role.get(assignment.role_id, set())
            if definitions:
                q |= Q(village_path__startswith=assignment.unit.path,
                       definition_id__in=sorted(definitions))
        if _proxies_for_applicant(assignment):
            q |= Q(applicant__isnull=True, village_path__startswith=assignment.unit.path)
    return q


def _task_reach_q(person, by_role: dict[str, set[int]], keys: dict[int, str]) -> Q:
    """Cases ``person`` sees through a task (``_task_stake_q``), as a ``Case`` filter shaped
    so that PostgreSQL tests few rows (bench/README.md, third pass):

    * tasks they hold or held (assigned, completed, delegated): the case ids of those tasks,
      one uncorrelated subquery (a hashed set read once per query, not a probe per case);
    * tasks offered to a role they hold at a unit: only for cases within that unit (a task's
      ``village_path`` is its case's, copied when the task is opened and never changed).
      For a bureau role (reach ``PROCEDURE``) only the cases of definition versions *not*
      naming the role need the tasks looked at — the procedure-role branch admits the others
      whole, the split the dashboard makes (``reports._within``) — and only tasks of the
      procedures having such a version can be theirs (``HumanTask.procedure`` is its case's
      key): usually none, so the EXISTS is dropped or probes an empty set instead of
      hashing every task of the role in the unit (90 ms for a township's case list).
    """
    held = HumanTask.objects.filter(Q(assignee=person) | Q(completed_by=person)
                                    | Q(delegated_by=person)).order_by().values("case_id")
    q = Q(pk__in=held)
    for assignment in role_assignments(person):
        path, lane = assignment.unit.path, assignment.role_id
        offered = HumanTask.objects.filter(case=OuterRef("pk"), lane=lane,
                                           village_path__startswith=path)
        if assignment.role.reach == RoleReach.PROCEDURE:
            covered = by_role.get(lane, set())
            others = sorted({key for pk, key in keys.items() if pk not in covered})
            if not others:
                continue  # every version names the role: the role branch admits them all
            q |= (Q(village_path__startswith=path) & ~Q(definition_id__in=sorted(covered))
                  & Q(Exists(offered.filter(procedure__in=others))))
        else:
            q |= Q(village_path__startswith=path) & Q(Exists(offered))
    return q


def _people(user) -> list:
    """The user and whom they substitute for today (代理)."""
    return [user, *principals_of(user)]


def _own_read_q(user) -> Q:
    """Cases the user reads as their own: filed by or for them, or copied to them (抄送)."""
    # The copied case ids as one uncorrelated subquery (a user has few copies), not an
    # EXISTS probed for every case the other branches do not admit.
    copies = CaseCopy.objects.filter(user=user).order_by().values("case_id")
    return Q(applicant=user) | Q(created_by=user) | Q(pk__in=copies)


def case_visible_q(user) -> Q:
    """The one visibility rule (module docstring) as a ``Case`` filter."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return _own_read_q(user) | case_staff_q(user)


def procedure_reach(user) -> list[tuple[str, set[str]]]:
    """(unit path, procedure keys) where the user, or whom they substitute for today, holds
    one of the procedure's own roles (reach ``RoleReach.PROCEDURE``): for figures that are
    not rows of a case, such as handling times (``engine.reports.step_durations``)."""
    if not user.is_authenticated:
        return []
    by_role = _definitions_naming_roles()
    keys = dict(ProcessDefinition.objects.values_list("pk", "key"))
    reach = []
    for person in _people(user):
        for assignment in role_assignments(person):
            if assignment.role.reach == RoleReach.PROCEDURE:
                procedures = {keys[pk] for pk in by_role.get(assignment.role_id, ())}
                if procedures:
                    reach.append((assignment.unit.path, procedures))
    return reach


def procedure_definitions_over(user, unit_path: str) -> set[int]:
    """Ids of the definition versions whose every case within the unit at ``unit_path`` the
    user sees through the rule's procedure-role branch (``_procedure_role_q``): those naming
    a bureau role the user, or whom they substitute for today, holds at that unit or one
    containing it. For counting such cases without testing the rule row by row."""
    if not user.is_authenticated:
        return set()
    by_role = _definitions_naming_roles()
    found: set[int] = set()
    for person in _people(user):
        for assignment in role_assignments(person):
            if assignment.role.reach == RoleReach.PROCEDURE and \
                    unit_path.startswith(assignment.unit.path):
                found |= by_role.get(assignment.role_id, set())
    return found


def case_visible_exists(user, case_field: str = "case_id") -> Exists:
    """For rows that belong to a case (tasks, clocks, documents): "the user sees its case",
    as an ``Exists`` to filter them by without a join."""
    return Exists(Case.objects.filter(case_visible_q(user), pk=OuterRef(case_field)))


def case_staff_q(user) -> Q:
    """Cases the user may work on as staff (urge, copy, be delegated to, sign): the rule
    without the applicant's and a copy's read access."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    # Not cached on the user: a deploy during a long-lived process adds definitions.
    by_role, keys = _definition_index()
    people = _people(user)
    # Every bureau-role branch (cheap tests on the case row) before any task branch: for the
    # cases of a definition whose every case in the unit the reader sees through a role held
    # there (``procedure_definitions_over``), OR stops before the tasks are looked at.
    q = Q(pk__in=[])
    for person in people:
        q |= _procedure_role_q(person, by_role)
    for person in people:
        q |= _task_reach_q(person, by_role, keys)
    return q


def case_full_view_q(user) -> Q:
    """Cases the user sees as a whole (their own, a copy, or through a bureau role); on the
    others they see only what their tasks declare (``engine.visibility``)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    q = _own_read_q(user)
    by_role = _definitions_naming_roles()
    for person in _people(user):
        q |= _procedure_role_q(person, by_role)
    return q


def task_stakes(user, case: Case) -> list[tuple[int, str]]:
    """(task pk, step id) of the tasks of ``case`` through which the user (or whom they
    substitute for today) sees it: tasks they hold or held, or offered to their roles."""
    q = _task_stake_q(user)
    for principal in principals_of(user):
        q |= _task_stake_q(principal)
    return list(case.tasks.filter(q).values_list("pk", "spec_name"))


def principals_of(user) -> list:
    """Users for whom ``user`` is an active substitute today (代理)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_principals", None)
    if cached is None:
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from .models import Substitution

        today = timezone.localdate()
        ids = Substitution.objects.filter(substitute=user, starts_on__lte=today,
                                          ends_on__gte=today).values_list("user_id", flat=True)
        cached = list(get_user_model().objects.filter(pk__in=list(ids)))
        user._principals = cached
    return cached


def _offered_q(user, *, one_task: bool = False) -> Q:
    """Open tasks offered to the user: their own roles, plus those of the users they
    substitute for today."""
    q = _own_offered_q(user, one_task=one_task)
    for principal in principals_of(user):
        q |= _own_offered_q(principal, one_task=one_task)
    return q


def _own_offered_q(user, *, one_task: bool = False) -> Q:
    """Open tasks whose lane the user holds within the case's jurisdiction. ``one_task``:
    for a test on one task row, where joining its case costs nothing and saves a query."""
    # No join to the case in any branch: each branch is then one index of the open rows
    # (lane + path, the user's own cases) and PostgreSQL ORs them (a BitmapOr) instead of
    # joining every open task to its case to test the condition (bench/README.md).
    if one_task:
        q = Q(lane=APPLICANT_ROLE, case__applicant=user) if user.is_authenticated \
            else Q(pk__in=[])
    else:
        filed = (list(Case.objects.filter(applicant=user).order_by()
                      .values_list("pk", flat=True)) if user.is_authenticated else [])
        q = Q(lane=APPLICANT_ROLE, case__in=filed)
    for assignment in role_assignments(user):
        q |= Q(lane=assignment.role_id, village_path__startswith=assignment.unit.path)
        if assignment.unit.level == UnitLevel.VILLAGE or assignment.role_id == "village_staff":
            # 村委会代办: the applicant's own steps go to village staff when the case was
            # filed on behalf of someone without an account.
            q |= Q(Exists(Case.objects.filter(pk=OuterRef("case_id"), applicant__isnull=True)),
                   lane=APPLICANT_ROLE, village_path__startswith=assignment.unit.path)
    return q


def unit_paths_containing(village_path: str) -> list[str]:
    """"/1/4/9/" → ["/1/", "/1/4/", "/1/4/9/"]: the paths of the units containing a village."""
    parts = [p for p in village_path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def staff_over_village(village_path: str, *, role: str | None = None,
                       reach: str | None = None) -> QuerySet:
    """Active users holding ``role`` (any role when None; of that ``reach`` when given) at a
    unit containing the village: ``_own_offered_q`` read the other way round."""
    from django.contrib.auth import get_user_model

    q = Q(role_assignments__unit__path__in=unit_paths_containing(village_path))
    if role:
        q &= Q(role_assignments__role_id=role)
    if reach:
        q &= Q(role_assignments__role__reach=reach)
    return get_user_model().objects.filter(q, is_active=True).distinct()


def user_has_jurisdiction(user, case: Case) -> bool:
    """May the user work on the case as staff (urge, copy, receive a delegation or a
    signature)? The visibility rule without the applicant's and a copy's read access:
    external roles only on cases where they have or had a task."""
    if not user.is_authenticated:
        return False
    return Case.objects.filter(pk=case.pk).filter(case_staff_q(user)).exists()


def user_has_procedure_role(user, case: Case) -> bool:
    """Does the user (or whom they substitute for today) hold one of the case procedure's
    own bureau roles over the case's village? Such staff see the whole case and may send
    copies of it (抄送)."""
    if not user.is_authenticated:
        return False
    by_role = _definitions_naming_roles()
    q = Q(pk__in=[])
    for person in _people(user):
        q |= _procedure_role_q(person, by_role)
    return Case.objects.filter(pk=case.pk).filter(q).exists()


def case_list_for_user(*, user) -> QuerySet[Case]:
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(case_visible_q(user)).select_related("village", "definition")


def case_get_for_user(user, pk) -> Case:
    try:
        # Not the definition's diagram, tables and spec (17-38 KB a row, read back lazily
        # where a page needs them): the engine has its parsed spec cached per version.
        return case_list_for_user(user=user).defer(
            "definition__bpmn_xml", "definition__dmn_xml", "definition__spec_json").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("案件不存在") from None


def task_list_for_user(*, user) -> QuerySet[HumanTask]:
    """The inbox: open tasks offered to the user and not claimed by someone else, plus tasks
    the user claimed."""
    if not user.is_authenticated:
        return HumanTask.objects.none()
    principals = [p.pk for p in principals_of(user)]
    return (HumanTask.objects.filter(status=TaskStatus.OPEN, case__status=CaseStatus.RUNNING)
            .filter((_offered_q(user) & Q(assignee__isnull=True)) | Q(assignee=user)
                    | Q(assignee__in=principals))
            .select_related("case", "village", "township", "candidate_unit", "assignee"))


def _offered_to(person, task: HumanTask) -> bool:
    """``_own_offered_q(person, one_task=True)`` evaluated on a loaded task whose case is
    loaded too (the task page's, or the row the engine just locked): no query but the
    person's cached role assignments."""
    applicant_id = task.case.applicant_id
    if task.lane == APPLICANT_ROLE and applicant_id is not None and applicant_id == person.pk:
        return True
    for assignment in role_assignments(person):
        inside = task.village_path.startswith(assignment.unit.path)
        if inside and task.lane == assignment.role_id:
            return True
        if inside and task.lane == APPLICANT_ROLE and applicant_id is None and \
                (assignment.unit.level == UnitLevel.VILLAGE
                 or assignment.role_id == "village_staff"):
            return True  # 村委会代办
    return False


def _offered_to_db(person, task: HumanTask) -> bool:
    if HumanTask.case.is_cached(task):
        return _offered_to(person, task)
    return HumanTask.objects.filter(pk=task.pk).filter(
        _own_offered_q(person, one_task=True)).exists()


def user_can_act_on_task(user, task: HumanTask) -> bool:
    """May ``user`` claim or complete ``task``? Checked again inside the case lock (on the
    locked rows). Tested on the loaded task and case when they are (no query): the same
    test as ``_offered_q`` on that row."""
    if not user.is_authenticated:
        return False
    principals = principals_of(user)
    if task.assignee_id == user.pk or task.assignee_id in {p.pk for p in principals}:
        return True
    if HumanTask.case.is_cached(task):
        return any(_offered_to(person, task) for person in (user, *principals))
    return HumanTask.objects.filter(pk=task.pk).filter(_offered_q(user, one_task=True)).exists()


def acting_principal(user, task: HumanTask):
    """The user ``user`` acts for on ``task`` as a substitute, or None when acting in their
    own right (recorded as "on behalf of" in the audit trail)."""
    if task.assignee_id == user.pk:
        return None
    principals = principals_of(user)
    if not principals:  # acting in their own right, whatever the queries below would say
        return None
    for principal in principals:
        if task.assignee_id == principal.pk:
            return principal
    if task.assignee_id is None and _offered_to_db(user, task):
        return None
    for principal in principals:
        if _offered_to_db(principal, task):
            return principal
    return None


def task_get_for_user(user, pk) -> HumanTask:
    """A task of a case the user may see (404 otherwise). Acting needs
    ``user_can_act_on_task`` too."""
    try:
        task = HumanTask.objects.select_related("case", "village", "assignee").get(pk=pk)
    except (HumanTask.DoesNotExist, ValueError, TypeError):
        raise Http404("任务不存在") from None
    # Whoever may act on the task sees its case by the rule itself (it is assigned to them
    # or whom they substitute for, offered to their role within its jurisdiction, their own
    # step, or a step they answer for a case filed on behalf): tested on the loaded rows,
    # without building and running the rule's query (bench/README.md, third pass). Anyone
    # else: the rule on that case, in the database.
    if not user_can_act_on_task(user, task) and \
            not Case.objects.filter(case_visible_q(user), pk=task.case_id).exists():
        raise Http404("任务不存在")
    return task


def document_list_for_case(case: Case) -> QuerySet[Document]:
    return case.documents.order_by("created_at")


def document_get_for_user(user, uuid) -> Document:
    """A document of a case the user may see; 404 for everyone else."""
    try:
        document = Document.objects.select_related("case").get(uuid=uuid)
    except (Document.DoesNotExist, ValueError):
        raise Http404("文书不存在") from None
    case = case_get_for_user(user, document.case_id)
    if document.status != DocumentStatus.READY:
        raise Http404("文书尚未生成")
    from .visibility import case_viewer

    if not case_viewer(user, case).shows_document(document.doc_type):
        raise PermissionDenied("该文书不在您办理事项所需的范围内")
    return document


def document_get_public(uuid, checksum: str) -> Document:
    """For the public verification page: the document only if the checksum matches."""
    try:
        document = Document.objects.get(uuid=uuid)
    except (Document.DoesNotExist, ValueError):
        raise Http404("文书不存在") from None
    import hmac

    from .documents import document_checksum

    if not hmac.compare_digest((checksum or "").upper(), document_checksum(document)):
        raise Http404("校验码不符")
    return document


def attachment_get_for_user(user, uuid) -> Attachment:
    """An attachment of a case the user may see; 404 for everyone else."""
    try:
        attachment = Attachment.objects.get(uuid=uuid)
    except (Attachment.DoesNotExist, ValueError):
        raise Http404("附件不存在") from None
    case = case_get_for_user(user, attachment.case_id)
    from .visibility import case_viewer

    if not case_viewer(user, case).sees_attachment(attachment):
        raise PermissionDenied("该材料仅审批人员和申请人本人可以查看")
    return attachment
