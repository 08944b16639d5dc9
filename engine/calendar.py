"""Working-day arithmetic on the national calendar plus a county's own days.

Where a day's status comes from, first match wins:

1. the county's own days in ``Unit.settings``: ``{"holidays": ["2026-05-06"],
   "workdays": ["2026-05-09"]}``;
2. the ``chinese_calendar`` package (national holidays and 调休) for the years it covers;
3. for a year it does not cover yet: the year as an administrator entered it
   (``CalendarYear``: the county's own entry, else the national one);
4. otherwise the year is *unknown*: Monday–Friday is counted so the task still has a due
   time, but the year is returned as uncertain and stored on the task
   (``HumanTask.due_uncertain_years``), which pages show as "2027年节假日未配置" until the
   year is entered; entering it recounts the open tasks (``calendar_year_save``).

The package's data is never overridden by an entry, and no year's dates are made up here.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .errors import ActionRefused


class CalendarEntryError(ActionRefused, ValueError):
    """A calendar import or entry that cannot be saved; ``messages`` lists every problem
    (Chinese, with line numbers) and nothing was saved. An ``ActionRefused`` like every other
    refusal, so the web layer and an API report it the same way."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


@lru_cache(maxsize=64)
def package_covers(year: int) -> bool:
    """Does the installed ``chinese_calendar`` know this year's holidays?"""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass
class WorkingCalendar:
    """One county's working days, with the entered years loaded once per computation.
    ``uncertain`` collects the years counted as plain Monday–Friday."""

    county_settings: dict = field(default_factory=dict)
    county_pk: int | None = None
    uncertain: set[int] = field(default_factory=set)
    _entered: dict = field(default_factory=dict)

    @classmethod
    def for_county(cls, county) -> "WorkingCalendar":
        return cls(county_settings=dict(county.settings) if county else {},
                   county_pk=county.pk if county else None)

    def _entered_year(self, year: int):
        if year not in self._entered:
            from .models import CalendarYear

            rows = {row.county_id: row for row in CalendarYear.objects.filter(
                Q(county__isnull=True) | Q(county_id=self.county_pk), year=year)}
            self._entered[year] = rows.get(self.county_pk) or rows.get(None)
        return self._entered[year]

    def is_working_day(self, day: date) -> bool:
        iso = day.isoformat()
        if iso in self.county_settings.get("holidays", ()):
            return False
        if iso in self.county_settings.get("workdays", ()):
            return True
        if package_covers(day.year):
            return chinese_calendar.is_workday(day)
        entered = self._entered_year(day.year)
        if entered is not None:
            if iso in entered.holidays:
                return False
            if iso in entered.workdays:
                return True
            return day.weekday() < 5
        self.uncertain.add(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end (23:59:59, local time) of the ``days``-th working day after ``start``.
        A task opened on Friday evening with 2 working days is due at the end of Tuesday."""
        day = start.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return start.replace(year=day.year, month=day.month, day=day.day, hour=23, minute=59,
                             second=59, microsecond=0)


def is_working_day(day: date, county_settings: dict | None = None, *, county=None) -> bool:
    calendar = WorkingCalendar.for_county(county) if county is not None else \
        WorkingCalendar(county_settings=county_settings or {})
    return calendar.is_working_day(day)


def add_working_days(start: datetime, days: int, county_settings: dict | None = None, *,
                     county=None) -> datetime:
    """``WorkingCalendar.add_working_days`` for one computation (see the module docstring);
    use ``task_due_fields`` to learn whether the result is certain."""
    calendar = WorkingCalendar.for_county(county) if county is not None else \
        WorkingCalendar(county_settings=county_settings or {})
    return calendar.add_working_days(start, days)


def task_due_fields(properties: dict, county, now: datetime) -> dict:
    """A user task's deadline from the diagram's ``due_hours`` (when set and non-zero) or
    ``due_working_days`` on the county's calendar, as ``HumanTask`` fields: the due time,
    what it was counted from, and the years it crossed that have no holiday data."""
    empty = {"due_at": None, "due_start": None, "due_working_days": None,
             "due_uncertain_years": []}
    hours = properties.get("due_hours")
    if hours not in (None, "") and float(hours) > 0:
        return {**empty, "due_at": now + timedelta(hours=float(hours))}
    days = properties.get("due_working_days")
    if days in (None, ""):
        return empty
    days = int(float(days))
    calendar = WorkingCalendar.for_county(county)
    due = calendar.add_working_days(timezone.localtime(now), days)
    return {"due_at": due, "due_start": now, "due_working_days": days,
            "due_uncertain_years": sorted(calendar.uncertain)}


# ---------------------------------------------------------------------------------------------
# Entering a year: parsing an import, saving, recounting open tasks

HOLIDAY_WORDS = {"休", "假", "休息", "放假", "节假日", "holiday", "off"}
WORKDAY_WORDS = {"班", "上班", "补班", "调休上班", "工作日", "workday", "work"}
_RANGE_SEP = re.compile(r"\s*(?:~|～|至|到|--|—)\s*")
_RANGE = re.compile(r"^([\d-]+)~([\d-]+)$")
_SPLIT = re.compile(r"[,，;；\t]+|\s+")
_MAX_RANGE_DAYS = 31


def _parse_day(text: str) -> date:
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


@dataclass
class ParsedYear:
    holidays: list[str]
    workdays: list[str]


def calendar_import_parse(text: str, *, year: int) -> ParsedYear:
    """Lines like "2027-01-01 休", "2027-02-07 班", "2027-02-06~2027-02-12 休 春节" or CSV
    ("2027-01-01,休,元旦"; a first line naming the columns, e.g. "日期,类型", is skipped).
    Empty lines and lines starting with # are skipped. Raises ``CalendarEntryError`` listing
    every bad line (nothing is half-imported)."""
    errors: list[str] = []
    holidays: set[str] = set()
    workdays: set[str] = set()
    lines = (text or "").splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        if number == 1 and "日期" in line:
            continue  # a CSV header
        # "2027-02-06 至 2027-02-12" → "2027-02-06~2027-02-12", then split the columns.
        tokens = [t for t in _SPLIT.split(_RANGE_SEP.sub("~", line)) if t]
        if len(tokens) < 2:
            errors.append(f"第{number}行“{line}”：应为“日期 休”或“日期 班”，如 2027-01-01 休")
            continue
        when, kind = tokens[0], tokens[1].lower()
        match = _RANGE.match(when)
        try:
            if match:
                first, last = _parse_day(match.group(1)), _parse_day(match.group(2))
                if last < first:
                    errors.append(f"第{number}行：结束日期早于开始日期")
                    continue
                if (last - first).days >= _MAX_RANGE_DAYS:
                    errors.append(f"第{number}行：日期范围超过{_MAX_RANGE_DAYS}天，请检查")
                    continue
                days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            else:
                days = [_parse_day(when)]
        except ValueError:
            errors.append(f"第{number}行：“{when}”不是有效日期，应为 2027-01-01 这样的日期")
            continue
        if kind in HOLIDAY_WORDS:
            target = holidays
        elif kind in WORKDAY_WORDS:
            target = workdays
        else:
            errors.append(f"第{number}行：类型“{tokens[1]}”无法识别，应为“休”（休息日）或"
                          f"“班”（调休上班日）")
            continue
        wrong_year = [d for d in days if d.year != year]
        if wrong_year:
            errors.append(f"第{number}行：{wrong_year[0].isoformat()}不属于{year}年")
            continue
        target.update(d.isoformat() for d in days)
    both = holidays & workdays
    if both:
        errors.append(f"日期不能既是休息日又是上班日：{'、'.join(sorted(both))}")
    if not errors and not holidays:
        errors.append(f"没有读到{year}年的任何休息日，请粘贴国务院公布的节假日安排")
    if errors:
        raise CalendarEntryError(errors)
    return ParsedYear(holidays=sorted(holidays), workdays=sorted(workdays))


def calendar_year_text(entry) -> str:
    """An entered year back as import lines (what the edit page shows)."""
    if entry is None:
        return ""
    lines = [(day, "休") for day in entry.holidays] + [(day, "班") for day in entry.workdays]
    return "\n".join(f"{day} {kind}" for day, kind in sorted(lines))


def years_needing_entry(*, county=None, today: date | None = None) -> list[int]:
    """Years the package lacks that matter now: this year and next (deadlines run into it
    from autumn on), and any year an open task of the county was flagged for."""
    from .models import HumanTask, TaskStatus

    today = today or timezone.localdate()
    years = {y for y in (today.year, today.year + 1) if not package_covers(y)}
    tasks = HumanTask.objects.filter(status=TaskStatus.OPEN).exclude(due_uncertain_years=[])
    if county is not None:
        tasks = tasks.filter(village_path__startswith=county.path)
    for flagged in tasks.values_list("due_uncertain_years", flat=True):
        years.update(flagged)
    return sorted(years)


def calendar_year_check(year: int) -> None:
    """May ``year`` be entered? Not a year the package covers (its data is authoritative)."""
    if not isinstance(year, int) or year < 2000 or year > 2100:
        raise CalendarEntryError([f"年份“{year}”不正确，应为2000至2100年之间"])
    if package_covers(year):
        raise CalendarEntryError([f"{year}年的国家节假日已由系统日历数据提供，无需录入"])


@transaction.atomic
def calendar_year_save(*, year: int, county, holidays: list[str], workdays: list[str],
                       source: str = "", actor):
    """Enter (or replace) one year's national holidays and 调休 days: ``county`` None for
    every county (the product administrator), else for that county only. Refused with
    ``CalendarEntryError`` for a year the package covers (its data is authoritative) or for
    dates outside the year. Audited with the old and new dates; then the open tasks whose
    due time crossed the year are recounted (``tasks_due_recount``)."""
    from .models import AuditAction, AuditEntry, CalendarYear

    calendar_year_check(year)
    errors = []
    for label, days in (("休息日", holidays), ("上班日", workdays)):
        for day in days:
            try:
                parsed = date.fromisoformat(day)
            except (TypeError, ValueError):
                errors.append(f"{label}“{day}”不是有效日期")
                continue
            if parsed.year != year:
                errors.append(f"{label}{day}不属于{year}年")
    if set(holidays) & set(workdays):
        errors.append("日期不能既是休息日又是上班日")
    if errors:
        raise CalendarEntryError(errors)
    entry = CalendarYear.objects.select_for_update().filter(year=year, county=county).first()
    before = None
    if entry is None:
        entry = CalendarYear(year=year, county=county)
    else:
        before = {"holidays": entry.holidays, "workdays": entry.workdays,
                  "source": entry.source}
    entry.holidays = sorted(set(holidays))
    entry.workdays = sorted(set(workdays))
    entry.source = source[:200]
    entry.updated_by = actor
    entry.full_clean()
    entry.save()
    recounted = tasks_due_recount(year=year, county=county)
    where = county.name if county is not None else "全国"
    AuditEntry.objects.create(
        actor=actor, action=AuditAction.SETTINGS,
        summary=f"录入{year}年节假日（{where}）：休息日{len(entry.holidays)}天、"
                f"调休上班日{len(entry.workdays)}天，重新计算{len(recounted)}项待办的办理时限",
        data={"calendar_year": year, "county": county.pk if county is not None else None,
              "before": before, "after": {"holidays": entry.holidays,
                                          "workdays": entry.workdays, "source": entry.source},
              "recounted_tasks": recounted})
    return entry


def tasks_due_recount(*, year: int, county=None) -> list[int]:
    """Recount the due time of every open task flagged for ``year`` (within ``county``, or
    everywhere) from what it was counted from, and clear the flag where the year is now
    known. Each row is updated on its own and only while still open, so a case advancing
    at the same moment is not blocked and a finished task keeps its history."""
    from .models import HumanTask, TaskStatus

    # Flagged rows are few; the year is matched here rather than with a JSON ``contains``
    # lookup, which SQLite (the demo database) does not support.
    tasks = (HumanTask.objects.filter(status=TaskStatus.OPEN, due_start__isnull=False,
                                      due_working_days__isnull=False)
             .exclude(due_uncertain_years=[]).select_related("village"))
    if county is not None:
        tasks = tasks.filter(village_path__startswith=county.path)
    recounted = []
    for task in tasks:
        if year not in task.due_uncertain_years:
            continue
        owner = task.village.county
        calendar = WorkingCalendar.for_county(owner)
        due = calendar.add_working_days(timezone.localtime(task.due_start),
                                        task.due_working_days)
        HumanTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            due_at=due, due_uncertain_years=sorted(calendar.uncertain))
        recounted.append(task.pk)
    return recounted


def uncertain_task_counts(*, county, viewer=None) -> dict[int, int]:
    """{year: open tasks of the county whose due time crossed that unknown year}; with
    ``viewer``, only tasks of cases that user sees."""
    from .models import CaseStatus, HumanTask, TaskStatus

    tasks = HumanTask.objects.filter(status=TaskStatus.OPEN, case__status=CaseStatus.RUNNING,
                                     village_path__startswith=county.path)
    if viewer is not None:
        from .selectors import case_visible_exists

        tasks = tasks.filter(case_visible_exists(viewer))
    counts: dict[int, int] = {}
    for years in (tasks
                  .exclude(due_uncertain_years=[])
                  .values_list("due_uncertain_years", flat=True)):
        for year in years:
            counts[year] = counts.get(year, 0) + 1
    return dict(sorted(counts.items()))
