"""The cemetery forms through the portal's pages: the application is filed by village staff
for their committee, a failed submit comes back filled, and a department's task page shows
the department form to that department only."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from engine.models import Case, TaskStatus

from .helpers import complete, pdf, public_data

pytestmark = pytest.mark.django_db


def _login(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_village_staff_file_through_the_portal(client, village, township_staff,
                                               township_leader):
    _login(client, "luodian_v1_staff")
    url = reverse("portal:apply", args=["cemetery_approval"])
    page = client.get(url)
    assert page.status_code == 200
    assert "公墓类型" in page.content.decode() and "铁路、公路主干线两侧" in page.content.decode()

    # a failed submit: errors in Chinese, everything typed is still there
    data = public_data(village)
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "此项为必填项" in html
    assert "村北后山" in html and "罗店村公益性公墓" in html
    assert not Case.objects.filter(procedure="cemetery_approval").exists()

    files = {"resolution_files": pdf("决议.pdf"), "feasibility_report": pdf("可研.pdf"),
             "planning_scheme": pdf("规划.pdf"), "management_rules": pdf("制度.pdf")}
    response = client.post(url, {**data, **files})
    case = Case.objects.get(procedure="cemetery_approval")
    assert response.status_code == 302
    assert case.applicant is None and case.attachments.count() == 4

    complete(case, township_staff, "township_review", township_review_result="forward",
             township_review_opinion="符合")
    complete(case, township_leader, "township_decide", township_decision="agree",
             township_opinion="同意")
    forestry_task = case.tasks.get(status=TaskStatus.OPEN, lane="department:林业")
    task_url = reverse("portal:task", args=[forestry_task.pk])
    page = _login(client, "wucheng_dept_forestry").get(task_url)
    assert page.status_code == 200
    assert 'name="dept_agree"' in page.content.decode()
    response = client.post(task_url, {"dept_agree": "disagree", "dept_opinion": "占用公益林"})
    assert response.status_code == 302
    forestry_task.refresh_from_db()
    assert forestry_task.status == TaskStatus.COMPLETED
    # another department may look at the case's task but not act on it
    land_task = case.tasks.get(status=TaskStatus.OPEN, lane="department:自然资源")
    response = _login(client, "wucheng_dept_forestry").post(
        reverse("portal:task", args=[land_task.pk]), {"dept_agree": "agree",
                                                      "dept_opinion": "同意"})
    assert response.status_code in (403, 404)
    land_task.refresh_from_db()
    assert land_task.status == TaskStatus.OPEN
