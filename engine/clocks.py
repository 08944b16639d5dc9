"""Case clocks: a deadline on the whole case, not on one task.

Some limits run across several steps — 急难型临时救助 must be granted within 24 hours of filing
(48 in some counties) however the hours are split between review and decision. A diagram
declares such a limit with two service tasks:

* ``start_clock`` — parameters ``name`` (identifier), ``hours`` (default length), optionally
  ``setting`` (a key of the county's ``Unit.settings`` whose value, when set, replaces
  ``hours``) and ``label`` (shown to staff, e.g. "先行救助时限"). Starting a clock that exists
  restarts it.
* ``stop_clock`` — parameter ``name``. Stopping a clock that is not running does nothing.

The clock is a ``CaseClock`` row written in the advancing transaction, so inboxes and case
pages read it without loading the workflow. The deadline sweep flags a clock whose deadline
passed while it ran (audit entry + notification to the case's current handlers).
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import AuditAction, AuditEntry, Case, CaseClock, CaseStatus

logger = logging.getLogger(__name__)

CLOCK_OPERATIONS = {"start_clock": {"name", "hours"}, "stop_clock": {"name"}}
MAX_CLOCK_HOURS = 24 * 366


def _hours(value) -> float | None:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        return None
    return hours if 0 < hours <= MAX_CLOCK_HOURS else None


def clock_parameter_problems(operation: str, params: dict) -> list[str]:
    """Deploy-time checks of a clock service task's (literal) parameters, in Chinese."""
    if operation not in CLOCK_OPERATIONS:
        return []
    problems = []
    name = params.get("name")
    if "name" in params and (not isinstance(name, str) or not name.isidentifier()):
        problems.append("计时器名称（name）必须是英文标识符，如 \"urgent_relief\"")
    if operation == "start_clock":
        if "hours" in params and _hours(params.get("hours")) is None:
            problems.append(f"计时时长（hours）必须是大于0且不超过{MAX_CLOCK_HOURS}的小时数")
        if "setting" in params and (not isinstance(params["setting"], str)
                                    or not params["setting"].isidentifier()):
            problems.append("县级设置项（setting）必须是英文标识符，如 \"urgent_relief_hours\"")
    return problems


def clock_length_hours(params: dict, county) -> float:
    """The clock's length: the county's setting when set and valid, else ``hours``."""
    setting = params.get("setting")
    if setting and county is not None:
        configured = _hours((county.settings or {}).get(setting))
        if configured is not None:
            return configured
    hours = _hours(params.get("hours"))
    if hours is None:
        raise ValueError(f"计时器 {params.get('name')} 的时长无效：{params.get('hours')!r}")
    return hours


def clock_effect_apply(*, case: Case, effect, actor) -> CaseClock | None:
    """Carry out a ``start_clock`` / ``stop_clock`` effect (inside the advancing transaction)."""
    params = effect.params
    now = timezone.now()
    if effect.operation == "start_clock":
        hours = clock_length_hours(params, case.village.county)
        label = str(params.get("label") or params["name"])
        clock, _ = CaseClock.objects.update_or_create(
            case=case, name=params["name"],
            defaults={"label": label, "started_at": now,
                      "deadline": now + timedelta(hours=hours), "stopped_at": None,
                      "overdue_flagged_at": None})
        AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.TIMER,
                                  summary=f"{label}开始计时（{hours:g}小时）",
                                  data={"clock": clock.name, "hours": hours,
                                        "deadline": clock.deadline.isoformat()})
        return clock
    clock = CaseClock.objects.filter(case=case, name=params["name"],
                                     stopped_at__isnull=True).first()
    if clock is None:
        return None
    clock.stopped_at = now
    clock.save(update_fields=["stopped_at"])
    late = now > clock.deadline
    AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.TIMER,
                              summary=f"{clock.label}停止计时（{'已超时' if late else '按时'}，"
                                      f"用时{_duration_text(now - clock.started_at)}）",
                              data={"clock": clock.name, "late": late})
    return clock


def _duration_text(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours} 小时"
    return f"{max(1, rest // 60)} 分钟" if rest else "0 分钟"


@dataclass(frozen=True)
class ClockStatus:
    label: str
    text: str  # "先行救助时限：剩余 5 小时" / "先行救助时限：已超时"
    overdue: bool
    running: bool
    deadline: object


def clock_status(clock: CaseClock, now, *, case_running: bool = True) -> ClockStatus:
    """How a clock reads at ``now``."""
    if clock.stopped_at is not None:
        used = _duration_text(clock.stopped_at - clock.started_at)
        late = clock.stopped_at > clock.deadline
        text = f"{clock.label}：{'已超时' if late else '按时完成'}（用时 {used}）"
        return ClockStatus(clock.label, text, late, False, clock.deadline)
    if not case_running:  # withdrawn, voided, suspended...: nothing is being waited for
        return ClockStatus(clock.label, f"{clock.label}：案件已不在办理中，未计时完毕", False,
                           False, clock.deadline)
    if now >= clock.deadline:
        over = _duration_text(now - clock.deadline)
        return ClockStatus(clock.label, f"{clock.label}：已超时（超出 {over}）", True, True,
                           clock.deadline)
    return ClockStatus(clock.label, f"{clock.label}：剩余 {_duration_text(clock.deadline - now)}",
                       False, True, clock.deadline)


def clock_statuses_by_case(case_ids, now) -> dict[int, list[ClockStatus]]:
    """{case id: [status of each clock]} for a page of inbox rows: one query."""
    result: dict[int, list[ClockStatus]] = {}
    # The case's status only, not the case row (its workflow state and data are the
    # heaviest columns of the database).
    for clock in (CaseClock.objects.filter(case_id__in=set(case_ids))
                  .annotate(case_status=F("case__status")).order_by("started_at", "pk")):
        result.setdefault(clock.case_id, []).append(
            clock_status(clock, now, case_running=clock.case_status == CaseStatus.RUNNING))
    return result


def tasks_attach_clocks(tasks, now) -> list:
    """Give each inbox row ``case_clocks`` (list of ``ClockStatus``) for the template."""
    tasks = list(tasks)
    statuses = clock_statuses_by_case([task.case_id for task in tasks], now)
    for task in tasks:
        task.case_clocks = statuses.get(task.case_id, [])
    return tasks


def case_clock_statuses(case: Case, now=None) -> list[ClockStatus]:
    now = now or timezone.now()
    return clock_statuses_by_case([case.pk], now).get(case.pk, [])


def overdue_clocks(now=None, *, within=None, viewer=None):
    """Running clocks of running cases whose deadline has passed (for the sweep and the
    supervisors' dashboard); ``within``: only cases of that unit's jurisdiction; ``viewer``:
    only cases that user sees (``engine.selectors.case_visible_q``)."""
    now = now or timezone.now()
    clocks = CaseClock.objects.filter(stopped_at__isnull=True, deadline__lte=now,
                                      case__status=CaseStatus.RUNNING)
    if within is not None:
        clocks = clocks.filter(case__village_path__startswith=within.path)
    if viewer is not None:
        from .selectors import case_visible_exists

        clocks = clocks.filter(case_visible_exists(viewer))
    return clocks


def case_clocks_flag_overdue(*, now=None) -> int:
    """Flag (once) each running clock whose deadline passed: an audit entry on the case and a
    notification to whoever may act on its open tasks. Run by the deadline sweep."""
    now = now or timezone.now()
    flagged = 0
    for clock_pk in (overdue_clocks(now).filter(overdue_flagged_at__isnull=True)
                     .values_list("pk", flat=True)):
        try:
            flagged += _clock_flag(clock_pk, now)
        except Exception:  # noqa: BLE001 - one broken case must not block the sweep
            logger.exception("flagging clock %s failed", clock_pk)
    return flagged


@transaction.atomic
def _clock_flag(clock_pk: int, now) -> int:
    from .models import HumanTask, NotificationKind, TaskStatus
    from .notifications import notify, task_handlers

    clock = (CaseClock.objects.select_for_update().select_related("case")
             .filter(pk=clock_pk, overdue_flagged_at__isnull=True, stopped_at__isnull=True)
             .first())
    if clock is None:
        return 0
    clock.overdue_flagged_at = now
    clock.save(update_fields=["overdue_flagged_at"])
    case = clock.case
    AuditEntry.objects.create(case=case, action=AuditAction.ESCALATED,
                              summary=f"{clock.label}已超时（期限 "
                                      f"{timezone.localtime(clock.deadline):%Y-%m-%d %H:%M}）",
                              data={"clock": clock.name, "deadline": clock.deadline.isoformat()})
    users = set()
    for task in HumanTask.objects.filter(case=case, status=TaskStatus.OPEN):
        users.update(task_handlers(task))
    if users:
        notify(users=users, kind=NotificationKind.ESCALATION,
               title=f"{clock.label}已超时：{case.title}（{case.applicant_name}）", case=case,
               channels=[])
    return 1
