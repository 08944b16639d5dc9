"""County pages of the annual inspection: open the year's campaign, draw the spot checks,
see the published conclusions and the abnormal-activity directory."""
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from engine.models import RoleAssignment, UnitLevel
from engine.services import ActionRefused

from .models import InspectionCampaign, SpotCheckDraw
from .selectors import (
    abnormal_directory,
    conclusions_published,
    spot_check_published,
    supervising_units_of,
)
from .services import campaign_open, spot_check_draw, staff_county


class CampaignForm(forms.Form):
    year = forms.IntegerField(label="年检年度", min_value=2000, max_value=2100)
    report_deadline = forms.DateField(label="报送截止日期",
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class DrawForm(forms.Form):
    """The seed is not asked for: it was fixed (and its hash published) when the campaign
    opened."""

    year = forms.IntegerField(label="年检年度", min_value=2000, max_value=2100)


def _year_shown(query, default: int) -> int:
    """The ``?year=`` of the list: a bad value shows the default year rather than a 500."""
    form = DrawForm(query)
    return form.cleaned_data["year"] if form.is_valid() else default


def _county_or_403(user):
    try:
        return staff_county(user, None)
    except (ValidationError, PermissionDenied) as exc:
        raise PermissionDenied("只有县民政局工作人员可以管理社会组织年检") from exc


@login_required
def campaign(request):
    county = _county_or_403(request.user)
    today = timezone.localdate()
    campaign_form = CampaignForm(initial={"year": today.year,
                                          "report_deadline": date(today.year + 1, 5, 31)})
    draw_form = DrawForm(initial={"year": today.year})
    if request.method == "POST":
        action = request.POST.get("action")
        form = CampaignForm(request.POST) if action == "open" else DrawForm(request.POST)
        if form.is_valid():
            try:
                if action == "open":
                    opened = campaign_open(actor=request.user, county=county, **form.cleaned_data)
                    messages.success(request, f"{opened.year}年度年检已开启")
                else:
                    drawn = spot_check_draw(actor=request.user, county=county,
                                            **form.cleaned_data)
                    messages.success(request, f"已抽取{drawn.organisations.count()}家社会组织")
                return redirect("annual_inspection:campaign")
            except ValidationError as exc:
                form.add_error(None, "；".join(exc.messages))
            except ActionRefused as exc:
                form.add_error(None, str(exc))
        if action == "open":
            campaign_form = form
        else:
            draw_form = form
    year = _year_shown(request.GET, today.year)
    campaigns = InspectionCampaign.objects.filter(county=county).order_by("-year")
    draws = SpotCheckDraw.objects.filter(campaign__county=county).prefetch_related(
        "organisations").select_related("campaign").order_by("-campaign__year")
    return render(request, "annual_inspection/campaign.html", {
        "county": county, "campaigns": campaigns, "draws": draws, "year": year,
        "campaign_form": campaign_form, "draw_form": draw_form,
        "conclusions": conclusions_published(year=year, county=county),
        "abnormal": abnormal_directory(county=county),
    })


@login_required
def spot_checks(request):
    """双随机、一公开: the published method and results. County civil-affairs staff see every
    drawn organisation; a supervising unit (org_supervisor) sees the organisations it
    supervises; anyone else is refused."""
    assignment = (RoleAssignment.objects
                  .filter(user=request.user, unit__level=UnitLevel.COUNTY,
                          role_id__in=("county_staff", "county_leader", "org_supervisor"))
                  .select_related("unit").order_by("role_id").first())
    if assignment is None:
        raise PermissionDenied("只有县民政局和业务主管单位可以查看抽查结果")
    is_county = RoleAssignment.objects.filter(
        user=request.user, unit=assignment.unit,
        role_id__in=("county_staff", "county_leader")).exists()
    units = None if is_county else supervising_units_of(request.user)
    return render(request, "annual_inspection/spot_checks.html", {
        "county": assignment.unit, "is_county": is_county, "supervising_units": units or [],
        "years": spot_check_published(county=assignment.unit, supervising_units=units),
    })
