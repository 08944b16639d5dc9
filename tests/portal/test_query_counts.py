"""Query budgets of the busiest pages and of a completion: a regression (an N+1, a lost
select_related) shows as a failed count, without timing anything. The figures at a county's
scale are in bench/README.md."""
import pytest
from django.urls import reverse

from engine.models import Unit
from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

pytestmark = pytest.mark.django_db

# Measured when written (inbox 19–21 with the page chrome, case list 12, completion 44);
# a little headroom.
INBOX_QUERIES = 24
CASE_LIST_QUERIES = 15
COMPLETION_QUERIES = 50


@pytest.fixture
def many_cases(applicant, village):
    villages = list(Unit.objects.filter(parent=village.parent).order_by("pk"))
    return [file_application(user=applicant, village=villages[i % len(villages)],
                             applicant_name=f"申请人{i}") for i in range(6)]


@pytest.mark.parametrize("query", ["", "?claimed=free", "?overdue=yes", "?q=申请人",
                                   "?sort=-due&page=1"])
def test_inbox_query_budget(client_for, township_staff, many_cases, query,
                            django_assert_max_num_queries):
    client = client_for(township_staff)
    with django_assert_max_num_queries(INBOX_QUERIES):
        response = client.get(reverse("portal:inbox") + query)
    assert response.status_code == 200
    assert len(response.context["page"]) == (6 if "overdue" not in query else 0)


@pytest.mark.parametrize("query", ["", "?q=申请人", "?page=1"])
def test_case_list_query_budget(client_for, county_staff, many_cases, query,
                                django_assert_max_num_queries):
    client = client_for(county_staff)
    with django_assert_max_num_queries(CASE_LIST_QUERIES):
        response = client.get(reverse("portal:cases") + query)
    assert response.status_code == 200
    assert len(response.context["page"]) == 6


def test_task_completion_query_budget(township_staff, many_cases,
                                      django_assert_max_num_queries):
    case = many_cases[0]
    with django_assert_max_num_queries(COMPLETION_QUERIES):
        complete(case, township_staff, "accept", acceptance="accept")
    assert open_task(case).spec_name == "investigate"
