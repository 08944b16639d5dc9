"""The county's campaign page: open a campaign, draw spot checks, see conclusions."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engine.models import AuditAction, AuditEntry
from workflows.annual_inspection.models import InspectionCampaign, SpotCheckDraw

pytestmark = pytest.mark.django_db
URL = reverse("annual_inspection:campaign")


def test_county_staff_open_a_campaign_and_draw(client, register, county_staff, year):
    client.force_login(county_staff)
    assert "社会组织年检" in client.get(reverse("portal:inbox")).content.decode()
    deadline = timezone.localdate() + timedelta(days=40)
    response = client.post(URL, {"action": "open", "year": year,
                                 "report_deadline": deadline.isoformat()})
    assert response.status_code == 302
    assert InspectionCampaign.objects.filter(year=year).exists()
    again = client.post(URL, {"action": "open", "year": year,
                              "report_deadline": deadline.isoformat()})
    assert "已经开启" in again.content.decode()  # the form comes back with the reason
    assert InspectionCampaign.objects.get(year=year).spot_check_seed_sha256 in \
        client.get(URL).content.decode()  # published before any filing
    client.post(URL, {"action": "draw", "year": year, "seed": "20261125"})  # seed ignored
    draw = SpotCheckDraw.objects.get(campaign__year=year)
    assert draw.seed == InspectionCampaign.objects.get(year=year).spot_check_seed
    assert draw.organisations.count() >= 1
    assert AuditEntry.objects.filter(action=AuditAction.DRAW).exists()
    page = client.get(URL).content.decode()
    assert draw.organisations.first().name in page


@pytest.mark.parametrize("persona", ["township_staff", "applicant", "outsider", "village_staff"])
def test_others_may_not_manage_the_campaign(client, request, persona, register, year):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "open", "year": year,
                             "report_deadline": "2030-05-31"}).status_code == 403
    assert not InspectionCampaign.objects.exists()


@pytest.mark.parametrize("year_param", ["abc", "99999999999999999999", "-1", "2026.5"])
def test_a_bad_year_in_the_address_shows_this_year_not_a_500(client, county_staff, year_param):
    client.force_login(county_staff)
    response = client.get(URL, {"year": year_param})
    assert response.status_code == 200
    assert response.context["year"] == timezone.localdate().year
