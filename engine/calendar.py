"""Working-day arithmetic on the national calendar plus a county's own days.

The national holidays and make-up working days (调休) come from ``chinese_calendar``. A county
adds its own in ``Unit.settings``: ``{"holidays": ["2026-05-06"], "workdays": ["2026-05-09"]}``.
"""
from datetime import date, datetime, timedelta

import chinese_calendar


def is_working_day(day: date, county_settings: dict | None = None) -> bool:
    county_settings = county_settings or {}
    iso = day.isoformat()
    if iso in county_settings.get("holidays", ()):
        return False
    if iso in county_settings.get("workdays", ()):
        return True
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the package does not cover yet: fall back to Monday-Friday.
        return day.weekday() < 5


def add_working_days(start: datetime, days: int, county_settings: dict | None = None) -> datetime:
    """The moment ``days`` working days after ``start``: end of that working day (local time).

    A task opened on Friday evening with 2 working days is due at the end of Tuesday.
    """
    day = start.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, county_settings):
            remaining -= 1
    return start.replace(year=day.year, month=day.month, day=day.day, hour=23, minute=59,
                         second=59, microsecond=0)
