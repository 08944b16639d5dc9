"""The application form validates every field with Chinese messages and keeps what was
typed when it fails; the assessment checklist follows the county's catalogue."""
import pytest

from workflows.elderly_home.models import AdaptationItem, ItemCategory
from workflows.elderly_home.selectors import age_on

from .helpers import application_data, procedure, task_form

pytestmark = pytest.mark.django_db


def _form(village, /, **overrides):
    return procedure().application_form(data=application_data(village, **overrides))


def test_a_complete_application_is_valid(seeded, village):
    form = _form(village)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["residence_match"] is True
    assert form.cleaned_data["demolition_planned"] is False


@pytest.mark.parametrize(("field", "value", "message"), [
    ("applicant_name", "", "此项为必填项"),
    ("applicant_name", "王", "完整姓名"),
    ("id_number", "330702194403150420", "校验位不正确"),
    ("id_number", "33070219440315", "18位"),
    ("phone", "12345", "11位手机号码"),
    ("village", "", "此项为必填项"),
    ("current_address", "", "此项为必填项"),
    ("assistance_status", "rich", "请从选项中选择"),
    ("disability", "", "此项为必填项"),
    ("residence_match", "maybe", "请从选项中选择"),
    ("home_right", "", "此项为必填项"),
    ("demolition_planned", "", "此项为必填项"),
    ("already_adapted", "", "此项为必填项"),
    ("commitment_signed", None, "必须签署承诺书"),
])
def test_every_field_is_checked_in_chinese(seeded, village, field, value, message):
    form = _form(village, **{field: value})
    assert not form.is_valid()
    assert message in form.errors[field][0], form.errors[field]
    # Nothing is lost: the form comes back with what was typed.
    assert form["current_address"].value() == "罗店村8号" or field == "current_address"
    assert form["needs"].value() == "卫生间如厕起身困难，夜间起夜无照明"


def test_village_staff_file_only_for_their_villages(seeded, village):
    from engine.models import Unit

    other = Unit.objects.get(name="安地村")
    form = procedure().application_form(data=application_data(other),
                                        villages=Unit.objects.filter(pk=village.pk))
    assert not form.is_valid()
    assert "辖区内" in form.errors["village"][0]


def test_age_is_full_years_from_the_id_number():
    from datetime import date

    assert age_on("330702194403150421", date(2026, 3, 14)) == 81
    assert age_on("330702194403150421", date(2026, 3, 15)) == 82


def test_the_checklist_follows_the_catalogue(wang, village, township_staff, county_staff,
                                             county_leader):
    from .helpers import approve_to_assessment, file_application

    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    AdaptationItem.objects.filter(code="smoke_alarm").update(active=False)
    AdaptationItem.objects.create(code="door_widening", name="门洞拓宽", unit="处",
                                  unit_price="800", category=ItemCategory.BASIC, sort_order=5)
    form = task_form(case, "assess")
    assert "qty_smoke_alarm" not in form.fields
    assert "门洞拓宽（处，单价800.00元，基础类）" == form.fields["qty_door_widening"].label
    form = task_form(case, "assess", {"assessment_date": "2026-11-20", "assessor_name": "陈",
                                      "findings": "x", "household_agreed": "on",
                                      "qty_door_widening": "-1"})
    assert not form.is_valid()
    assert "不能为负数" in form.errors["qty_door_widening"][0]
    form = task_form(case, "assess", {"assessment_date": "2026-11-20", "assessor_name": "陈",
                                      "findings": "x", "qty_door_widening": "1"})
    assert not form.is_valid()
    assert "确认" in form.errors["household_agreed"][0]
