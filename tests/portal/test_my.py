"""我的申请: the applicant's cases, documents and steps waiting for them."""
import pytest
from django.urls import reverse

from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

pytestmark = pytest.mark.django_db

MY = reverse("portal:my")


def test_my_applications_lists_own_cases_with_status_and_step(client_for, applicant, case):
    response = client_for(applicant).get(MY)
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [case.pk]
    content = response.content.decode()
    for text in ("临时救助申请", "办理中", "受理审查", reverse("portal:case", args=[case.pk])):
        assert text in content, text
    assert "需要您处理" not in content


def test_other_applicants_cases_are_not_listed(client_for, other_applicant, case):
    response = client_for(other_applicant).get(MY)
    assert list(response.context["cases"]) == []
    assert "您还没有提交过申请" in response.content.decode()


def test_cases_filed_on_behalf_are_not_the_staffs_own(client_for, village_staff, village):
    file_application(user=village_staff, village=village, on_behalf=True)
    assert list(client_for(village_staff).get(MY).context["cases"]) == []


def test_applicant_tasks_need_attention(client_for, applicant, township_staff, case):
    complete(case, township_staff, "accept", acceptance="return", missing_items="诊断证明")
    supplement = open_task(case, "supplement")
    response = client_for(applicant).get(MY)
    content = response.content.decode()
    assert "需要您处理" in content
    assert reverse("portal:task", args=[supplement.pk]) in content
    assert "补正材料" in content


def test_outsider_sees_nothing_of_luodian_on_my_page(client_for, outsider, case):
    response = client_for(outsider).get(MY)
    assert list(response.context["cases"]) == [] and list(response.context["tasks"]) == []


def test_completed_case_shows_as_finished(client_for, applicant, township_staff, case):
    complete(case, township_staff, "accept", acceptance="reject", refusal_reason="户籍不在本地")
    case.refresh_from_db()
    assert case.status == "completed"
    content = client_for(applicant).get(MY).content.decode()
    assert "已办结" in content
    # the refusal notice is listed; it has no download link until its PDF is rendered
    assert "不予临时救助告知书（生成中）" in content
    assert "/documents/" not in content
