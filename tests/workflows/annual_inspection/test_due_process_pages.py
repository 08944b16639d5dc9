"""The due-process steps through the portal's task page: the organisation answers online,
a heavier or malformed decision comes back with the reason (never a 500), outsiders get
404/403."""
from datetime import timedelta

import pytest
from django.urls import reverse

from engine.models import Document, TaskStatus
from engine.services import timers_fire_due

from .helpers import case_of, open_task, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def noticed(campaign, register, year, clock, county_staff):
    clock.shift(timedelta(days=32))
    timers_fire_due()
    case = case_of(register["chess"], year)
    propose(case, county_staff, penalty="listing")
    return case


def test_organisation_answers_online_and_leader_cannot_increase(
        client, noticed, direct_account, county_leader, outsider, org_account):
    statement = open_task(noticed, "penalty_statement")
    url = reverse("portal:task", args=[statement.pk])
    client.force_login(outsider)
    assert client.get(url).status_code in (403, 404)
    client.force_login(org_account)  # another organisation's account
    assert client.get(url).status_code in (403, 404)
    client.force_login(direct_account)
    page = client.get(url).content.decode()
    assert "陈述、申辩" in page and "放弃陈述、申辩" in page
    assert client.post(url, {"answer": "statement", "statement": "已委托代理记账补报"}
                       ).status_code == 302
    statement.refresh_from_db()
    assert statement.status == TaskStatus.COMPLETED
    decide = open_task(noticed, "penalty_decide")
    url = reverse("portal:task", args=[decide.pk])
    client.force_login(county_leader)
    page = client.get(url).content.decode()
    assert "已委托代理记账补报" in page  # the statement is before the decider
    heavier = client.post(url, {"decision": "warning", "decision_reason": "加重"})
    assert heavier.status_code == 200
    assert "处理决定不得重于事先告知的拟处理意见" in heavier.content.decode()
    for bad in ("revoke", "<script>", ""):
        assert client.post(url, {"decision": bad, "decision_reason": "x"}).status_code == 200
    decide.refresh_from_db()
    assert decide.status == TaskStatus.OPEN
    assert Document.objects.filter(case=noticed).count() == 1  # only the notice
    response = client.post(url, {"decision": "listing", "decision_reason": "逾期未报送"})
    assert response.status_code == 302
    assert Document.objects.filter(case=noticed).order_by("-pk")[0].doc_type == \
        "inspection_listing"


def test_revocation_steps_render_and_refuse_outsiders(client, campaign, register, year, clock,
                                                      county_staff, county_leader,
                                                      village_staff):
    from engine.models import Case

    from .helpers import complete, village_staff_of

    clock.shift(timedelta(days=32))
    timers_fire_due()
    bees = case_of(register["bees"], year)
    propose(bees, county_staff)
    andi = village_staff_of("安地村")
    complete(bees, andi, "penalty_statement", answer="waive", statement="")
    complete(bees, county_leader, "penalty_decide", decision="warning", decision_reason="x")
    revocation = Case.objects.get(procedure="org_revocation")
    complete(revocation, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation="revoke", review_opinion="建议撤销")
    url = reverse("portal:task", args=[open_task(revocation, "revocation_statement").pk])
    client.force_login(village_staff)  # 罗店村: bees is in 安地村
    assert client.get(url).status_code in (403, 404)
    client.force_login(andi)
    page = client.get(url).content.decode()
    assert "申请听证" in page and "放弃陈述、申辩和听证" in page
    assert client.post(url, {"answer": "nonsense"}).status_code == 200
    assert client.post(url, {"answer": "hearing", "statement": ""}).status_code == 302
    url = reverse("portal:task", args=[open_task(revocation, "hearing_schedule").pk])
    client.force_login(county_staff)
    assert "听证主持人" in client.get(url).content.decode()
    response = client.post(url, {"hearing_date": "2020-01-01", "hearing_place": "x",
                                 "presiding_officer": "赵敏"})
    assert response.status_code == 200 and "七日前通知当事人" in response.content.decode()
