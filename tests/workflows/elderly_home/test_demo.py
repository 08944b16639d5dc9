"""The demo seed: quotas 50 / 40 / 30, the catalogue, an eligible elderly applicant."""
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.models import Quota
from workflows.common.fields import validate_id_number
from workflows.elderly_home.demo import seed
from workflows.elderly_home.models import AdaptationItem, ItemCategory
from workflows.elderly_home.selectors import age_on

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_keeps_county_edits(demo):
    seed()
    AdaptationItem.objects.filter(code="grab_bar").update(unit_price="300")
    Quota.objects.filter(unit__name="蒋堂镇").update(capacity=35)
    lines = seed()
    assert any("王秀英" in line for line in lines)
    year = timezone.localdate().year
    capacities = dict(Quota.objects.filter(key="elderly_home_adaptation", year=year)
                      .values_list("unit__name", "capacity"))
    assert capacities == {"罗店镇": 50, "安地镇": 40, "蒋堂镇": 35}
    assert AdaptationItem.objects.get(code="grab_bar").unit_price == 300
    assert AdaptationItem.objects.filter(category=ItemCategory.BASIC).count() >= 6
    assert AdaptationItem.objects.filter(category=ItemCategory.OPTIONAL).exists()
    wang = get_user_model().objects.get(username="applicant_wang")
    validate_id_number(wang.applicant_profile.id_number)
    assert age_on(wang.applicant_profile.id_number, timezone.localdate()) >= 81
    assert wang.check_password("minzheng2026")
