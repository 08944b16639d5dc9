"""Public notices (公示): published by a diagram's ``open_public_notice`` service task, listed
on the public page, open to objections, timed by the engine.

A procedure declares what its notice publishes (a ``NoticeType``: fields of the case data and
their labels); the engine publishes those fields and nothing else, refuses a declaration that
names private data (ID numbers, bank accounts, diagnoses, descriptions...) and checks every
published value once more before it goes out (no ID number, no account number), like
``engine.documents._check_printable`` does for documents.

The notice's clock is its ``PublicNotice`` row, not a BPMN timer, because an objection must
stop it: while the notice is open the case waits at an event-based gateway for one of two
messages the engine sends —

* ``notice_ended`` (payload ``{"held": True, "ended_on": "YYYY-MM-DD", "notice": uuid}``) when
  ``ends_at`` has passed while the notice is open (fired by the periodic timer sweep: the
  case's ``next_timer_at`` includes its open notice's end);
* ``notice_objection`` when an objection comes in while the notice is open: the notice is
  suspended (the remaining time is kept) and the case goes to review. The review's
  ``resolve_notice_objection`` service task records the outcome: ``uphold`` withdraws the
  notice (the diagram sends the case back to investigation), ``reject`` resumes it with the
  time that was left.

Periods are calendar days (自然日), counted as 《民法典》 arts. 201 and 203 count periods: the
day the notice is posted does not count, and the last day ends at 24:00. National practice
states 公示 periods in days, not working days (e.g. 民发〔2021〕57号 art. 24: "公示期为7天"),
and a notice on a village board runs over weekends as well.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from . import runtime
from .identity import is_id_number
from .models import (
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    NoticeObjection,
    NoticeStatus,
    ObjectionOutcome,
    ObjectionSource,
    PublicNotice,
    UnitLevel,
)
from .runtime import RuntimeFailure

NOTICE_DAYS_MIN, NOTICE_DAYS_MAX, NOTICE_DAYS_DEFAULT = 3, 7, 7
# County settings read here (``Unit.settings``): the period, and whether names are masked.
SETTING_DAYS = "notice_days"
SETTING_MASK_NAME = "notice_mask_name"  # default True: 张建国 → 张*国

NOTICE_ENDED_MESSAGE = "notice_ended"
NOTICE_OBJECTION_MESSAGE = "notice_objection"
OPERATIONS = ("open_public_notice", "resolve_notice_objection")

# Online objections per client address and hour: enough for a household with several
# objections, too few to flood a township's review queue.
OBJECTIONS_PER_IP_PER_HOUR = 5

# Field names a notice may never publish (art. 61 confidentiality), matched as substrings of
# the declared data key.
PRIVATE_KEY_PARTS = ("id_number", "idcard", "bank", "account", "diagnos", "medical",
                     "description", "detail", "phone", "contact", "address", "member",
                     "income", "attachment", "findings")
_ID_LIKE = re.compile(r"\d{17}[\dXx]")
_LONG_DIGITS = re.compile(r"\d{12,}")  # bank / 一卡通 account numbers are 12-30 digits


def _refused(message: str) -> Exception:
    from .services import ActionRefused

    return ActionRefused(message)


# ---------------------------------------------------------------------------------------------
# What a procedure publishes


@dataclass(frozen=True)
class NoticeField:
    """One published fact: the case-data ``key`` shown under ``label``. ``person_name``
    masks it where the county says (setting ``notice_mask_name``, default on); ``choices``
    turn stored codes into their labels; ``amount`` prints it as yuan."""

    key: str
    label: str
    person_name: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    amount: bool = False

    def __post_init__(self):
        lowered = self.key.lower()
        if any(part in lowered for part in PRIVATE_KEY_PARTS):
            raise ValueError(f"公示不能公开“{self.label}”（{self.key}）：身份证号、账号、病情、"
                             f"困难情况说明等属于保密信息（《社会救助暂行办法》第六十一条）")


@dataclass(frozen=True)
class NoticeType:
    """A kind of public notice a diagram opens with ``open_public_notice``."""

    code: str
    title: str
    fields: tuple[NoticeField, ...]
    lead: str = ""  # one sentence above the facts
    objection_hint: str = ""  # how an objection is handled, shown above the form
    default_days: int = NOTICE_DAYS_DEFAULT


_NOTICE_TYPES: dict[str, NoticeType] = {}


def register_notice_type(notice_type: NoticeType) -> None:
    existing = _NOTICE_TYPES.get(notice_type.code)
    if existing is not None and existing != notice_type:
        raise ValueError(f"notice type {notice_type.code} registered twice")
    _NOTICE_TYPES[notice_type.code] = notice_type


def notice_type_get(code: str) -> NoticeType:
    try:
        return _NOTICE_TYPES[code]
    except KeyError:
        raise RuntimeFailure(f"未登记的公示类型：{code}") from None


def notice_types() -> dict[str, NoticeType]:
    return dict(_NOTICE_TYPES)


def notice_days_check(value) -> int:
    """The notice period in days, or ValueError (Chinese) outside 3-7."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValueError("公示期应为整数天") from None
    if not NOTICE_DAYS_MIN <= days <= NOTICE_DAYS_MAX or str(days) != str(value).strip():
        raise ValueError(f"公示期应为{NOTICE_DAYS_MIN}至{NOTICE_DAYS_MAX}天")
    return days


def _county_days(case: Case, notice_type: NoticeType) -> int:
    county = case.village.county
    value = (county.settings or {}).get(SETTING_DAYS, notice_type.default_days)
    try:
        return notice_days_check(value)
    except ValueError as exc:
        raise RuntimeFailure(f"本县公示期设置有误：{exc}") from None


def notice_end_for(starts_at: datetime, days: int) -> datetime:
    """《民法典》 arts. 201, 203: the start day is not counted; the period ends at 24:00 of
    its last day (local time). Posted 2026-12-03 for 7 days → ends 2026-12-11 00:00."""
    first_day = timezone.localtime(starts_at).date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(first_day + timedelta(days=days), time.min))


def _format(notice_field: NoticeField, value, *, mask_names: bool) -> str:
    from .documents import amount_in_figures, mask_person_name

    if value in (None, ""):
        return ""
    if notice_field.choices:
        value = dict(notice_field.choices).get(str(value), str(value))
    if notice_field.amount:
        try:
            return f"{amount_in_figures(value)}元"
        except ValueError:
            return ""
    value = str(value)
    if notice_field.person_name and mask_names:
        return mask_person_name(value)
    return value


def notice_facts(*, notice_type: NoticeType, case: Case, data: dict) -> list[dict]:
    """The published facts: the declared fields only, formatted and masked."""
    mask_names = bool((case.village.county.settings or {}).get(SETTING_MASK_NAME, True))
    facts = [{"label": f.label, "value": _format(f, data.get(f.key), mask_names=mask_names)}
             for f in notice_type.fields]
    _check_public(facts, case=case, data=data)
    return facts


def _check_public(facts: list[dict], *, case: Case, data: dict) -> None:
    """Last guard before publishing: no ID number (any valid one, the applicant's, a family
    member's) and no account-like number, whatever the declaration says."""
    secrets = {case.applicant_id_number.upper()} if case.applicant_id_number else set()
    for member in data.get("members_text") or []:
        if isinstance(member, dict) and member.get("id_number"):
            secrets.add(str(member["id_number"]).upper())
    if data.get("bank_account"):
        secrets.add(str(data["bank_account"]))
    for fact in facts:
        text = str(fact["value"]).upper()
        if any(is_id_number(n.upper()) for n in _ID_LIKE.findall(text)) or \
                any(s and s in text for s in secrets) or _LONG_DIGITS.search(text):
            raise RuntimeFailure(f"公示内容“{fact['label']}”含有身份证号或账号，已拒绝公示")


# ---------------------------------------------------------------------------------------------
# Effects of the diagram's service tasks (called by engine.services._advance, in the
# transaction that holds the case lock)


def notice_effect(*, case: Case, operation: str, params: dict, data: dict, actor) -> None:
    if operation == "open_public_notice":
        _notice_open(case=case, params=params, data=data, actor=actor)
    elif operation == "resolve_notice_objection":
        _objection_resolve(case=case, params=params, actor=actor)


def _notice_open(*, case: Case, params: dict, data: dict, actor) -> PublicNotice:
    notice_type = notice_type_get(str(params["notice_type"]))
    if params.get("days") not in (None, ""):
        try:
            days = notice_days_check(params["days"])
        except ValueError as exc:
            raise RuntimeFailure(f"流程中的公示期有误：{exc}") from None
    else:
        days = _county_days(case, notice_type)
    now = timezone.now()
    # A case sent back to investigation opens a new notice; an earlier one still live (e.g.
    # after a staff return) is withdrawn so two notices never run for one case.
    for live in case.public_notices.select_for_update().filter(
            status__in=[NoticeStatus.OPEN, NoticeStatus.SUSPENDED]):
        _withdraw(live, now=now, reason="重新公示")
    title = str(params.get("title") or notice_type.title)
    _check_public([{"label": "标题", "value": title}], case=case, data=data)
    notice = PublicNotice(
        case=case, notice_type=notice_type.code, unit=case.village, unit_path=case.village.path,
        title=title,
        facts=notice_facts(notice_type=notice_type, case=case, data=data), days=days,
        starts_at=now, ends_at=notice_end_for(now, days))
    notice.full_clean(exclude=["case", "unit", "uuid"])  # saved instances, a fresh uuid4
    notice.save()
    AuditEntry.objects.create(
        case=case, actor=actor, action=AuditAction.NOTICE,
        summary=f"发布公示“{notice.title}”，公示期{days}天，至"
                f"{notice_time_text(notice.ends_at)}止",
        data={"notice": str(notice.uuid), "facts": notice.facts, "days": days,
              "ends_at": notice.ends_at.isoformat()})
    return notice


def _withdraw(notice: PublicNotice, *, now, reason: str) -> None:
    notice.status = NoticeStatus.WITHDRAWN
    notice.ended_at = now
    notice.end_reason = reason[:200]
    if notice.suspended_at:
        notice.suspensions = [*notice.suspensions, {"from": notice.suspended_at.isoformat(),
                                                    "to": now.isoformat()}]
        notice.suspended_at = None
    notice.save(update_fields=["status", "ended_at", "end_reason", "suspensions",
                               "suspended_at"])


def _objection_resolve(*, case: Case, params: dict, actor) -> None:
    outcome = str(params.get("outcome") or "")
    if outcome not in ("uphold", "reject"):
        raise RuntimeFailure("异议核查结果应为“uphold”（成立）或“reject”（不成立）")
    note = str(params.get("note") or "")[:2000]
    notice = case.public_notices.select_for_update().filter(
        status=NoticeStatus.SUSPENDED).first()
    if notice is None:
        raise RuntimeFailure("该案件没有暂停中的公示，无法记录异议核查结果")
    now = timezone.now()
    pending = list(notice.objections.filter(outcome=ObjectionOutcome.PENDING))
    for objection in pending:
        objection.outcome = ObjectionOutcome.UPHELD if outcome == "uphold" \
            else ObjectionOutcome.REJECTED
        objection.outcome_note = note
        objection.reviewed_by = actor
        objection.reviewed_at = now
        objection.save(update_fields=["outcome", "outcome_note", "reviewed_by", "reviewed_at"])
    if outcome == "uphold":
        _withdraw(notice, now=now, reason="异议成立，重新调查")
        summary = f"异议核查：异议成立，公示撤回，案件退回重新调查（{len(pending)}条异议）"
    else:
        # The clock stopped at the objection: the notice gets back exactly the time it had.
        remaining = notice.ends_at - notice.suspended_at
        notice.suspensions = [*notice.suspensions, {"from": notice.suspended_at.isoformat(),
                                                    "to": now.isoformat()}]
        notice.ends_at = now + remaining
        notice.suspended_at = None
        notice.status = NoticeStatus.OPEN
        notice.save(update_fields=["suspensions", "ends_at", "suspended_at", "status"])
        summary = (f"异议核查：异议不成立，公示恢复计时，至{notice_time_text(notice.ends_at)}止"
                   f"（{len(pending)}条异议）")
    AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.NOTICE,
                              summary=summary,
                              data={"notice": str(notice.uuid), "outcome": outcome,
                                    "note": note, "objections": [o.pk for o in pending]})


def notice_time_text(moment: datetime) -> str:
    """2026年12月10日24时 for a period ending at midnight, else the minute."""
    local = timezone.localtime(moment)
    if local.time() == time.min:  # ends at 24:00 of the day before
        day = local.date() - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日24时"
    return f"{local.year}年{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


# ---------------------------------------------------------------------------------------------
# The clock (called by the timer sweep, under the case lock)


def notice_next_due(case: Case, workflow) -> datetime | None:
    """The case's next wake-up: its earliest BPMN timer or its open notice's end. Called on
    every advance, so it also withdraws an open notice the case has left without the engine
    (e.g. staff took the review back): the notice must not stay on the public page."""
    waiting = runtime.waiting_messages(workflow)
    ends = []
    for notice in case.public_notices.filter(status=NoticeStatus.OPEN):
        if NOTICE_ENDED_MESSAGE in waiting:
            ends.append(notice.ends_at)
        else:
            _withdraw(notice, now=timezone.now(), reason="案件已退回，公示终止")
            AuditEntry.objects.create(case=case, action=AuditAction.NOTICE,
                                      summary="案件已不在公示环节，公示撤回",
                                      data={"notice": str(notice.uuid)})
    due = [d for d in (runtime.next_timer_due(workflow), *ends) if d is not None]
    return min(due) if due else None


def notices_end_due(*, case: Case, workflow, now: datetime) -> int:
    """End the case's open notices whose period has passed: the workflow gets
    ``notice_ended``. A suspended notice is never ended by time (the clock is stopped)."""
    ended = 0
    for notice in case.public_notices.select_for_update().filter(status=NoticeStatus.OPEN,
                                                                  ends_at__lte=now):
        ended_on = timezone.localtime(notice.ends_at - timedelta(microseconds=1)).date()
        try:
            runtime.send_message(workflow, NOTICE_ENDED_MESSAGE, {
                "held": True, "ended_on": ended_on.isoformat(), "notice": str(notice.uuid)})
        except RuntimeFailure:
            # The case left the notice without the engine (e.g. staff returned it to an
            # earlier step): the notice is over, nothing to tell the workflow.
            _withdraw(notice, now=now, reason="案件已不在公示环节")
            continue
        notice.status = NoticeStatus.ENDED
        notice.ended_at = now
        notice.end_reason = "公示期满"
        notice.save(update_fields=["status", "ended_at", "end_reason"])
        AuditEntry.objects.create(
            case=case, action=AuditAction.NOTICE,
            summary=f"公示期满（{notice.starts_at:%Y-%m-%d}起{notice.days}天），"
                    f"无成立的异议",
            data={"notice": str(notice.uuid), "ended_on": ended_on.isoformat()})
        ended += 1
    return ended


# ---------------------------------------------------------------------------------------------
# Objections


def _clean(value, *, label: str, minimum: int, maximum: int) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if len(text) < minimum:
        raise _refused(f"请填写{label}" if minimum <= 1 else f"{label}至少{minimum}个字")
    if len(text) > maximum:
        raise _refused(f"{label}不能超过{maximum}个字")
    return text


@transaction.atomic
def notice_objection_submit(*, notice_uuid, name: str, contact: str, content: str,
                            source: str = ObjectionSource.ONLINE, entered_by=None,
                            client_ip: str | None = None) -> NoticeObjection:
    """File an objection to a notice: online by anyone, or entered by staff with
    jurisdiction over the case (``source="staff"``, ``entered_by``).

    The first objection while the notice is open stops its clock and sends the case to
    review (message ``notice_objection``); later ones while it is suspended join the same
    review. Refused (``ActionRefused``, nothing saved) when the notice is no longer open,
    its period has passed, the input is empty or too long, or one address files too often.
    """
    from .selectors import is_staff_member, user_has_jurisdiction
    from .services import _advance, _load

    name = _clean(name, label="姓名", minimum=1, maximum=50)
    contact = _clean(contact, label="联系方式", minimum=5, maximum=100)
    content = _clean(content, label="异议内容", minimum=10, maximum=2000)
    if source not in ObjectionSource.values:
        raise _refused("异议来源不正确")
    case_pk = PublicNotice.objects.filter(uuid=notice_uuid).values_list("case_id", flat=True) \
        .first()
    if case_pk is None:
        raise _refused("公示不存在")
    # The case row is the instance lock: an objection and the sweep ending the notice queue
    # here, so an objection either stops the clock or finds the notice already ended.
    case = Case.objects.select_for_update(of=("self",)).select_related(
        "definition", "village").get(pk=case_pk)
    notice = PublicNotice.objects.select_for_update().get(uuid=notice_uuid)
    now = timezone.now()
    if source == ObjectionSource.STAFF:
        if entered_by is None or not is_staff_member(entered_by) or \
                not user_has_jurisdiction(entered_by, case):
            raise PermissionDenied("无权为该案件登记公示异议")
    else:
        entered_by = None
        if client_ip and NoticeObjection.objects.filter(
                client_ip=client_ip, submitted_at__gte=now - timedelta(hours=1)).count() \
                >= OBJECTIONS_PER_IP_PER_HOUR:
            raise _refused("提交过于频繁，请一小时后再试，或到村（居）委会、乡镇（街道）当面反映")
    if case.status == CaseStatus.SUSPENDED:
        raise _refused("该案件暂停办理，暂不受理网上异议，请向乡镇（街道）或村（居）委会反映")
    if case.status != CaseStatus.RUNNING:
        raise _refused("该案件已不在办理中，公示已终止")
    if notice.status == NoticeStatus.OPEN and notice.ends_at <= now:
        raise _refused("公示期已届满，不再受理异议")
    if notice.status not in (NoticeStatus.OPEN, NoticeStatus.SUSPENDED):
        raise _refused(f"该公示{notice.get_status_display()}，不再受理异议")
    objection = NoticeObjection(
        notice=notice, name=name, contact=contact, content=content, source=source,
        entered_by=entered_by, client_ip=client_ip or None, submitted_at=now)
    objection.full_clean()
    objection.save()
    AuditEntry.objects.create(
        case=case, actor=entered_by, action=AuditAction.NOTICE,
        summary=f"收到公示异议（{objection.get_source_display()}）"
                + ("，公示暂停计时，转异议核查" if notice.status == NoticeStatus.OPEN else
                   "，并入正在进行的异议核查"),
        data={"notice": str(notice.uuid), "objection": objection.pk})
    if notice.status == NoticeStatus.OPEN:
        workflow, script_engine = _load(case)
        try:
            runtime.send_message(workflow, NOTICE_OBJECTION_MESSAGE, {
                "notice": str(notice.uuid), "received_at": now.isoformat(),
                "source": objection.get_source_display(), "content": content})
        except RuntimeFailure:
            raise _refused("该案件已不在公示环节，公示已终止") from None
        notice.status = NoticeStatus.SUSPENDED
        notice.suspended_at = now
        notice.save(update_fields=["status", "suspended_at"])
        _advance(case=case, workflow=workflow, script_engine=script_engine, actor=entered_by)
    return objection


# ---------------------------------------------------------------------------------------------
# Reads for the public page and the case page


def notices_public(*, township=None, village=None, recent_days: int = 30):
    """Notices the public may see: open, suspended, or ended within ``recent_days``; never
    withdrawn ones nor those of voided cases."""
    from django.db.models import Q

    since = timezone.now() - timedelta(days=recent_days)
    # A live notice of a case that is no longer being handled (withdrawn by the applicant,
    # finished some other way) is not "in progress" any more.
    stale = Q(status__in=[NoticeStatus.OPEN, NoticeStatus.SUSPENDED]) & ~Q(
        case__status__in=[CaseStatus.RUNNING, CaseStatus.SUSPENDED])
    notices = (PublicNotice.objects.exclude(status=NoticeStatus.WITHDRAWN)
               .exclude(case__status=CaseStatus.VOIDED).exclude(stale)
               .exclude(status=NoticeStatus.ENDED, ended_at__lt=since)
               .select_related("unit", "unit__parent"))
    if village is not None:
        notices = notices.filter(unit=village)
    elif township is not None:
        notices = notices.filter(unit_path__startswith=township.path)
    return notices


def notice_get_public(uuid) -> PublicNotice:
    from django.http import Http404

    try:
        return notices_public(recent_days=3650).get(uuid=uuid)
    except (PublicNotice.DoesNotExist, ValueError):
        raise Http404("公示不存在或已撤回") from None


def notice_remaining_days(notice: PublicNotice, now: datetime | None = None) -> int | None:
    """Calendar days of the period still to run, today included (the posting day itself is
    not a day of the period): 7 on the posting day and the first day of a 7-day notice, 1
    on its last day. For a suspended notice, the days that were left when it was suspended;
    None once it is over."""
    if notice.status == NoticeStatus.OPEN:
        at = now or timezone.now()
    elif notice.status == NoticeStatus.SUSPENDED and notice.suspended_at:
        at = notice.suspended_at
    else:
        return None
    if at >= notice.ends_at:
        return 0
    first = max(timezone.localtime(at).date(),
                timezone.localtime(notice.starts_at).date() + timedelta(days=1))
    last = timezone.localtime(notice.ends_at - timedelta(microseconds=1)).date()
    return max((last - first).days + 1, 0)


def notice_township(notice: PublicNotice):
    return notice.unit.ancestor_at(UnitLevel.TOWNSHIP)


def notice_live_for_case(case: Case) -> PublicNotice | None:
    return case.public_notices.filter(
        status__in=[NoticeStatus.OPEN, NoticeStatus.SUSPENDED]).first()


@dataclass
class NoticeView:
    notice: PublicNotice
    remaining_days: int | None
    objections: list = field(default_factory=list)


def notices_for_case(case: Case) -> list[NoticeView]:
    """Every notice of a case with its objections, for staff on the case page."""
    return [NoticeView(n, notice_remaining_days(n), list(n.objections.all()))
            for n in case.public_notices.prefetch_related("objections").order_by("starts_at")]


# ---------------------------------------------------------------------------------------------
# Demo data


@transaction.atomic
def notice_backdate_for_demo(*, notice: PublicNotice, starts_at: datetime,
                             seed_note: str) -> PublicNotice:
    """Demo seed only: move an open notice's start into the past so a newcomer can see a
    notice in progress or one whose period has ended, without waiting. The period is
    recomputed from the new start with the same rule, the row says it is seeded demo data
    (``seed_note``, shown on the public page) and the audit trail records it. Nothing here
    fakes the clock: the sweep then ends a notice whose period has passed the normal way."""
    if not seed_note.strip():
        raise ValueError("演示数据必须注明")
    case = Case.objects.select_for_update().get(pk=notice.case_id)
    notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.OPEN or notice.objections.exists():
        raise ValueError("只能调整尚无异议的公示")
    notice.starts_at = starts_at
    notice.ends_at = notice_end_for(starts_at, notice.days)
    notice.seed_note = seed_note[:200]
    notice.save(update_fields=["starts_at", "ends_at", "seed_note"])
    from .services import _load

    case.next_timer_at = notice_next_due(case, _load(case)[0])
    case.save(update_fields=["next_timer_at"])
    AuditEntry.objects.create(case=case, action=AuditAction.NOTICE,
                              summary=f"演示数据：公示开始时间设为{notice_time_text(starts_at)}",
                              data={"notice": str(notice.uuid), "seed_note": seed_note})
    return notice
