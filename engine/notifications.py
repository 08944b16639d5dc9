"""Notifications: the in-app notification centre, email and SMS delivery, 催办 (urge),
抄送 (CC) and the deadline sweep (reminders before a task's due time, escalation after).

``notify`` writes one ``Notification`` per user and one ``NotificationDelivery`` per
configured channel, and enqueues each delivery on commit: nothing is sent inside the web
request, and a rolled-back action sends nothing. Each channel is its own Celery task, so a
failing SMS gateway retries without holding back the email.

Who may urge or copy follows the visibility rule, as everywhere else (``engine.selectors``):
staff who see the case as staff may urge (a department only a case where it has or had a
task); only the procedure's own bureau roles may copy it, and only to bureau staff. A CC
recipient gets read access to the case (``case_list_for_user`` includes copied cases) but no
jurisdiction over it.
"""
import logging
import re
import sys
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import (
    APPLICANT_ROLE,
    AuditAction,
    AuditEntry,
    Case,
    CaseCopy,
    CaseStatus,
    DeliveryStatus,
    HumanTask,
    Notification,
    NotificationDelivery,
    NotificationKind,
    Role,
    RoleReach,
    Substitution,
    TaskStatus,
    UnitLevel,
)
from .selectors import (
    case_get_for_user,
    is_staff_member,
    role_assignments,
    staff_over_village,
    unit_paths_containing,
    user_has_jurisdiction,
    user_has_procedure_role,
)

logger = logging.getLogger(__name__)

URGE_INTERVAL = timedelta(hours=1)
DEFAULT_REMIND_BEFORE_HOURS = 24.0
# How often a failed channel is retried (after the first attempt), and the first wait.
DELIVERY_MAX_RETRIES = 5
DELIVERY_RETRY_BASE_SECONDS = 60


def _display_name(user) -> str:
    return user.get_full_name() or user.username


def _url(name: str, *args) -> str:
    """A portal URL for a notification's link; empty when the portal is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------------------------------------
# Channels


class ChannelUnavailable(Exception):
    """The user cannot be reached on this channel (no email address, no phone): recorded,
    never retried."""


class DeliveryFailed(Exception):
    """A channel failed in a way that may pass (gateway down): the Celery task retries."""


class SmsBackend:
    """Interface of an SMS gateway. Set ``settings.SMS_BACKEND`` to the dotted path of a
    subclass; ``send`` raises on failure (the delivery is then retried)."""

    def send(self, *, phone: str, message: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Prints messages instead of sending them (the demo, development)."""

    def send(self, *, phone: str, message: str) -> None:
        sys.stdout.write(f"[短信] {phone}：{message}\n")
        sys.stdout.flush()


def sms_backend() -> SmsBackend:
    path = getattr(settings, "SMS_BACKEND", "engine.notifications.ConsoleSmsBackend")
    return import_string(path)()


_MOBILE = re.compile(r"^1\d{10}$")


def user_phone(user) -> str:
    """The mobile number an applicant registered with (``ApplicantProfile.phone``); applicants'
    usernames are their phone numbers too. Staff accounts usually have none."""
    profile = getattr(user, "applicant_profile", None)
    if profile is not None and profile.phone:
        return profile.phone
    return user.username if _MOBILE.match(user.username or "") else ""


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + url


def _send_email(notification: Notification) -> None:
    user = notification.user
    if not user.email:
        raise ChannelUnavailable("用户未登记电子邮箱，未发送")
    body = notification.body
    if notification.url:
        body = f"{body}\n\n{_absolute(notification.url)}".strip()
    send_mail(subject=notification.title, message=body, from_email=None,
              recipient_list=[user.email], fail_silently=False)


def _send_sms(notification: Notification) -> None:
    phone = user_phone(notification.user)
    if not phone:
        raise ChannelUnavailable("用户未登记手机号码，未发送")
    sms_backend().send(phone=phone, message=f"【民政审批】{notification.title}")


CHANNEL_SENDERS = {"email": _send_email, "sms": _send_sms}


def notification_channels() -> list[str]:
    channels = list(getattr(settings, "NOTIFICATION_CHANNELS", []))
    unknown = [c for c in channels if c not in CHANNEL_SENDERS]
    if unknown:
        raise ImproperlyConfigured(f"NOTIFICATION_CHANNELS: unknown channel(s) {unknown}")
    return channels


# ---------------------------------------------------------------------------------------------
# Notifications: writes


@transaction.atomic(savepoint=False)  # no savepoint round trips inside the caller's step
def notify(*, users: Iterable, kind: str, title: str, body: str = "", case: Case | None = None,
           url: str = "", channels: list[str] | None = None) -> list[Notification]:
    """Notify each (active, distinct) user in the notification centre and queue one delivery
    per channel (the configured ones unless ``channels`` says otherwise; ``[]`` means the
    notification centre only). Deliveries are enqueued on commit: a rolled-back action sends
    nothing, and nothing is sent inside the web request."""
    from .outbox import enqueue_on_commit
    from .tasks import notification_deliver_task

    channels = notification_channels() if channels is None else channels
    created = _notifications_build(users=users, kind=kind, title=title, body=body, case=case,
                                   url=url)
    Notification.objects.bulk_create(created)  # one INSERT for all of them
    for notification in created:
        for channel in channels:
            delivery = NotificationDelivery.objects.create(notification=notification,
                                                           channel=channel)
            # The pending row is the outbox; one channel failing to enqueue stops nothing.
            enqueue_on_commit(notification_deliver_task, delivery.pk)
    return created


def _notifications_build(*, users: Iterable, kind: str, title: str, body: str = "",
                         case: Case | None = None, url: str = "") -> list[Notification]:
    """The unsaved notifications of ``notify``: one per active, distinct user."""
    seen = set()
    built = []
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        notification = Notification(user=user, case=case, kind=kind, title=title[:200],
                                    body=body, url=url[:300])
        # The user and the case are saved instances: no query per row to check they exist.
        notification.full_clean(exclude=["user", "case"])
        built.append(notification)
    return built


def notification_delivery_send(*, delivery_pk: int, final: bool) -> str:
    """Send one channel's delivery. Idempotent: a delivery already sent (or failed for good)
    is left alone, so a redelivered Celery task sends nothing twice. A failure is recorded
    (attempts, last error) and raises ``DeliveryFailed`` for the task to retry, unless
    ``final``, when the delivery is marked failed. Returns the delivery's status."""
    error = None
    with transaction.atomic():
        # The row lock keeps two workers (a redelivered task) from sending at once;
        # skip_locked: the other worker is already on it.
        delivery = (NotificationDelivery.objects.select_for_update(skip_locked=True,
                                                                   of=("self",))
                    .select_related("notification__user")
                    .filter(pk=delivery_pk, status=DeliveryStatus.PENDING).first())
        if delivery is None:
            return NotificationDelivery.objects.filter(pk=delivery_pk).values_list(
                "status", flat=True).first() or ""
        delivery.attempts += 1
        try:
            CHANNEL_SENDERS[delivery.channel](delivery.notification)
        except ChannelUnavailable as exc:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = str(exc)
        except Exception as exc:  # noqa: BLE001 - any gateway error is retried
            logger.warning("delivery %s (%s) failed: %s", delivery.pk, delivery.channel, exc)
            error = exc
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if final:
                delivery.status = DeliveryStatus.FAILED
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "last_error", "sent_at"])
    # Raised after the commit, so the attempt and its error are recorded.
    if error is not None and not final:
        raise DeliveryFailed(str(error)) from error
    return delivery.status


@transaction.atomic
def notification_mark_read(*, user, notification_pk: int) -> Notification:
    """Mark one of the user's notifications read (404 for anyone else's). Opening a CC
    notification opens the copy too, so "抄送我的" does not show it as unread."""
    notification = notification_get_for_user(user, notification_pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        if notification.kind == NotificationKind.CC and notification.case_id:
            CaseCopy.objects.filter(case_id=notification.case_id, user=user,
                                    read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Notifications: reads


def notification_list_for_user(*, user) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).select_related("case")


def notification_unread_count(*, user) -> int:
    """The header's badge; served by the (user, read_at) index."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_get_for_user(user, pk) -> Notification:
    from django.http import Http404

    try:
        return notification_list_for_user(user=user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError):
        raise Http404("通知不存在") from None


# ---------------------------------------------------------------------------------------------
# Who a task is offered to, who has jurisdiction


def _with_substitutes(holders: QuerySet) -> QuerySet:
    """``holders`` plus their substitutes (代理) on duty today, as ``engine.selectors``
    offers them the same tasks."""
    today = timezone.localdate()
    substitutes = Substitution.objects.filter(user__in=holders, starts_on__lte=today,
                                              ends_on__gte=today).values("substitute_id")
    return get_user_model().objects.filter(
        Q(pk__in=holders.values("pk")) | Q(pk__in=substitutes), is_active=True).distinct()


def task_offered_users(task: HumanTask) -> QuerySet:
    """Every user the open task is offered to: its lane's role holders over the case's
    village (the applicant for the applicant's own steps, or the village staff when the case
    was filed on someone's behalf), plus their substitutes on duty today."""
    user_model = get_user_model()
    paths = unit_paths_containing(task.village_path)
    if task.lane == APPLICANT_ROLE:
        if task.case.applicant_id:
            base = Q(pk=task.case.applicant_id)
        else:
            base = Q(role_assignments__unit__path__in=paths) & (
                Q(role_assignments__unit__level=UnitLevel.VILLAGE)
                | Q(role_assignments__role_id="village_staff"))
    else:
        base = Q(role_assignments__role_id=task.lane, role_assignments__unit__path__in=paths)
    return _with_substitutes(user_model.objects.filter(base, is_active=True))


def task_handlers(task: HumanTask) -> list:
    """Who should act on an open task now: its assignee (and their substitutes), or everyone
    it is offered to."""
    if task.assignee_id:
        return list(_with_substitutes(get_user_model().objects.filter(pk=task.assignee_id)))
    return list(task_offered_users(task))


def _require_jurisdiction(user, case_pk: int, what: str, *, whole_case: bool = False) -> Case:
    """404 for cases the user may not see, 403 for applicants and copy-only readers.
    ``whole_case``: only staff of the procedure's own roles (a department that sees the case
    through its task may not pass it on)."""
    case = case_get_for_user(user, case_pk)
    if not is_staff_member(user):
        raise PermissionDenied(f"只有经办人员可以{what}")
    if not user_has_jurisdiction(user, case):
        raise PermissionDenied(f"该案件不在您的辖区内，不能{what}")
    if whole_case and not user_has_procedure_role(user, case):
        raise PermissionDenied(f"只有本事项的经办人员可以{what}")
    return case


# ---------------------------------------------------------------------------------------------
# 催办


@transaction.atomic
def case_urge(*, user, case_pk: int, comment: str = "") -> list[Notification]:
    """Remind whoever holds the case's open steps (the assignee, or everyone a free task is
    offered to) that it is waiting. Staff with jurisdiction only; at most once an hour per
    case, whoever urges."""
    case = _require_jurisdiction(user, case_pk, "催办")
    # The case row lock serialises two staff urging at once: the second sees the first's
    # audit entry and is refused.
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.RUNNING:
        raise ValidationError("案件不在办理中，无需催办")
    now = timezone.now()
    last = (AuditEntry.objects.filter(case=case, action=AuditAction.URGED,
                                      at__gt=now - URGE_INTERVAL).order_by("-at").first())
    if last is not None:
        again = timezone.localtime(last.at + URGE_INTERVAL)
        raise ValidationError(f"该案件已于{timezone.localtime(last.at):%H:%M}催办过，"
                              f"每小时最多催办一次，请于{again:%H:%M}后再试")
    tasks = list(case.tasks.filter(status=TaskStatus.OPEN).select_related("assignee", "case"))
    if not tasks:
        raise ValidationError("案件当前没有待办环节，无需催办")
    comment = comment.strip()[:500]
    created = []
    recipients = set()
    for task in tasks:
        handlers = [u for u in task_handlers(task) if u.pk != user.pk]
        recipients.update(u.pk for u in handlers)
        body = f"{_display_name(user)}催办：“{task.title}”（{case.applicant_name}，" \
               f"{case.title}）尚待办理。"
        if comment:
            body += f"\n催办意见：{comment}"
        created += notify(users=handlers, kind=NotificationKind.URGE, case=case,
                          title=f"催办：{task.title}（{case.applicant_name}）", body=body,
                          url=_url("portal:task", task.pk))
    if not recipients:
        raise ValidationError("当前环节没有可催办的经办人")
    AuditEntry.objects.create(
        case=case, actor=user, action=AuditAction.URGED,
        summary=f"催办“{'、'.join(t.title for t in tasks)}”"[:300],
        data={"comment": comment, "tasks": [t.pk for t in tasks],
              "recipients": sorted(recipients)})
    return created


# ---------------------------------------------------------------------------------------------
# 抄送


def copy_recipients_allowed(*, user, case: Case) -> QuerySet:
    """Staff a user may copy a case to: those holding a role at a unit within one of the
    user's own units (e.g. a township's village staff), or over the case's village (who can
    see it anyway, e.g. the county leader). Never outside the sender's jurisdiction."""
    q = Q(role_assignments__unit__path__in=unit_paths_containing(case.village_path))
    for assignment in role_assignments(user):
        q |= Q(role_assignments__unit__path__startswith=assignment.unit.path)
    # A copy shows the whole case: only to the bureau's own staff, never to a department or
    # another outside body (they see a case only through a task of theirs).
    q &= Q(role_assignments__role__reach=RoleReach.PROCEDURE)
    return (get_user_model().objects.filter(q, is_active=True).exclude(pk=user.pk)
            .distinct().order_by("username"))


def copy_roles_available(case: Case) -> QuerySet[Role]:
    """Roles held by somebody over the case's village (what "抄送给角色" can name)."""
    return (Role.objects.filter(
        roleassignment__unit__path__in=unit_paths_containing(case.village_path),
        reach=RoleReach.PROCEDURE)
        .exclude(code=APPLICANT_ROLE).distinct().order_by("code"))


@transaction.atomic
def case_copy_send(*, user, case_pk: int, recipients: Iterable,
                   comment: str = "") -> list[CaseCopy]:
    """Send a read-only copy of a case (抄送) to users and/or roles; a role code means the
    users holding that role at a unit containing the case's village. Every recipient must be
    within the sender's jurisdiction (``copy_recipients_allowed``). Users who already have a
    copy are not sent another. Returns the new copies."""
    case = _require_jurisdiction(user, case_pk, "抄送", whole_case=True)
    case = Case.objects.select_for_update().get(pk=case.pk)
    comment = comment.strip()[:500]
    users, roles = {}, []
    for recipient in recipients:
        if isinstance(recipient, str):
            if not Role.objects.filter(code=recipient).exclude(code=APPLICANT_ROLE).exists():
                raise ValidationError(f"未知的角色：{recipient}")
            roles.append(recipient)
            for holder in staff_over_village(case.village_path, role=recipient):
                users[holder.pk] = holder
        else:
            users[recipient.pk] = recipient
    users.pop(user.pk, None)
    if not users:
        raise ValidationError("请选择抄送对象（所选角色在本案辖区内没有人员）")
    allowed = set(copy_recipients_allowed(user=user, case=case)
                  .filter(pk__in=users).values_list("pk", flat=True))
    outside = [u for pk, u in users.items() if pk not in allowed]
    if outside:
        raise PermissionDenied("不能抄送给辖区外人员：" +
                               "、".join(_display_name(u) for u in outside))
    already = set(case.copies.filter(user__in=users).values_list("user_id", flat=True))
    new_users = [u for pk, u in users.items() if pk not in already]
    if not new_users:
        raise ValidationError("所选人员均已抄送过")
    copies = []
    for recipient in new_users:
        copy = CaseCopy(case=case, user=recipient, sent_by=user, comment=comment)
        copy.full_clean()
        copy.save()
        copies.append(copy)
    body = f"{_display_name(user)}将“{case.title}”（{case.applicant_name}）抄送给您，仅供阅知。"
    if comment:
        body += f"\n附言：{comment}"
    notify(users=new_users, kind=NotificationKind.CC, case=case,
           title=f"抄送：{case.title}（{case.applicant_name}）", body=body,
           url=_url("portal:case", case.pk))
    AuditEntry.objects.create(
        case=case, actor=user, action=AuditAction.COPIED,
        summary=f"抄送给{'、'.join(_display_name(u) for u in new_users)}"[:300],
        data={"comment": comment, "users": [u.pk for u in new_users], "roles": roles})
    return copies


@transaction.atomic
def case_copy_mark_read(*, user, copy_pk: int) -> CaseCopy:
    """Opening a copy from "抄送我的" marks it read (404 for anyone else's copy)."""
    copy = copy_get_for_user(user, copy_pk)
    if copy.read_at is None:
        copy.read_at = timezone.now()
        copy.save(update_fields=["read_at"])
    return copy


def copy_list_for_user(*, user) -> QuerySet[CaseCopy]:
    """"抄送我的": copies sent to the user, newest first."""
    if not user.is_authenticated:
        return CaseCopy.objects.none()
    return CaseCopy.objects.filter(user=user).select_related("case", "case__village",
                                                             "sent_by")


def copy_unread_count(*, user) -> int:
    return copy_list_for_user(user=user).filter(read_at__isnull=True).count()


def copy_get_for_user(user, pk) -> CaseCopy:
    from django.http import Http404

    try:
        return copy_list_for_user(user=user).get(pk=pk)
    except (CaseCopy.DoesNotExist, ValueError):
        raise Http404("抄送件不存在") from None


# ---------------------------------------------------------------------------------------------
# Deadlines: reminders before, escalations after


@lru_cache(maxsize=128)
def _definition_task_properties(definition_pk: int, content_hash: str) -> dict[str, dict]:
    """{BPMN id: properties} of every task of a definition, read from its stored spec JSON.
    Definitions are immutable, so this is cached per version."""
    from .models import ProcessDefinition
    from .runtime import task_properties_by_id

    return task_properties_by_id(ProcessDefinition.objects.values_list("spec_json", flat=True)
                                 .get(pk=definition_pk))


def task_spec_properties(definition, spec_name: str) -> dict:
    """The diagram's properties of user task ``spec_name`` (raw strings, unevaluated)."""
    return dict(_definition_task_properties(definition.pk, definition.content_hash)
                .get(spec_name, {}))


def _remind_before(properties: dict) -> timedelta:
    try:
        hours = float(properties.get("remind_before_hours", DEFAULT_REMIND_BEFORE_HOURS))
    except (TypeError, ValueError):
        hours = DEFAULT_REMIND_BEFORE_HOURS
    return timedelta(hours=max(hours, 0))


_PARENT_LEVEL = {UnitLevel.VILLAGE: UnitLevel.TOWNSHIP, UnitLevel.TOWNSHIP: UnitLevel.COUNTY}
_LEADER_ROLE = {UnitLevel.TOWNSHIP: "township_leader", UnitLevel.COUNTY: "county_leader"}


def _next_level_role(lane: str) -> str | None:
    """The same kind of role one level up, by the role-code convention ``<level>_<kind>``:
    township_staff → county_staff, village_staff → township_staff."""
    for level, parent in _PARENT_LEVEL.items():
        if lane.startswith(f"{level}_"):
            code = f"{parent}_{lane[len(level) + 1:]}"
            return code if Role.objects.filter(code=code).exists() else None
    return None


def _same_unit_leader_role(task: HumanTask) -> str | None:
    role = Role.objects.filter(code=task.lane).first()
    return _LEADER_ROLE.get(role.level) if role is not None else None


def escalation_targets(task: HumanTask, properties: dict) -> tuple[str | None, list]:
    """(role, users) an overdue task is escalated to. ``escalate_to`` in the diagram names a
    role (e.g. ``township_leader``: the leader of the same township) or ``next_level`` (the
    same kind of role one level up); by default the leader of the task's own unit, or, when
    that level has no leader (a village) or the step is the leader's own, the next level
    up."""
    declared = (properties.get("escalate_to") or "").strip()
    if declared == "next_level":
        candidates = [_next_level_role(task.lane)]
    elif declared:
        candidates = [declared]
    else:
        candidates = [_same_unit_leader_role(task), _next_level_role(task.lane)]
    for role in candidates:
        if not role or (role == task.lane and not declared):
            continue  # a leader's own overdue step goes up a level, not back to them
        users = [u for u in staff_over_village(task.village_path, role=role)
                 if u.pk != task.assignee_id]
        if users:
            return role, users
    return next((r for r in candidates if r), None), []


@transaction.atomic
def task_remind(*, task_pk: int, now) -> bool:
    """Send the before-deadline reminder of one task, once: the conditional update on
    ``reminded_at`` is the claim, so two sweeps never both send it."""
    claimed = HumanTask.objects.filter(pk=task_pk, status=TaskStatus.OPEN,
                                       reminded_at__isnull=True).update(reminded_at=now)
    if claimed != 1:
        return False
    task = HumanTask.objects.select_related("case", "assignee").get(pk=task_pk)
    case = task.case
    handlers = task_handlers(task)
    due = timezone.localtime(task.due_at)
    notify(users=handlers, kind=NotificationKind.REMINDER, case=case,
           title=f"即将到期：{task.title}（{case.applicant_name}）",
           body=f"“{task.title}”（{case.title}，{case.applicant_name}）将于{due:%Y-%m-%d %H:%M}"
                f"到期，请及时办理。",
           url=_url("portal:task", task.pk))
    AuditEntry.objects.create(case=case, task=task, action=AuditAction.REMINDED,
                              summary=f"“{task.title}”到期提醒",
                              data={"due": task.due_at.isoformat(),
                                    "recipients": [u.pk for u in handlers]})
    return True


@transaction.atomic
def task_escalate(*, task_pk: int, now) -> bool:
    """Escalate one overdue task, once (the conditional update on ``escalated_at`` is the
    claim): notify the role the diagram names (``escalation_targets``) and record it."""
    claimed = HumanTask.objects.filter(pk=task_pk, status=TaskStatus.OPEN,
                                       escalated_at__isnull=True).update(escalated_at=now)
    if claimed != 1:
        return False
    task = HumanTask.objects.select_related("case__definition", "assignee").get(pk=task_pk)
    case = task.case
    role, users = escalation_targets(task, task_spec_properties(case.definition,
                                                                task.spec_name))
    due = timezone.localtime(task.due_at)
    handler = _display_name(task.assignee) if task.assignee else "（待认领）"
    notify(users=users, kind=NotificationKind.ESCALATION, case=case,
           title=f"超时督办：{task.title}（{case.applicant_name}）",
           body=f"“{task.title}”（{case.title}，{case.applicant_name}）已于{due:%Y-%m-%d %H:%M}"
                f"超过办理时限，经办人：{handler}。请督促办理。",
           url=_url("portal:case", case.pk))
    AuditEntry.objects.create(
        case=case, task=task, action=AuditAction.ESCALATED,
        summary=f"“{task.title}”超时，督办"
                + ("、".join(_display_name(u) for u in users) if users else "（无督办对象）"),
        data={"due": task.due_at.isoformat(), "role": role,
              "recipients": [u.pk for u in users]})
    return True


def deadline_sweep(*, now=None) -> dict[str, int]:
    """Periodic sweep (Celery beat, ``manage.py run_timers``): remind open tasks whose due
    time is within their reminder window (``remind_before_hours``, default 24) and escalate
    those past it. Each task is handled in its own transaction, so one failure is logged and
    skipped without blocking the sweep."""
    now = now or timezone.now()
    open_tasks = HumanTask.objects.filter(status=TaskStatus.OPEN, due_at__isnull=False,
                                          case__status=CaseStatus.RUNNING)
    counts = {"reminded": 0, "escalated": 0}
    for task_pk in (open_tasks.filter(due_at__lte=now, escalated_at__isnull=True)
                    .order_by("due_at").values_list("pk", flat=True)):
        try:
            counts["escalated"] += task_escalate(task_pk=task_pk, now=now)
        except Exception:  # noqa: BLE001 - isolate failures, see docstring
            logger.exception("escalation of task %s failed", task_pk)
    # The window is per task (a diagram property), so it is applied here, not in SQL.
    upcoming = (open_tasks.filter(due_at__gt=now, reminded_at__isnull=True)
                .select_related("case__definition").order_by("due_at"))
    for task in upcoming:
        window = _remind_before(task_spec_properties(task.case.definition, task.spec_name))
        if task.due_at - now > window:
            continue
        try:
            counts["reminded"] += task_remind(task_pk=task.pk, now=now)
        except Exception:  # noqa: BLE001 - isolate failures, see docstring
            logger.exception("reminder of task %s failed", task.pk)
    # Case clocks (engine.clocks) passed while running are flagged by the same sweep.
    from .clocks import case_clocks_flag_overdue
    case_clocks_flag_overdue(now=now)
    return counts


def tasks_opened_notify(*, tasks: list[HumanTask]) -> None:
    """Tell whoever may act on newly opened tasks, in the notification centre only (email and
    SMS are kept for urges, reminders and escalations)."""
    # As ``notify`` with no channel, but one INSERT for every task a step opened (the
    # cemetery's opinion round opens six).
    built = []
    for task in tasks:
        built += _notifications_build(
            users=task_handlers(task), kind=NotificationKind.TASK,
            title=f"新待办：{task.title}（{task.case.applicant_name}）", case=task.case,
            url=_url("portal:task", task.pk))
    Notification.objects.bulk_create(built)


# ---------------------------------------------------------------------------------------------
# Configuration errors


def configuration_error_report(*, county, where: str, error: str) -> list[Notification]:
    """A diagram failed while running for someone (an applicant filing, staff completing a
    step). They are told only that the system is misconfigured; the county's supervisors —
    who can fix the diagram — get the details in their notification centre (once an hour per
    message, so a broken step does not flood them)."""
    from guardian.shortcuts import get_users_with_perms

    logger.error("diagram failed (%s, %s): %s", county, where, error)
    if county is None:
        return []
    title = f"流程运行异常：{where}"[:200]
    supervisors = [user for user in get_users_with_perms(
        county, only_with_perms_in=["supervise_unit"], with_superusers=False)
        if not Notification.objects.filter(user=user, kind=NotificationKind.SYSTEM,
                                           title=title, body=error[:2000],
                                           created_at__gte=timezone.now() - timedelta(hours=1)
                                           ).exists()]
    return notify(users=supervisors, kind=NotificationKind.SYSTEM, title=title,
                  body=error[:2000], channels=[])
