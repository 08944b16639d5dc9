"""The cemetery application form: each kind's own required fields, the banned-zone self-check,
the operating applicant's credit code and funds, Chinese errors, data kept on failure."""
import pytest
from django.core.exceptions import ValidationError

from engine.models import Unit
from workflows.common.fields import credit_code_check_char, validate_credit_code

from .helpers import (
    CREDIT_CODE,
    application_form,
    operating_data,
    operating_files,
    public_data,
    public_files,
)

pytestmark = pytest.mark.django_db


def test_valid_public_welfare_and_operating_applications(village):
    assert application_form(public_data(village), public_files()).is_valid()
    assert application_form(operating_data(village), operating_files()).is_valid()


def test_public_welfare_needs_resolution_materials_and_confirmations(village):
    data = public_data(village, resolution_date=None, resolution_confirmed=None,
                       villagers_only=None, not_clan_cemetery=None)
    form = application_form(data, {})
    assert not form.is_valid()
    for name in ("resolution_date", "resolution_files", "feasibility_report",
                 "planning_scheme", "management_rules"):
        assert form.errors[name] == ["此项为必填项"], name
    assert "村民会议" in form.errors["resolution_confirmed"][0]
    assert "第九条" in form.errors["villagers_only"][0]
    assert "宗族墓地" in form.errors["not_clan_cemetery"][0]
    # the operating cemetery's fields are not asked of a village committee
    assert "credit_code" not in form.errors and "land_assessment" not in form.errors
    # nothing typed is lost: the bound form shows it again
    assert form["cemetery_name"].value() == "罗店村公益性公墓"
    assert form["area_mu"].value() == "12.5"


def test_public_welfare_is_applied_for_by_a_village_committee(village):
    form = application_form(public_data(village, applicant_name="张建国"), public_files())
    assert not form.is_valid()
    assert "村民委员会" in form.errors["applicant_name"][0]


def test_banned_zone_in_the_self_check_is_refused_at_once(village):
    form = application_form(public_data(village, site_self_check=["farmland", "transport"]),
                            public_files())
    assert not form.is_valid()
    assert form.errors["site_self_check"] == [
        "选址位于耕地、铁路、公路主干线两侧，依据《殡葬管理条例》第十条不得建造墓地，请重新选址"]


def test_quantities_must_be_positive_numbers(village):
    form = application_form(public_data(village, area_mu="0", graves="-3", plot_size_limit="x",
                                        phone="12345"), public_files())
    assert not form.is_valid()
    assert form.errors["area_mu"] == ["必须大于0"]
    assert form.errors["graves"] == ["必须大于0"]
    assert form.errors["plot_size_limit"] == ["请输入数字（平方米），最多两位小数"]
    assert "手机号码" in form.errors["phone"][0]


def test_operating_cemetery_needs_a_legal_person_and_its_assessments(village):
    data = operating_data(village, credit_code=None, legal_representative=None)
    form = application_form(data, {})
    assert not form.is_valid()
    for name in ("credit_code", "legal_representative", "land_assessment",
                 "planning_assessment", "environmental_assessment", "stability_assessment"):
        assert form.errors[name] == ["此项为必填项"], name
    assert "resolution_files" not in form.errors


def test_operating_cemetery_needs_half_of_the_investment_in_hand(village):
    form = application_form(operating_data(village, total_investment="6000",
                                           funds_in_hand="2999"), operating_files())
    assert not form.is_valid()
    assert "50%" in form.errors["funds_in_hand"][0]
    form = application_form(operating_data(village, total_investment="6000",
                                           funds_in_hand="3000"), operating_files())
    assert form.is_valid(), form.errors


def test_credit_code_checksum():
    validate_credit_code(CREDIT_CODE)
    # a published code (深圳市腾讯计算机系统有限公司)
    assert credit_code_check_char("91440300708461136") == "T"
    wrong = CREDIT_CODE[:17] + ("0" if CREDIT_CODE[17] != "0" else "1")
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(wrong)
    assert raised.value.messages == ["统一社会信用代码校验位不正确，请核对后重新输入"]


def test_credit_code_error_is_shown_on_the_form(village):
    form = application_form(operating_data(village, credit_code="91330702MA2H0000IO"),
                            operating_files())
    assert not form.is_valid()
    assert "不含I、O、S、V、Z" in form.errors["credit_code"][0]


def test_villages_are_narrowed_to_the_filers_jurisdiction(village):
    other = Unit.objects.get(name="安地村")
    villages = Unit.objects.filter(pk=village.pk)
    form = application_form(public_data(other), public_files(), villages=villages)
    assert not form.is_valid()
    assert form.errors["village"] == ["请选择辖区内的村（社区）"]
