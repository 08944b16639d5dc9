"""County pages of the annual inspection: open the year's campaign, draw the spot checks,
see the published conclusions and the abnormal-activity directory."""
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from .models import InspectionCampaign, SpotCheckDraw
from .selectors import abnormal_directory, conclusions_published
from .services import campaign_open, spot_check_draw, staff_county


class CampaignForm(forms.Form):
    year = forms.IntegerField(label="年检年度", min_value=2000, max_value=2100)
    report_deadline = forms.DateField(label="报送截止日期",
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class DrawForm(forms.Form):
    year = forms.IntegerField(label="年检年度", min_value=2000, max_value=2100)
    seed = forms.CharField(label="随机种子（公开摇号号码等）", max_length=100)


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
        if action == "open":
            campaign_form = form
        else:
            draw_form = form
    year = int(request.GET.get("year") or today.year)
    campaigns = InspectionCampaign.objects.filter(county=county).order_by("-year")
    draws = SpotCheckDraw.objects.filter(campaign__county=county).prefetch_related(
        "organisations").select_related("campaign").order_by("-campaign__year")
    return render(request, "annual_inspection/campaign.html", {
        "county": county, "campaigns": campaigns, "draws": draws, "year": year,
        "campaign_form": campaign_form, "draw_form": draw_form,
        "conclusions": conclusions_published(year=year, county=county),
        "abnormal": abnormal_directory(county=county),
    })
