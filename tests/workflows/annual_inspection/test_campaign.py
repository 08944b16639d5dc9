"""campaign_open's checks, history import and the abnormal-activity directory's removal."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from engine.models import Case, Unit
from workflows.annual_inspection.models import AbnormalListing, InspectionResult, OrgStatus
from workflows.annual_inspection.selectors import abnormal_directory
from workflows.annual_inspection.services import (
    abnormal_listing_remove,
    campaign_open,
    inspection_result_import,
)

from .helpers import make_org

pytestmark = pytest.mark.django_db


def test_only_county_staff_open_a_campaign(register, year, township_staff, applicant):
    deadline = timezone.localdate() + timedelta(days=30)
    for user in (township_staff, applicant):
        with pytest.raises(PermissionDenied, match="县民政局工作人员"):
            campaign_open(year=year, report_deadline=deadline, actor=user)
    assert not Case.objects.exists()


def test_campaign_checks_deadline_and_duplicates(register, year, county_staff):
    with pytest.raises(ValidationError, match="报送截止日期应晚于今天"):
        campaign_open(year=year, report_deadline=timezone.localdate(), actor=county_staff)
    campaign_open(year=year, report_deadline=timezone.localdate() + timedelta(days=30),
                  actor=county_staff)
    with pytest.raises(ValidationError, match="已经开启"):
        campaign_open(year=year, report_deadline=timezone.localdate() + timedelta(days=30),
                      actor=county_staff)


def test_revoked_and_later_registered_organisations_get_no_case(register, year, county_staff):
    register["chess"].status = OrgStatus.REVOKED
    register["chess"].save(update_fields=["status"])
    make_org(5, name="婺城区明年协会", village=Unit.objects.get(name="蒋堂村"),
             registered_on=date(year + 1, 1, 5))
    campaign_open(year=year, report_deadline=timezone.localdate() + timedelta(days=30),
                  actor=county_staff)
    assert sorted(Case.objects.values_list("applicant_name", flat=True)) == [
        "婺城区养蜂协会", "婺城区老年人协会"]


def test_import_of_a_missed_year_needs_its_listing_date(register, year):
    with pytest.raises(ValidationError, match="列入活动异常名录的日期"):
        inspection_result_import(organisation=register["chess"], year=year - 2,
                                 result=InspectionResult.MISSED)


def test_removal_from_the_abnormal_directory(register, year, county_staff, township_staff):
    listing = AbnormalListing.objects.get(organisation=register["bees"])
    assert listing.year_missed == year - 1 and listing.listed_on == date(year, 6, 15)
    with pytest.raises(PermissionDenied):
        abnormal_listing_remove(listing=listing, reason="已补报", actor=township_staff)
    with pytest.raises(ValidationError, match="移出事由"):
        abnormal_listing_remove(listing=listing, reason=" ", actor=county_staff)
    abnormal_listing_remove(listing=listing, reason="已补报年检报告书", actor=county_staff)
    listing.refresh_from_db()
    assert listing.removed_on == timezone.localdate()
    assert listing not in abnormal_directory()
    with pytest.raises(ValidationError, match="已移出"):
        abnormal_listing_remove(listing=listing, reason="再次", actor=county_staff)
