"""Two consecutive missed years → a revocation case (撤销登记), both outcomes."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from engine.models import Case, CaseStatus, Document
from engine.selectors import task_list_for_user
from engine.services import timers_fire_due
from workflows.annual_inspection.models import OrgStatus

from .helpers import complete, open_specs, open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def revocation_case(campaign, register, clock):
    clock.shift(timedelta(days=32))
    timers_fire_due()
    cases = Case.objects.filter(procedure="org_revocation")
    assert list(cases.values_list("applicant_name", flat=True)) == ["婺城区养蜂协会"]
    return cases.get()


def test_second_missed_year_opens_a_revocation_case(revocation_case, year, county_staff,
                                                    outsider, village_staff):
    assert revocation_case.data["years_missed"] == [year - 1, year]
    assert revocation_case.village.name == "安地村"
    task = open_task(revocation_case, "revocation_review")
    assert task in task_list_for_user(user=county_staff)
    outsider_village = get_user_model().objects.get(username="andi_v1_staff")
    for other in (outsider, village_staff, outsider_village):
        assert task not in task_list_for_user(user=other)
    inspection = Case.objects.get(pk=revocation_case.data["inspection_case"])
    warning = Document.objects.get(case=inspection)
    assert warning.doc_type == "inspection_warning"


def test_county_revokes_the_registration(revocation_case, register, county_staff,
                                         county_leader):
    complete(revocation_case, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation="revoke", review_opinion="建议撤销")
    task = open_task(revocation_case, "revocation_decide")
    assert task not in task_list_for_user(user=county_staff)
    complete(revocation_case, county_leader, "revocation_decide", decision="revoke",
             decision_reason="经警告并列入活动异常名录后仍未参加年检")
    assert revocation_case.status == CaseStatus.COMPLETED
    document = Document.objects.get(case=revocation_case)
    assert document.doc_type == "org_revocation_decision"
    assert document.number.startswith("婺民社撤〔")
    register["bees"].refresh_from_db()
    assert register["bees"].status == OrgStatus.REVOKED
    assert register["bees"].revoked_on is not None


def test_county_decides_not_to_revoke(revocation_case, register, county_staff, county_leader):
    complete(revocation_case, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation="keep", review_opinion="已补报，建议不予撤销")
    complete(revocation_case, county_leader, "revocation_decide", decision="not_revoke",
             decision_reason="该组织已补报年检材料并说明情况")
    assert open_specs(revocation_case) == set()
    assert revocation_case.status == CaseStatus.COMPLETED
    assert Document.objects.get(case=revocation_case).doc_type == "org_revocation_not_revoked"
    register["bees"].refresh_from_db()
    assert register["bees"].status == OrgStatus.ACTIVE


def test_decision_form_requires_reasons(revocation_case):
    from .helpers import form_for

    form = form_for(revocation_case, "revocation_decide", {"decision": "revoke"})
    assert form.errors["decision_reason"] == ["此项为必填项"]
