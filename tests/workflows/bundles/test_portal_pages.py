"""The bundles through the portal's pages: the application comes back filled with Chinese errors
on a failed submit, files on success, and a department opens and completes its task."""
import pytest
from django.test import Client
from django.urls import reverse

from engine.models import Case, TaskStatus

from .helpers import after_death_data, department_task, department_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_apply_keeps_input_on_errors_then_files(applicant, village):
    client = _client(applicant)
    url = reverse("portal:apply", args=["after_death_bundle"])
    page = client.get(url)
    assert page.status_code == 200
    assert "逝者姓名" in page.content.decode()
    bad = after_death_data(village, death_date="2099-01-01")
    response = client.post(url, bad)
    body = response.content.decode()
    assert response.status_code == 200
    assert "死亡日期不能晚于今天" in body
    assert "张老汉" in body and "金华市中心医院" in body  # the form comes back filled
    assert not Case.objects.filter(procedure="after_death_bundle").exists()
    response = client.post(url, after_death_data(village))
    assert response.status_code == 302
    case = Case.objects.get(procedure="after_death_bundle")
    assert case.applicant == applicant and case.data["deceased_name"] == "张老汉"


def test_department_completes_its_task_on_the_task_page(applicant, village):
    client = _client(applicant)
    client.post(reverse("portal:apply", args=["after_death_bundle"]), after_death_data(village))
    case = Case.objects.get(procedure="after_death_bundle")
    task = department_task(case, "卫健")
    health = _client(department_user("卫健"))
    url = reverse("portal:task", args=[task.pk])
    assert health.get(url).status_code == 200
    response = health.post(url, {"department_result": "returned"})
    assert response.status_code == 200
    assert "退回补充时必须一次性列明需补充的全部材料" in response.content.decode()
    response = health.post(url, {"department_result": "done", "reference_number": "死证-1"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    police = _client(department_user("公安"))
    assert police.post(reverse("portal:task", args=[task.pk]),
                       {"department_result": "done"}).status_code in (403, 404)


def test_case_page_shows_item_names_not_codes(client, applicant, village):
    from django.urls import reverse

    from .helpers import after_death_data, file_bundle

    case = file_bundle("after_death_bundle", after_death_data(village), user=applicant)
    client.force_login(applicant)
    page = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "medical_insurance" not in page and "医保" in page
