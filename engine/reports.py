"""Aggregate reads for supervisors: how much work is open, how much of it is late, and how
long each step takes, within one unit's jurisdiction (a county's dashboard).

Every figure is one grouped query in the database (``COUNT`` with ``GROUP BY``), never a
Python loop over rows, and none rescans history: open cases and overdue steps are read from
indexes limited to open rows (``case_open_by_village``, ``open_task_due``), handling times
from ``StepStat``, a running sum bumped in the transaction that completes each task
(``step_stat_record``). Nothing here knows a procedure: rows are keyed by the procedure key
and the BPMN step, and the caller labels them. Jurisdiction is the same materialised-path
prefix test as ``engine.selectors``. With ``viewer`` only what that user sees is
counted: cases and steps through ``engine.selectors.case_visible_q``, handling times only for
the procedures and units where the user holds one of the procedure's own roles
(``engine.selectors.procedure_reach``), so a dashboard never counts what its reader may not
see.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from .models import (Case, CaseMonthStat, CaseStatus, HumanTask, StepStat, TaskStatus, Unit,
                     UnitLevel)

# Cases not yet concluded (未办结). Suspended and failed cases are still the county's to
# finish, so they count as open.
OPEN_CASE_STATUSES = (CaseStatus.RUNNING, CaseStatus.SUSPENDED, CaseStatus.ERROR)
# A suspended case's clock is stopped on purpose by a supervisor; its steps are not "late".
LATE_CASE_STATUSES = (CaseStatus.RUNNING, CaseStatus.ERROR)

# (township unit id, procedure key)
TownshipProcedure = tuple[int, str]


@dataclass(frozen=True)
class StepDuration:
    """How long one step of a procedure took on average, over ``completed`` tasks."""

    procedure: str
    spec_name: str
    title: str
    completed: int
    average: timedelta


def _within(queryset: QuerySet, unit: Unit, viewer=None) -> list[QuerySet]:
    """The rows within ``unit`` (that ``viewer`` sees), as querysets of disjoint rows to count
    and add up. With a viewer: the cases of the definitions whose every case within ``unit``
    the viewer sees through a procedure role held over it (a county supervisor: all of
    them) are counted without the visibility rule, which would otherwise be tested row by
    row (its EXISTS per case made the county's counts 10-100 times dearer, bench/README.md);
    the other definitions' cases with it."""
    # An unsaved unit (or one before ``unit_create`` gave it its path) has path "", which
    # every path starts with: refuse rather than report the whole country.
    if not unit.path:
        raise ValueError(f"{unit} has no materialised path")
    queryset = queryset.filter(village_path__startswith=unit.path)
    if viewer is None:
        return [queryset]
    from .selectors import case_visible_exists, case_visible_q, procedure_definitions_over

    is_case = queryset.model is Case
    visible = case_visible_q(viewer) if is_case else case_visible_exists(viewer)
    covered = sorted(procedure_definitions_over(viewer, unit.path))
    if not covered:
        return [queryset.filter(visible)]
    field = "definition_id__in" if is_case else "case__definition_id__in"
    return [queryset.filter(**{field: covered}),
            queryset.exclude(**{field: covered}).filter(visible)]


def _by_township_and_procedure(querysets: list[QuerySet],
                               name: str) -> dict[TownshipProcedure, int]:
    # Grouped by village, not by the village's parent: that is a join per row, this an
    # index-only count; the few hundred villages are then summed up to their townships.
    # values() + annotate() is one GROUP BY query; the models' Meta.ordering is left out of
    # aggregation queries by Django, so it does not split the groups.
    rows = [row for queryset in querysets
            for row in queryset.values("village_id", "procedure").annotate(**{name: Count("pk")})]
    parents = dict(Unit.objects.filter(pk__in={row["village_id"] for row in rows})
                   .values_list("pk", "parent_id"))
    counts: dict[TownshipProcedure, int] = {}
    for row in rows:
        key = (parents.get(row["village_id"]), row["procedure"])
        counts[key] = counts.get(key, 0) + row[name]
    return counts


def open_cases_by_township(*, county: Unit, viewer=None) -> dict[TownshipProcedure, int]:
    """Open cases (not concluded) per township and procedure, within ``county``. The township
    of a case is its village's parent."""
    cases = _within(Case.objects.filter(status__in=OPEN_CASE_STATUSES), county, viewer)
    return _by_township_and_procedure(cases, "open_cases")


def overdue_tasks_by_township(*, county: Unit, now: datetime,
                              viewer=None) -> dict[TownshipProcedure, int]:
    """Open steps past their deadline (``due_at < now``, 超时件) per township and procedure,
    within ``county``. Steps without a deadline are never overdue."""
    tasks = _within(HumanTask.objects.filter(status=TaskStatus.OPEN, due_at__lt=now,
                                             case__status__in=LATE_CASE_STATUSES), county,
                    viewer)
    return _by_township_and_procedure(tasks, "overdue_tasks")


def _reach_q(viewer) -> Q:
    """Summary rows (``unit_path``, ``procedure``) the viewer may count: the procedures and
    units where they hold one of the procedure's own roles (``procedure_reach``)."""
    from .selectors import procedure_reach

    reach = Q(pk__in=[])
    for unit_path, procedures in procedure_reach(viewer):
        reach |= Q(unit_path__startswith=unit_path, procedure__in=sorted(procedures))
    return reach


def step_durations(*, county: Unit, viewer=None) -> list[StepDuration]:
    """Average handling time of each step (created → completed) over the completed tasks
    within ``county`` (or a township), per procedure and step; slowest first within a
    procedure. Cancelled tasks (ended unhandled: by a boundary timer, a return for
    supplements, a withdrawal or a voided case) are not counted. Read from ``StepStat``."""
    if not county.path:
        raise ValueError(f"{county} has no materialised path")
    stats = StepStat.objects.filter(unit_path__startswith=county.path)
    if viewer is not None:
        stats = stats.filter(_reach_q(viewer))
    rows = (stats.values("procedure", "spec_name", "title")
            .annotate(count=Sum("completed"), seconds=Sum("total_seconds")))
    durations = [StepDuration(procedure=row["procedure"], spec_name=row["spec_name"],
                              title=row["title"], completed=row["count"],
                              average=timedelta(seconds=row["seconds"] / row["count"]))
                 for row in rows if row["count"]]
    durations.sort(key=lambda d: (d.procedure, -d.average, d.spec_name, d.title))
    return durations


# ---------------------------------------------------------------------------------------------
# The running step summary (StepStat)


def step_stat_record(*, task: HumanTask) -> None:
    """Add one completed task to the summary; called in the transaction that completes it
    (``engine.services``), so the figures and the tasks commit or roll back together. The
    row is updated in place (one UPDATE); the first completion of a step in a township
    inserts it — two at once: the second waits on the unique constraint, fails inside its
    savepoint, and adds itself to the row the first committed."""
    unit_id = task.township_id or task.village_id
    seconds = max((task.completed_at - task.created_at).total_seconds(), 0.0)
    key = {"unit_id": unit_id, "procedure": task.procedure, "spec_name": task.spec_name,
           "title": task.title}
    bump = {"completed": F("completed") + 1, "total_seconds": F("total_seconds") + seconds}
    if StepStat.objects.filter(**key).update(**bump):
        return
    path = Unit.objects.values_list("path", flat=True).get(pk=unit_id)
    try:
        with transaction.atomic():
            StepStat.objects.create(**key, unit_path=path, completed=1, total_seconds=seconds)
    except IntegrityError:
        StepStat.objects.filter(**key).update(**bump)


def step_stats_rows(task_model, unit_model, stat_model) -> list:
    """Unsaved ``stat_model`` rows summing every completed task (models passed in so the
    migration can use its historical ones)."""
    handling = ExpressionWrapper(F("completed_at") - F("created_at"),
                                 output_field=DurationField())
    rows = list(task_model.objects.filter(status="completed", completed_at__isnull=False)
                .values("procedure", "spec_name", "title",
                        unit_id=Coalesce("township_id", "village_id"))
                .annotate(count=Count("pk"), average=Avg(handling)).order_by())
    paths = dict(unit_model.objects.filter(pk__in={row["unit_id"] for row in rows})
                 .values_list("pk", "path"))
    return [stat_model(unit_id=row["unit_id"], unit_path=paths[row["unit_id"]],
                       procedure=row["procedure"], spec_name=row["spec_name"],
                       title=row["title"], completed=row["count"],
                       total_seconds=row["average"].total_seconds() * row["count"])
            for row in rows]


@transaction.atomic
def step_stats_rebuild() -> int:
    """Recount the summary from the completed tasks (after a bulk import such as
    ``bench/seed_scale.py``); returns the number of rows."""
    StepStat.objects.all().delete()
    rows = step_stats_rows(HumanTask, Unit, StepStat)
    StepStat.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# ---------------------------------------------------------------------------------------------
# The running monthly summary of filings and decisions (CaseMonthStat)


@dataclass(frozen=True)
class MonthCounts:
    """Cases filed and decided (办结) in one calendar month, of one procedure."""

    month: date
    procedure: str
    filed: int
    decided: int


def month_start(moment: datetime) -> date:
    """The first day of ``moment``'s calendar month in local time (Asia/Shanghai)."""
    return timezone.localtime(moment).date().replace(day=1)


def months_back(last: date, count: int) -> list[date]:
    """``count`` month starts ending with ``last`` (a month start), oldest first."""
    months = []
    year, month = last.year, last.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _case_month_bump(*, case: Case, moment: datetime, field: str) -> None:
    # Same upsert as step_stat_record: one UPDATE, or the month's first row (a concurrent
    # first insert loses on the unique constraint inside its savepoint and updates instead).
    village = case.village
    unit = village.ancestor_at(UnitLevel.TOWNSHIP) or village
    key = {"unit_id": unit.pk, "procedure": case.procedure, "month": month_start(moment)}
    if CaseMonthStat.objects.filter(**key).update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            CaseMonthStat.objects.create(**key, unit_path=unit.path, **{field: 1})
    except IntegrityError:
        CaseMonthStat.objects.filter(**key).update(**{field: F(field) + 1})


def case_month_filed(*, case: Case) -> None:
    """Count a new case in its filing month; called in ``case_start``'s transaction."""
    _case_month_bump(case=case, moment=case.created_at, field="filed")


def case_month_decided(*, case: Case) -> None:
    """Count a case in the month it concluded (办结); called in the transaction that
    finishes it. Voided cases (作废) are not decisions and are not counted."""
    _case_month_bump(case=case, moment=case.completed_at, field="decided")


def monthly_trend(*, county: Unit, months: list[date], viewer=None) -> list[MonthCounts]:
    """Filed and decided cases per month (of ``months``) and procedure within ``county``, read
    from ``CaseMonthStat``; with ``viewer`` only where that user holds one of the procedure's
    own roles (as ``step_durations``). Months without any case are absent."""
    if not county.path:
        raise ValueError(f"{county} has no materialised path")
    stats = CaseMonthStat.objects.filter(unit_path__startswith=county.path,
                                         month__gte=months[0], month__lte=months[-1])
    if viewer is not None:
        stats = stats.filter(_reach_q(viewer))
    rows = (stats.values("month", "procedure")
            .annotate(filed_sum=Sum("filed"), decided_sum=Sum("decided")).order_by())
    return sorted((MonthCounts(month=row["month"], procedure=row["procedure"],
                               filed=row["filed_sum"], decided=row["decided_sum"])
                   for row in rows), key=lambda m: (m.month, m.procedure))


def case_month_stats_rows(case_model, unit_model, stat_model) -> list:
    """Unsaved ``stat_model`` rows counting every case filed and decided so far (models
    passed in so the migration can use its historical ones)."""
    tz = timezone.get_current_timezone()
    counts: dict[tuple, list[int]] = {}
    filed = (case_model.objects.values("village_id", "procedure",
                                       month=TruncMonth("created_at", tzinfo=tz))
             .annotate(count=Count("pk")).order_by())
    decided = (case_model.objects.filter(status="completed", completed_at__isnull=False)
               .values("village_id", "procedure", month=TruncMonth("completed_at", tzinfo=tz))
               .annotate(count=Count("pk")).order_by())
    villages = {}
    for index, rows in enumerate((filed, decided)):
        for row in rows:
            villages[row["village_id"]] = None
            month = row["month"]
            month = (month.date() if isinstance(month, datetime) else month).replace(day=1)
            key = (row["village_id"], row["procedure"], month)
            counts.setdefault(key, [0, 0])[index] += row["count"]
    units = {pk: (parent_id, level) for pk, parent_id, level in unit_model.objects.filter(
        pk__in=villages).values_list("pk", "parent_id", "level")}
    # A case's unit is its village's township (the parent) when it has one.
    parents = {pk: (parent if parent and level == "village" else pk)
               for pk, (parent, level) in units.items()}
    summed: dict[tuple, list[int]] = {}
    for (village_id, procedure, month), (f, d) in counts.items():
        key = (parents[village_id], procedure, month)
        total = summed.setdefault(key, [0, 0])
        total[0] += f
        total[1] += d
    paths = dict(unit_model.objects.filter(pk__in={k[0] for k in summed})
                 .values_list("pk", "path"))
    return [stat_model(unit_id=unit_id, unit_path=paths[unit_id], procedure=procedure,
                       month=month, filed=f, decided=d)
            for (unit_id, procedure, month), (f, d) in summed.items()]


@transaction.atomic
def case_month_stats_rebuild() -> int:
    """Recount the monthly summary from the cases (after a bulk import such as
    ``bench/seed_scale.py``); returns the number of rows."""
    CaseMonthStat.objects.all().delete()
    rows = case_month_stats_rows(Case, Unit, CaseMonthStat)
    CaseMonthStat.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
