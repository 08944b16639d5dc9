"""督办看板: a county supervisor's dashboard of open cases and overdue steps (超时件) per
township and procedure, and the average handling time of each step.

The page renders the figures once (it works without JavaScript); ``dashboard.js`` then polls
the JSON endpoint every ``REFRESH_SECONDS`` and re-renders the tables in place. Both are built
from the one ``dashboard_figures`` dict, so the page and the endpoint cannot disagree. The
counting itself is ``engine.reports`` (grouped queries); this module only labels and lays out.
"""
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from engine.calendar import uncertain_task_counts
from engine.clocks import overdue_clocks
from engine.models import Unit, UnitLevel
from engine.reports import (month_start, monthly_trend, months_back, open_cases_by_township,
                            overdue_tasks_by_township, step_durations)
from workflows.registry import procedure_get, procedure_list

from .selectors import county_supervised_or_403

REFRESH_SECONDS = 30
TREND_MONTHS = 12


def dashboard_county_or_403(user) -> Unit:
    """The county whose dashboard ``user`` may see: the same supervisors who keep the
    county's settings (``supervise_unit`` on the county)."""
    try:
        return county_supervised_or_403(user)
    except PermissionDenied:
        raise PermissionDenied("只有县民政局主管人员可以查看督办看板") from None


def duration_label(value: timedelta) -> str:
    """A handling time for people: "2天3小时", "5小时12分钟", "8分钟", "不足1分钟"."""
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分钟"
    if minutes:
        return f"{minutes}分钟"
    return "不足1分钟"


def _procedure_names() -> dict[str, str]:
    return {p.key: p.name for p in procedure_list()}


def _procedure_name(key: str) -> str:
    # A procedure taken out of the registry still has cases on record: show its key.
    try:
        return procedure_get(key).name
    except LookupError:
        return key


def _procedure_order(keys) -> list[str]:
    """Registered procedures in the registry's order, then any others by key."""
    registered = list(_procedure_names())
    return sorted(keys, key=lambda k: (registered.index(k) if k in registered
                                       else len(registered), k))


def dashboard_figures(*, county: Unit, now: datetime, viewer=None) -> dict:
    """Everything the dashboard shows, JSON-ready: per township (every township of the
    county, idle ones included) its open cases and overdue steps, split by procedure; and the
    average handling time of every step completed in the county; the cases filed and decided
per month over the last year (``trend``). ``viewer``: count only the
    cases that user sees (the pages always pass the reader)."""
    open_cases = open_cases_by_township(county=county, viewer=viewer)
    overdue = overdue_tasks_by_township(county=county, now=now, viewer=viewer)
    townships = []
    # By pk, the order they were set up in: paths compare as text ("/1/10/" < "/1/2/").
    for township in county.children.filter(level=UnitLevel.TOWNSHIP).order_by("pk"):
        keys = {key for township_id, key in (*open_cases, *overdue) if township_id == township.pk}
        procedures = [{
            "key": key,
            "name": _procedure_name(key),
            "open_cases": open_cases.get((township.pk, key), 0),
            "overdue_tasks": overdue.get((township.pk, key), 0),
        } for key in _procedure_order(keys)]
        townships.append({
            "id": township.pk,
            "name": township.name,
            "open_cases": sum(p["open_cases"] for p in procedures),
            "overdue_tasks": sum(p["overdue_tasks"] for p in procedures),
            "procedures": procedures,
        })
    durations = step_durations(county=county, viewer=viewer)
    order = _procedure_order({d.procedure for d in durations})
    # Stable sort: within a procedure the selector's order (slowest step first) stays.
    durations.sort(key=lambda d: order.index(d.procedure))
    steps = [{
        "procedure": d.procedure,
        "procedure_name": _procedure_name(d.procedure),
        "spec_name": d.spec_name,
        "title": d.title,
        "completed": d.completed,
        "average_seconds": round(d.average.total_seconds()),
        "average_label": duration_label(d.average),
    } for d in durations]
    local = timezone.localtime(now)
    # Filed and decided (办结) cases per month over the last TREND_MONTHS months, this one
    # included, from the monthly summary (engine.reports.monthly_trend); idle months are 0.
    months = months_back(month_start(now), TREND_MONTHS)
    per_month = {month: {"filed": 0, "decided": 0} for month in months}
    for counts in monthly_trend(county=county, months=months, viewer=viewer):
        per_month[counts.month]["filed"] += counts.filed
        per_month[counts.month]["decided"] += counts.decided
    trend = [{"month": month.strftime("%Y-%m"), "label": f"{month.year}年{month.month}月",
              **per_month[month]} for month in months]
    # Open steps whose due time crossed a year without holiday data (engine.calendar). Not
    # scoped to the reader: it is the county's own setting the supervisor must complete, a
    # number that names no case, of every procedure the calendar counts deadlines for.
    calendar_warnings = [{"year": year, "tasks": count,
                          "label": f"{year}年节假日未配置：{count}项待办的办理时限暂按周一至周五计算"}
                         for year, count in uncertain_task_counts(county=county).items()]
    return {
        "county": county.name,
        "generated_at": local.isoformat(timespec="seconds"),
        "generated_label": local.strftime("%Y-%m-%d %H:%M:%S"),
        "refresh_seconds": REFRESH_SECONDS,
        "totals": {"open_cases": sum(t["open_cases"] for t in townships),
                   "overdue_tasks": sum(t["overdue_tasks"] for t in townships)},
        "townships": townships,
        "steps": steps,
        "trend": trend,
        "calendar_warnings": calendar_warnings,
    }


@login_required
@require_GET
def dashboard(request):
    """The dashboard page, figures included; dashboard.js keeps them fresh."""
    county = dashboard_county_or_403(request.user)
    now = timezone.now()
    return render(request, "portal/dashboard.html", {
        "county": county, "figures": dashboard_figures(county=county, now=now,
                                                       viewer=request.user),
        # Case deadlines (engine.clocks) passed while the case still runs, e.g. 先行救助.
        "overdue_clocks": overdue_clocks(now, within=county, viewer=request.user).select_related(
            "case", "case__village").order_by("deadline")[:50],
    })


@login_required
@require_GET
@never_cache
def dashboard_data(request):
    """The dashboard's figures as JSON, polled by dashboard.js."""
    county = dashboard_county_or_403(request.user)
    return JsonResponse(dashboard_figures(county=county, now=timezone.now(),
                                          viewer=request.user),
                        json_dumps_params={"ensure_ascii": False})
