"""The demo seed: 40 organisations, the current campaign open, org_laonian's report waiting."""
import pytest
from django.contrib.auth import get_user_model

from engine.models import Case
from engine.selectors import task_list_for_user
from workflows.annual_inspection.demo import seed
from workflows.annual_inspection.models import InspectionResult, SocialOrganisation
from workflows.annual_inspection.selectors import spot_check_population
from workflows.annual_inspection.services import spot_check_draw

pytestmark = pytest.mark.django_db


def test_seed_opens_the_current_campaign(demo):
    lines = seed()
    assert "org_laonian" in lines[0]
    assert SocialOrganisation.objects.count() == 40
    assert SocialOrganisation.objects.exclude(supervising_unit="").count() >= 5
    assert len({o.village_id for o in SocialOrganisation.objects.all()}) == 9
    cases = Case.objects.filter(procedure="annual_inspection")
    assert cases.count() == 38  # two registered in the second half of the year are exempt
    account = get_user_model().objects.get(username="org_laonian")
    inbox = list(task_list_for_user(user=account))
    assert [(t.spec_name, t.case.applicant_name) for t in inbox] == [
        ("file_report", "婺城区老年人协会")]
    assert inbox[0].case.data["rectification_required"] is True
    year = inbox[0].case.data["year"]
    county = inbox[0].case.village.county
    assert len(spot_check_population(year=year, county=county)) == 38
    county_staff = get_user_model().objects.get(username="wucheng_county_staff")
    assert spot_check_draw(year=year, actor=county_staff).organisations.count() == 2  # 3% of 38
    assert SocialOrganisation.objects.get(name="婺城区围棋协会").inspections.get(
        year=year - 1).result == InspectionResult.MISSED
    seed()  # idempotent
    assert Case.objects.filter(procedure="annual_inspection").count() == 38
