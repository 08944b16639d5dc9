"""The staff case list and the case page."""
import pytest
from django.urls import reverse

from engine.models import Unit
from tests.workflows.temporary_relief.helpers import VALID_ID, complete, file_application

pytestmark = pytest.mark.django_db

CASES = reverse("portal:cases")


def _case_url(case):
    return reverse("portal:case", args=[case.pk])


def test_case_list_shows_status_and_current_step(client_for, township_staff, case):
    response = client_for(township_staff).get(CASES)
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"]] == [case.pk]
    content = response.content.decode()
    for text in ("张建国", "罗店村", "办理中", "受理审查", _case_url(case)):
        assert text in content, text


def test_case_list_is_scoped_to_the_jurisdiction(client_for, outsider, county_staff,
                                                 applicant, case):
    andi = file_application(user=applicant, village=Unit.objects.get(name="安地村"),
                            applicant_name="李安地")
    assert [c.pk for c in client_for(outsider).get(CASES).context["page"]] == [andi.pk]
    county_cases = {c.pk for c in client_for(county_staff).get(CASES).context["page"]}
    assert county_cases == {case.pk, andi.pk}


def test_applicants_may_not_open_the_case_list(client_for, applicant, case):
    assert client_for(applicant).get(CASES).status_code == 403


def test_case_page_for_staff(client_for, township_staff, village_staff, case):
    complete(case, township_staff, "accept", acceptance="accept")
    response = client_for(township_staff).get(_case_url(case))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("张建国", "罗店镇 罗店村", "办理记录", "受理审查", "入户调查",
                 "当前环节", "文书"):
        assert text in content, text
    # Not deciding: the diagnosis and the account stay masked (see test_visibility.py).
    assert "户主突发脑梗住院" not in content and "（仅审批人员可见）" in content
    # township staff cannot act on the open 入户调查 (village staff's): the ID stays masked
    assert VALID_ID not in content and "330***********1232" in content
    # village staff can act on it and see the full number
    assert VALID_ID in client_for(village_staff).get(_case_url(case)).content.decode()


def test_case_page_for_its_applicant(client_for, applicant, case):
    response = client_for(applicant).get(_case_url(case))
    assert response.status_code == 200
    content = response.content.decode()
    assert "临时救助申请" in content and VALID_ID in content
    assert "同一事由原则上一年一次" not in content


def test_applicant_sees_the_steps_but_not_staff_working_papers(client_for, applicant,
                                                               township_staff,
                                                               village_staff, case):
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="家中另有营运车辆一辆",
             proposed_amount="2000", village_opinion="同意")
    content = client_for(applicant).get(_case_url(case)).content.decode()
    assert "办理“入户调查”" in content and "罗店村协理员" in content
    assert "家中另有营运车辆一辆" not in content
    staff_view = client_for(township_staff).get(_case_url(case)).content.decode()
    assert "家中另有营运车辆一辆" in staff_view


def test_outsider_gets_404(client_for, outsider, case):
    assert client_for(outsider).get(_case_url(case)).status_code == 404


def test_other_village_staff_get_404(client_for, other_village_staff, case):
    assert client_for(other_village_staff).get(_case_url(case)).status_code == 404


def test_another_applicant_gets_404(client_for, other_applicant, case):
    assert client_for(other_applicant).get(_case_url(case)).status_code == 404
