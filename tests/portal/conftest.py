"""Portal fixtures: a logged-in client per persona and cases filed the way the portal files
them (procedure form → workflows.services)."""
import pytest
from django.test import Client

from tests.workflows.temporary_relief.helpers import complete, file_application, open_task


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a test client logged in as ``user`` (CSRF checks on)."""

    def make(user):
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def case(applicant, village):
    """A temporary-relief case filed by 张建国 for himself in 罗店村, waiting for 受理审查."""
    return file_application(user=applicant, village=village)


@pytest.fixture
def accept_task(case):
    return open_task(case, "accept")


@pytest.fixture
def leader_task(applicant, village, township_staff):
    """An urgent case past 急难型先行救助核实: 乡镇先行救助审批 waits for the township leader."""
    urgent_case = file_application(user=applicant, village=village, urgent="on",
                                   requested_amount="1000")
    complete(urgent_case, township_staff, "urgent_review", urgent_facts="住院属实",
             amount="1000")
    return open_task(urgent_case, "urgent_township_decide")
