"""督办看板: the county supervisor's page and its JSON endpoint."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from guardian.shortcuts import assign_perm

from engine.models import UnitLevel
from engine.services import role_assign, unit_create
from portal.dashboard import duration_label
from tests.workflows.temporary_relief.helpers import complete, file_application
from workflows import registry

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:dashboard")
DATA = reverse("portal:dashboard_data")


@pytest.fixture
def cases(applicant, village, township_staff, clock):
    """In 罗店镇: an urgent case whose 12-hour check ran late, and an ordinary case accepted
    after 3 hours (so 受理审查 has a handling time)."""
    urgent = file_application(user=applicant, village=village, urgent="on",
                              requested_amount="1000")
    ordinary = file_application(user=applicant, village=village)
    clock.shift(timedelta(hours=3))
    complete(ordinary, township_staff, "accept", acceptance="accept")
    clock.shift(timedelta(hours=10))
    return {"urgent": urgent, "ordinary": ordinary}


@pytest.fixture
def other_county(applicant):
    """金东区 with its own supervisor and a case of its own."""
    county = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    township = unit_create(name="多湖街道", level=UnitLevel.TOWNSHIP, parent=county)
    village = unit_create(name="东关村", level=UnitLevel.VILLAGE, parent=township)
    supervisor = get_user_model().objects.create_user("jindong_supervisor")
    role_assign(user=supervisor, role="county_leader", unit=county)
    assign_perm("engine.supervise_unit", supervisor, county)
    case = file_application(user=applicant, village=village, applicant_name="王五")
    return {"county": county, "township": township, "supervisor": supervisor, "case": case}


def test_json_has_counts_per_township_and_procedure(client_for, supervisor, cases):
    response = client_for(supervisor).get(DATA)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    figures = response.json()
    assert figures["county"] == "婺城区"
    assert figures["refresh_seconds"] == 30
    assert figures["totals"] == {"open_cases": 2, "overdue_tasks": 1}
    townships = {t["name"]: t for t in figures["townships"]}
    assert list(townships) == ["罗店镇", "安地镇", "蒋堂镇"]  # every township, idle ones too
    assert townships["罗店镇"] == {
        "id": townships["罗店镇"]["id"], "name": "罗店镇", "open_cases": 2, "overdue_tasks": 1,
        "procedures": [{"key": "temporary_relief", "name": "临时救助", "open_cases": 2,
                        "overdue_tasks": 1}]}
    assert townships["安地镇"]["procedures"] == [] and townships["安地镇"]["open_cases"] == 0
    [accept] = figures["steps"]
    assert accept["procedure_name"] == "临时救助" and accept["title"] == "受理审查"
    assert accept["spec_name"] == "accept" and accept["completed"] == 1
    assert abs(accept["average_seconds"] - 3 * 3600) < 60
    assert accept["average_label"] == "3小时0分钟"


def test_page_shows_the_same_figures_and_loads_the_script(client_for, supervisor, cases):
    response = client_for(supervisor).get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    assert "婺城区 · 督办看板" in page
    assert 'id="total-open">2<' in page and 'id="total-overdue">1<' in page
    assert "罗店镇" in page and "蒋堂镇" in page and "受理审查" in page and "3小时0分钟" in page
    assert f'data-url="{DATA}"' in page and "portal/dashboard.js" in page
    assert f'href="{PAGE}" class="active">督办看板</a>' in page


def test_menu_shows_the_dashboard_to_supervisors_only(client_for, supervisor, county_leader):
    inbox = reverse("portal:inbox")
    assert f'href="{PAGE}"' in client_for(supervisor).get(inbox).content.decode()
    assert f'href="{PAGE}"' not in client_for(county_leader).get(inbox).content.decode()


@pytest.mark.parametrize("persona", ["county_leader", "county_staff", "township_staff",
                                     "township_leader", "outsider", "applicant"])
def test_others_get_403(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "只有县民政局主管人员可以查看督办看板" in response.content.decode()
    assert client.get(DATA).status_code == 403


def test_anonymous_users_are_sent_to_login(client, demo):
    for url in (PAGE, DATA):
        response = client.get(url)
        assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_data_endpoint_is_read_only(client_for, supervisor):
    assert client_for(supervisor).post(DATA).status_code == 405


def test_other_counties_never_leak(client_for, supervisor, cases, other_county):
    ours = client_for(supervisor).get(DATA).json()
    assert "多湖街道" not in {t["name"] for t in ours["townships"]}
    assert ours["totals"] == {"open_cases": 2, "overdue_tasks": 1}
    assert "多湖街道" not in client_for(supervisor).get(PAGE).content.decode()

    theirs = client_for(other_county["supervisor"]).get(DATA).json()
    assert theirs["county"] == "金东区"
    assert [(t["name"], t["open_cases"]) for t in theirs["townships"]] == [("多湖街道", 1)]
    assert theirs["totals"]["overdue_tasks"] == 0 and theirs["steps"] == []


def test_unregistered_procedure_is_shown_by_its_key(client_for, supervisor, cases, monkeypatch):
    monkeypatch.delitem(registry._PROCEDURES, "temporary_relief")
    figures = client_for(supervisor).get(DATA).json()
    luodian = figures["townships"][0]
    assert luodian["procedures"][0]["name"] == "temporary_relief"
    assert figures["steps"][0]["procedure_name"] == "temporary_relief"


@pytest.mark.parametrize(("delta", "label"), [
    (timedelta(seconds=59), "不足1分钟"),
    (timedelta(minutes=8, seconds=30), "8分钟"),
    (timedelta(hours=5, minutes=12), "5小时12分钟"),
    (timedelta(days=2, hours=3, minutes=40), "2天3小时"),
])
def test_duration_label(delta, label):
    assert duration_label(delta) == label


def _trend(figures):
    return {m["month"]: (m["filed"], m["decided"]) for m in figures["trend"] if m["filed"]
            or m["decided"]}


def test_trend_counts_filed_and_decided_per_month(client_for, supervisor, applicant, village,
                                                  township_staff, clock, other_county):
    from django.utils import timezone

    first = file_application(user=applicant, village=village)
    month_one = timezone.localtime().strftime("%Y-%m")
    clock.shift(timedelta(days=40))
    month_two = timezone.localtime().strftime("%Y-%m")
    file_application(user=applicant, village=village)
    complete(first, township_staff, "accept", acceptance="reject", refusal_reason="户籍不符")

    figures = client_for(supervisor).get(DATA).json()
    assert len(figures["trend"]) == 12 and figures["trend"][-1]["month"] == month_two
    assert figures["trend"][-1]["label"].endswith("月")
    # 金东区's case (filed in month one) is not ours.
    assert _trend(figures) == {month_one: (1, 0), month_two: (1, 1)}
    page = client_for(supervisor).get(PAGE).content.decode()
    assert 'id="chart-trend"' in page and "echarts/echarts.min.js" in page
    assert 'id="dashboard-figures"' in page and 'id="chart-townships"' in page


def test_trend_is_the_readers_reach(client_for, supervisor, applicant, village, other_county):
    """The trend is a summary like the handling times: a supervisor without one of the
    procedure's own roles in the county counts nothing."""
    from engine.models import RoleAssignment

    file_application(user=applicant, village=village)
    assert sum(m["filed"] for m in client_for(supervisor).get(DATA).json()["trend"]) == 1
    county = village.county
    RoleAssignment.objects.filter(user=supervisor).delete()
    role_assign(user=supervisor, role="org_supervisor", unit=county)  # reach: its tasks only
    assert sum(m["filed"] for m in client_for(supervisor).get(DATA).json()["trend"]) == 0


def test_trend_rebuild_agrees_with_the_running_counts(applicant, village, township_staff,
                                                      clock, demo):
    from engine.models import CaseMonthStat
    from engine.reports import case_month_stats_rebuild

    def rows():
        return sorted(CaseMonthStat.objects.values_list("unit_id", "procedure", "month",
                                                        "filed", "decided"))

    first = file_application(user=applicant, village=village)
    clock.shift(timedelta(days=35))
    file_application(user=applicant, village=village)
    complete(first, township_staff, "accept", acceptance="reject", refusal_reason="户籍不符")
    incremental = rows()
    assert [r[3:] for r in incremental] == [(1, 0), (1, 1)]
    assert {r[0] for r in incremental} == {village.parent_id}
    assert case_month_stats_rebuild() == 2
    assert rows() == incremental


def test_data_endpoint_query_budget(client_for, supervisor, cases, django_assert_max_num_queries):
    """The endpoint reads summaries and grouped counts: its queries do not grow with the
    cases (measured 20 when written)."""
    client = client_for(supervisor)
    client.get(DATA)
    with django_assert_max_num_queries(24):
        assert client.get(DATA).status_code == 200
