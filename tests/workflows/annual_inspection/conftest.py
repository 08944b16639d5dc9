"""A small county register for the annual-inspection tests: four organisations in 罗店镇 and
安地镇, last year's results imported, this year's campaign opened with its deadline a month
away."""
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.models import Unit
from workflows.annual_inspection.models import InspectionResult, OrgType
from workflows.annual_inspection.services import campaign_open, inspection_result_import

from .helpers import make_org


@pytest.fixture
def org_account(demo):
    return get_user_model().objects.create_user("org_laonian", password="x",  # noqa: S106
                                                first_name="婺城区老年人协会")


@pytest.fixture
def direct_account(demo):
    return get_user_model().objects.create_user("org_chess", password="x",  # noqa: S106
                                                first_name="婺城区围棋协会")


@pytest.fixture
def supervising_unit_user(demo):
    return get_user_model().objects.get(username="wucheng_org_supervisor")


@pytest.fixture
def year():
    return timezone.localdate().year - 1


@pytest.fixture
def register(demo, org_account, direct_account, year):
    """laonian: supervised, has an account, 基本合格 last year; chess: direct registration;
    bees: no account (its steps go to 安地村's village staff), missed last year; baby: new
    this year (exempt)."""
    luodian = Unit.objects.get(name="罗店村")
    andi = Unit.objects.get(name="安地村")
    orgs = {
        "laonian": make_org(1, name="婺城区老年人协会", village=luodian,
                            supervisor="婺城区老龄工作委员会办公室", account=org_account),
        "chess": make_org(2, name="婺城区围棋协会", village=luodian, account=direct_account),
        "bees": make_org(3, name="婺城区养蜂协会", village=andi),
        "baby": make_org(4, name="婺城区青苗托育中心", village=andi,
                         org_type=OrgType.PRIVATE_NON_ENTERPRISE,
                         registered_on=date(year, 9, 1)),
    }
    inspection_result_import(organisation=orgs["laonian"], year=year - 1,
                             result=InspectionResult.BASIC)
    inspection_result_import(organisation=orgs["chess"], year=year - 1,
                             result=InspectionResult.PASS)
    inspection_result_import(organisation=orgs["bees"], year=year - 1,
                             result=InspectionResult.MISSED, listed_on=date(year, 6, 15))
    return orgs


@pytest.fixture
def campaign(register, county_staff, year, clock):
    deadline = timezone.localdate() + timedelta(days=30)
    return campaign_open(year=year, report_deadline=deadline, actor=county_staff)
