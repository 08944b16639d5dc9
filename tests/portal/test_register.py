"""Applicant registration (注册)."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import ApplicantProfile
from tests.workflows.temporary_relief.helpers import id_with_checksum

pytestmark = pytest.mark.django_db

GOOD_ID = id_with_checksum("33070219900101123")


def _data(**overrides):
    data = {"full_name": "王小梅", "id_number": GOOD_ID, "phone": "13900000002",
            "password1": "anquan2026", "password2": "anquan2026"}
    data.update(overrides)
    return data


def test_registration_creates_the_account_and_logs_in(client, demo):
    response = client.post(reverse("portal:register"), _data(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:my")
    assert "注册成功" in response.content.decode()
    user = get_user_model().objects.get(username="13900000002")
    assert user.get_full_name() == "王小梅"
    assert user.check_password("anquan2026")
    assert ApplicantProfile.objects.get(user=user).id_number == GOOD_ID
    assert response.context["user"] == user


def test_bad_checksum_gives_the_chinese_error_and_keeps_the_other_fields(client, demo):
    wrong = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
    response = client.post(reverse("portal:register"), _data(id_number=wrong))
    assert response.status_code == 200
    content = response.content.decode()
    assert "身份证号码校验位不正确，请核对后重新输入" in content
    assert 'value="王小梅"' in content
    assert 'value="13900000002"' in content
    assert f'value="{wrong}"' in content
    assert not get_user_model().objects.filter(username="13900000002").exists()


def test_phone_already_registered(client, demo):
    get_user_model().objects.create_user("13900000002")
    response = client.post(reverse("portal:register"), _data())
    assert response.status_code == 200
    assert "该手机号码已注册，请直接登录" in response.content.decode()
    assert not ApplicantProfile.objects.exists()


def test_id_number_already_registered(client, demo):
    client.post(reverse("portal:register"), _data())
    other = client.__class__()
    response = other.post(reverse("portal:register"), _data(phone="13900000003"))
    assert response.status_code == 200
    assert "该身份证号码已注册账号" in response.content.decode()


def test_passwords_must_match(client, demo):
    response = client.post(reverse("portal:register"), _data(password2="anquan2027"))
    assert "两次输入的密码不一致" in response.content.decode()
    assert not get_user_model().objects.filter(username="13900000002").exists()


def test_invalid_phone_and_missing_name(client, demo):
    response = client.post(reverse("portal:register"), _data(phone="12345", full_name=""))
    content = response.content.decode()
    assert "请输入11位手机号码或带区号的固定电话" in content
    assert "此项为必填项" in content


def test_logged_in_users_are_sent_home(client_for, applicant):
    response = client_for(applicant).get(reverse("portal:register"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
