"""节假日安排录入: a county supervisor enters the national holidays and 调休 days of a year
the holiday package does not know yet (for their own county), by pasting the State Council's
arrangement as lines ("2027-01-01 休", "2027-02-07 班") or a simple CSV. The product
administrator enters the year for every county in the Django admin. Both go through
``engine.calendar.calendar_year_save``, which also recounts the flagged open tasks."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from engine.calendar import (
    CalendarEntryError,
    calendar_import_parse,
    calendar_year_check,
    calendar_year_save,
    calendar_year_text,
    package_covers,
    uncertain_task_counts,
    years_needing_entry,
)
from engine.models import CalendarYear

from .selectors import county_supervised_or_403


class CalendarYearForm(forms.Form):
    entries = forms.CharField(
        label="节假日安排", max_length=20000, widget=forms.Textarea(attrs={"rows": 14}),
        help_text="每行一个日期（或日期范围）及类型：“休”为放假休息，“班”为调休上班。"
                  "如：2027-01-01 休、2027-02-06 至 2027-02-12 休 春节、2027-02-14 班；"
                  "也可粘贴 CSV（日期,类型,说明）。请以国务院办公厅公布的通知为准。")
    source = forms.CharField(label="依据（通知名称及文号）", max_length=200, required=False)


def _year_rows(county, today) -> list[dict]:
    counts = uncertain_task_counts(county=county)
    visible = CalendarYear.objects.filter(Q(county=county) | Q(county__isnull=True))
    years = sorted(set(years_needing_entry(county=county, today=today))
                   | set(visible.values_list("year", flat=True)))
    entries = {(e.year, e.county_id): e for e in visible.filter(year__in=years)}
    rows = []
    for year in years:
        if package_covers(year):
            continue
        own, national = entries.get((year, county.pk)), entries.get((year, None))
        rows.append({"year": year, "own": own, "national": national,
                     "affected": counts.get(year, 0)})
    return rows


@login_required
def county_calendar(request):
    """The years the package lacks, their state, and the entry form for one of them."""
    county = county_supervised_or_403(request.user)
    today = timezone.localdate()
    rows = _year_rows(county, today)
    asked = request.GET.get("year") or request.POST.get("year") or ""
    try:
        year = int(asked) if asked else 0
        if year or request.method == "POST":  # a save always names its year
            calendar_year_check(year)
    except (ValueError, CalendarEntryError) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, CalendarEntryError)
                       else f"年份“{asked}”不正确")
        return redirect("portal:county_calendar")
    if not year and rows:
        year = next((r["year"] for r in rows if not (r["own"] or r["national"])),
                    rows[0]["year"])
    form = None
    if year:
        existing = CalendarYear.objects.filter(year=year, county=county).first() or \
            CalendarYear.objects.filter(year=year, county__isnull=True).first()
        if request.method == "POST":
            form = CalendarYearForm(request.POST)
            if form.is_valid():
                try:
                    parsed = calendar_import_parse(form.cleaned_data["entries"], year=year)
                    calendar_year_save(year=year, county=county, holidays=parsed.holidays,
                                       workdays=parsed.workdays,
                                       source=form.cleaned_data["source"], actor=request.user)
                except CalendarEntryError as exc:
                    for message in exc.messages:
                        form.add_error("entries", message)
                else:
                    messages.success(request, f"{year}年节假日已保存（休息日{len(parsed.holidays)}天、"
                                              f"调休上班日{len(parsed.workdays)}天），"
                                              f"受影响待办的办理时限已重新计算")
                    return redirect(f"{reverse('portal:county_calendar')}?year={year}")
        else:
            form = CalendarYearForm(initial={"entries": calendar_year_text(existing),
                                             "source": existing.source if existing else ""})
    return render(request, "portal/county_calendar.html", {
        "county": county, "rows": rows, "year": year, "form": form})
