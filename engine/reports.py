"""Aggregate reads for supervisors: how much work is open, how much of it is late, and how
long each step takes, within one unit's jurisdiction (a county's dashboard).

Every figure is one grouped query in the database (``COUNT`` / ``AVG`` with ``GROUP BY``),
never a Python loop over rows, so the dashboard costs the same with ten cases or a hundred
thousand. Nothing here knows a procedure: rows are keyed by the procedure key and the BPMN
step, and the caller labels them. Jurisdiction is the same materialised-path prefix test as
``engine.selectors`` (``village_path`` is indexed on both cases and tasks); with ``viewer``
only the cases that user sees are counted (``engine.selectors.case_visible_q``), so a
dashboard never counts what its reader may not see.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, QuerySet

from .models import Case, CaseStatus, HumanTask, TaskStatus, Unit

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


def _within(queryset: QuerySet, unit: Unit, viewer=None) -> QuerySet:
    # An unsaved unit (or one before ``unit_create`` gave it its path) has path "", which
    # every path starts with: refuse rather than report the whole country.
    if not unit.path:
        raise ValueError(f"{unit} has no materialised path")
    queryset = queryset.filter(village_path__startswith=unit.path)
    if viewer is not None:
        from .selectors import case_visible_exists, case_visible_q

        if queryset.model is Case:
            queryset = queryset.filter(case_visible_q(viewer))
        else:
            queryset = queryset.filter(case_visible_exists(viewer))
    return queryset


def _by_township_and_procedure(queryset: QuerySet, name: str) -> dict[TownshipProcedure, int]:
    # values() + annotate() is one GROUP BY query; the models' Meta.ordering is left out of
    # aggregation queries by Django, so it does not split the groups.
    rows = queryset.values("village__parent_id", "procedure").annotate(**{name: Count("pk")})
    return {(row["village__parent_id"], row["procedure"]): row[name] for row in rows}


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


def step_durations(*, county: Unit, viewer=None) -> list[StepDuration]:
    """Average handling time of each step (created → completed) over the completed tasks
    within ``county``, per procedure and step; slowest first within a procedure. Cancelled
    tasks (ended unhandled: by a boundary timer, a return for supplements, a withdrawal or
    a voided case) are left out."""
    handling = ExpressionWrapper(F("completed_at") - F("created_at"),
                                 output_field=DurationField())
    tasks = _within(HumanTask.objects.filter(status=TaskStatus.COMPLETED,
                                             completed_at__isnull=False), county, viewer)
    rows = (tasks.values("procedure", "spec_name", "title")
            .annotate(completed=Count("pk"), average=Avg(handling))
            .order_by("procedure", "-average", "spec_name", "title"))
    return [StepDuration(procedure=row["procedure"], spec_name=row["spec_name"],
                         title=row["title"], completed=row["completed"],
                         average=row["average"]) for row in rows]
