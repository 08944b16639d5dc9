"""Reads, always scoped to the user asking.

Jurisdiction is enforced by query scoping rather than per-object permissions: a user holds
roles at units (``RoleAssignment``); a case in village V is visible to a staff user iff one of
their units' materialised paths is a prefix of V's path, and a task is offered to them iff
additionally its lane is the role they hold there. Scoping every query this way means a new
case needs no permission rows, and a reassigned user sees the right cases at once.
Applicants see only cases they filed (``Case.applicant``).

Every lookup by primary key goes through ``*_get_for_user``: outsiders get 404 (they must not
learn the case exists), insiders who may look but not act get 403 from the caller.
"""
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
    RoleAssignment,
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


def _jurisdiction_q(user, field: str = "village_path") -> Q:
    q = Q(pk__in=[])
    for assignment in role_assignments(user):
        q |= Q(**{f"{field}__startswith": assignment.unit.path})
    return q


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


def _offered_q(user) -> Q:
    """Open tasks offered to the user: their own roles, plus those of the users they
    substitute for today."""
    q = _own_offered_q(user)
    for principal in principals_of(user):
        q |= _own_offered_q(principal)
    return q


def _own_offered_q(user) -> Q:
    """Open tasks whose lane the user holds within the case's jurisdiction."""
    # No join to the case in any branch: each branch is then one index of the open rows
    # (lane + path, the user's own cases) and PostgreSQL ORs them (a BitmapOr) instead of
    # joining every open task to its case to test the condition (bench/README.md).
    filed = (list(Case.objects.filter(applicant=user).order_by().values_list("pk", flat=True))
             if user.is_authenticated else [])
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


def staff_over_village(village_path: str, *, role: str | None = None) -> QuerySet:
    """Active users holding ``role`` (any role when None) at a unit containing the village:
    ``_own_offered_q`` read the other way round."""
    from django.contrib.auth import get_user_model

    q = Q(role_assignments__unit__path__in=unit_paths_containing(village_path))
    if role:
        q &= Q(role_assignments__role_id=role)
    return get_user_model().objects.filter(q, is_active=True).distinct()


def user_has_jurisdiction(user, case: Case) -> bool:
    """Does one of the user's units contain the case's village? (Read access through a CC
    copy is not jurisdiction.)"""
    return any(case.village_path.startswith(a.unit.path) for a in role_assignments(user))


def case_list_for_user(*, user) -> QuerySet[Case]:
    if not user.is_authenticated:
        return Case.objects.none()
    # A CC copy (抄送) grants read access; acting still needs jurisdiction. EXISTS rather
    # than a join to the copies: no duplicate rows, so no DISTINCT over wide rows.
    copied = Exists(CaseCopy.objects.filter(case=OuterRef("pk"), user=user))
    return (Case.objects.filter(_jurisdiction_q(user) | Q(applicant=user) | Q(copied))
            .select_related("village", "definition"))


def case_get_for_user(user, pk) -> Case:
    try:
        return case_list_for_user(user=user).get(pk=pk)
    except (Case.DoesNotExist, ValueError):
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


def user_can_act_on_task(user, task: HumanTask) -> bool:
    """May ``user`` claim or complete ``task``? Checked again inside the case lock."""
    if not user.is_authenticated:
        return False
    if task.assignee_id == user.pk or task.assignee_id in {p.pk for p in principals_of(user)}:
        return True
    return HumanTask.objects.filter(pk=task.pk).filter(_offered_q(user)).exists()


def acting_principal(user, task: HumanTask):
    """The user ``user`` acts for on ``task`` as a substitute, or None when acting in their
    own right (recorded as "on behalf of" in the audit trail)."""
    if task.assignee_id == user.pk:
        return None
    principals = principals_of(user)
    for principal in principals:
        if task.assignee_id == principal.pk:
            return principal
    if task.assignee_id is None and \
            HumanTask.objects.filter(pk=task.pk).filter(_own_offered_q(user)).exists():
        return None
    for principal in principals:
        if HumanTask.objects.filter(pk=task.pk).filter(_own_offered_q(principal)).exists():
            return principal
    return None


def task_get_for_user(user, pk) -> HumanTask:
    """A task of a case the user may see (404 otherwise). Acting needs
    ``user_can_act_on_task`` too."""
    try:
        task = HumanTask.objects.select_related("case", "village", "assignee").get(pk=pk)
    except (HumanTask.DoesNotExist, ValueError):
        raise Http404("任务不存在") from None
    case_get_for_user(user, task.case_id)
    return task


def document_list_for_case(case: Case) -> QuerySet[Document]:
    return case.documents.order_by("created_at")


def document_get_for_user(user, uuid) -> Document:
    """A document of a case the user may see; 404 for everyone else."""
    try:
        document = Document.objects.select_related("case").get(uuid=uuid)
    except (Document.DoesNotExist, ValueError):
        raise Http404("文书不存在") from None
    case_get_for_user(user, document.case_id)
    if document.status != DocumentStatus.READY:
        raise Http404("文书尚未生成")
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
    case_get_for_user(user, attachment.case_id)
    return attachment
