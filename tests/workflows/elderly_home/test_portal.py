"""The procedure through the portal's pages: the application page (pre-filled, a failed
submit keeps what was typed), and each step's task page with its form."""
import pytest
from django.test import Client
from django.urls import reverse

from engine.models import Case

from .helpers import application_data, approve_to_assessment, complete, open_task

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_apply_page_prefills_keeps_input_and_files(wang, village):
    client = _client(wang)
    url = reverse("portal:apply", args=["elderly_home_adaptation"])
    page = client.get(url).content.decode()
    assert "居家适老化改造" in page and wang.applicant_profile.id_number in page
    data = application_data(village, commitment_signed=None, current_address="罗店村八号")
    page = client.post(url, data).content.decode()
    assert "必须签署承诺书" in page and "罗店村八号" in page
    response = client.post(url, application_data(village))
    case = Case.objects.get(procedure="elderly_home_adaptation")
    assert response.status_code == 302 and case.applicant == wang
    assert open_task(case, "township_review")


def test_task_pages_show_quota_and_checklist(wang, village, township_staff, county_staff,
                                             county_leader, assessor, outsider):
    from .helpers import file_application

    case = file_application(user=wang, village=village)
    task = open_task(case, "township_review")
    page = _client(township_staff).get(reverse("portal:task", args=[task.pk])).content.decode()
    assert "罗店镇" in page and "剩余50个" in page and "资格规则判定：符合" in page
    assert _client(outsider).get(reverse("portal:task", args=[task.pk])).status_code == 404
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    task = open_task(case, "assess")
    client = _client(assessor)
    page = client.get(reverse("portal:task", args=[task.pk])).content.decode()
    assert "如厕洗浴扶手（个，单价280.00元，基础类）" in page
    response = client.post(reverse("portal:task", args=[task.pk]), {
        "assessment_date": "2026-11-20", "assessor_name": "陈评估", "findings": "卫生间无扶手",
        "household_agreed": "on", "qty_grab_bar": "2"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.data["plan_items"][0]["quantity"] == 2
    page = _client(county_staff).get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "需求评估" in page
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    assert open_task(case, "works")


def test_applicant_withdraws_from_the_case_page(client, wang, village, outsider):
    from django.urls import reverse

    from engine.models import CaseStatus

    from .helpers import file_application

    case = file_application(user=wang, village=village)
    client.force_login(wang)
    page = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "撤回申请" in page
    response = client.post(reverse("portal:case_withdraw", args=[case.pk]), {"reason": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RUNNING  # no reason given: refused with a message
    client.post(reverse("portal:case_withdraw", args=[case.pk]), {"reason": "暂不需要"})
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    client.force_login(outsider)
    assert client.post(reverse("portal:case_withdraw", args=[case.pk]),
                       {"reason": "x"}).status_code == 404
