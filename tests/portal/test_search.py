"""Search (?q=) in the inbox and the case list: by applicant name (any part), ID number (in
full or its last digits), case number and document number — always within what the user
may already see."""
import pytest
from django.urls import reverse
from django.utils import timezone

from engine.models import Document, Unit
from tests.workflows.temporary_relief.helpers import file_application, id_with_checksum

pytestmark = pytest.mark.django_db

INBOX = reverse("portal:inbox")
CASES = reverse("portal:cases")
WANG_ID = id_with_checksum("33070219750203561")


@pytest.fixture
def cases(applicant, village):
    """Three cases in 罗店村 (罗店镇) and one of another township, with a document."""
    zhang = file_application(user=applicant, village=village)
    wang = file_application(user=applicant, village=village, applicant_name="王建设",
                            id_number=WANG_ID)
    li = file_application(user=applicant, village=village, applicant_name="欧阳建国",
                          id_number=id_with_checksum("33070219900101123"))
    andi = file_application(user=applicant, village=Unit.objects.get(name="安地村"),
                            applicant_name="王建设", id_number=WANG_ID)
    Document.objects.create(
        case=wang, doc_type="relief_decision", title="临时救助决定书", issuer_code="罗店政救",
        year=2026, sequence=12, number="罗店政救〔2026〕12号", issued_on=timezone.localdate(),
        issuer_unit=village.parent, holder_name="王建设")
    return {"zhang": zhang, "wang": wang, "li": li, "andi": andi}


def _found(client, url, query) -> list[int]:
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    if url == INBOX:
        return sorted(task.case_id for task in response.context["page"])
    return sorted(case.pk for case in response.context["page"])


@pytest.mark.parametrize("url", [INBOX, CASES])
def test_search_by_each_kind_within_the_township(client_for, township_staff, cases, url):
    client = client_for(township_staff)
    ids = {key: case.pk for key, case in cases.items()}
    assert _found(client, url, "建国") == sorted([ids["zhang"], ids["li"]])  # any part
    assert _found(client, url, "欧阳") == [ids["li"]]
    assert _found(client, url, "王建设") == [ids["wang"]]  # not 安地镇's 王建设
    assert _found(client, url, WANG_ID) == [ids["wang"]]  # the full ID
    assert _found(client, url, WANG_ID[-6:]) == [ids["wang"]]  # its last digits
    assert _found(client, url, WANG_ID[-4:].lower()) == [ids["wang"]]
    assert _found(client, url, str(ids["li"])) == [ids["li"]]  # the case number
    assert _found(client, url, "罗店政救〔2026〕12号") == [ids["wang"]]
    assert _found(client, url, "〔2026〕12") == [ids["wang"]]  # part of the number
    assert _found(client, url, " 建 国 ") == sorted([ids["zhang"], ids["li"]])
    assert _found(client, url, "不存在的人") == []
    # Three trailing digits are not a search for an ID number (too many people).
    assert ids["wang"] not in _found(client, url, WANG_ID[-3:])


@pytest.mark.parametrize("url", [INBOX, CASES])
def test_search_never_widens_the_scope(client_for, outsider, cases, url):
    """安地镇's staff find their own 王建设, never 罗店镇's, by any key."""
    client = client_for(outsider)
    wang, andi = cases["wang"].pk, cases["andi"].pk
    assert _found(client, url, "王建设") == [andi]
    assert _found(client, url, WANG_ID) == [andi]
    assert _found(client, url, str(wang)) == []
    assert _found(client, url, "罗店政救〔2026〕12号") == []
    assert _found(client, url, "建国") == []


def test_inbox_rows_show_case_number_filing_time_and_search_box(client_for, township_staff,
                                                                 cases):
    content = client_for(township_staff).get(INBOX, {"q": "王建设"}).content.decode()
    case = cases["wang"]
    assert f"{case.pk}</td>" in content or f">{case.pk}<" in content
    assert timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M") in content
    assert 'name="q"' in content and 'value="王建设"' in content


def test_department_tasks_show_the_department(client_for, applicant, village):
    from tests.workflows.bundles.helpers import department_user, file_bundle, \
        marriage_birth_data

    file_bundle("marriage_birth_bundle", marriage_birth_data(village), user=applicant)
    content = client_for(department_user("婚姻登记")).get(INBOX).content.decode()
    assert '<span class="badge badge-info">婚姻登记处</span>' in content
