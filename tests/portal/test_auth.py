"""Login, logout, the home redirect and the header."""
import pytest
from django.urls import reverse

from workflows.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "登录" in content and "用户名 / 手机号码" in content and "申请人注册" in content


def test_wrong_password_gives_a_chinese_error(client, township_staff):
    response = client.post(reverse("portal:login"),
                           {"username": township_staff.username, "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_staff_login_lands_in_the_inbox(client, township_staff):
    response = client.post(reverse("portal:login"),
                           {"username": township_staff.username, "password": DEMO_PASSWORD},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:inbox")
    content = response.content.decode()
    # the header: name, role and unit, logout button
    assert "罗店镇经办人" in content
    assert "乡镇经办人（罗店镇）" in content
    assert "退出登录" in content


def test_applicant_login_lands_in_my_applications(client, applicant):
    response = client.post(reverse("portal:login"),
                           {"username": applicant.username, "password": DEMO_PASSWORD},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:my")
    content = response.content.decode()
    assert "张建国" in content and "申请人" in content


def test_pages_need_login(client, demo):
    for name in ("portal:home", "portal:inbox", "portal:cases", "portal:my",
                 "portal:procedures"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login")), name


def test_logout_is_a_post(client_for, applicant):
    client = client_for(applicant)
    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert client.get(reverse("portal:my")).status_code == 302  # logged out
