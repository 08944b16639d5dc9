"""Excel exports (portal/exports.py): the cases list, the inbox and the registers (登记簿),
with the pages' filters and access rules, masked fields masked, bounded in size."""
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from engine.models import CaseStatus
from portal import exports
from tests.workflows.temporary_relief.helpers import (
    VALID_ID,
    complete,
    file_application,
    walk_past_notice,
    walk_to_notice,
)

pytestmark = pytest.mark.django_db

CASES = reverse("portal:cases_export")
INBOX = reverse("portal:inbox_export")
REGISTER = reverse("portal:register_book", args=["temporary_relief"])
REGISTER_XLSX = reverse("portal:register_export", args=["temporary_relief"])
ACCOUNT = "6217000000000001"


def _sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == exports.XLSX
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(BytesIO(response.content), read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def _text(sheets) -> str:
    return " ".join(str(cell) for rows in sheets.values() for row in rows for cell in row
                    if cell is not None)


@pytest.fixture
def granted(applicant, village, village_staff, township_staff, township_leader, clock):
    """A temporary-relief case granted 2500 yuan by 罗店镇, and one still open."""
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    walk_past_notice(case, clock=clock, township_staff=township_staff)
    complete(case, township_leader, "township_decide", decision="approve",
             approved_amount="2500", payment_method="bank", decision_opinion="同意")
    assert case.status == CaseStatus.COMPLETED
    open_case = file_application(user=applicant, village=village, applicant_name="李大伯")
    return {"case": case, "open": open_case}


def test_cases_export_has_the_pages_rows_and_filter(client_for, county_staff, granted):
    sheets = _sheets(client_for(county_staff).get(CASES))
    [rows] = sheets.values()
    assert rows[0][:4] == ("案件编号", "事项", "申请人", "村/社区")
    assert {r[0] for r in rows[1:]} == {granted["case"].pk, granted["open"].pk}
    by_pk = {r[0]: r for r in rows[1:]}
    assert by_pk[granted["case"].pk][4] == "已办结"
    assert by_pk[granted["open"].pk][5] == "受理审查"

    filtered = _sheets(client_for(county_staff).get(CASES, {"q": "李大伯"}))
    assert [r[2] for r in list(filtered.values())[0][1:]] == ["李大伯"]
    # The page offers it with the same query.
    page = client_for(county_staff).get(reverse("portal:cases"), {"q": "李大伯"})
    assert f'href="{CASES}?q=' in page.content.decode()


def test_inbox_export_applies_the_inbox_filters(client_for, township_staff, granted):
    rows = list(_sheets(client_for(township_staff).get(INBOX)).values())[0]
    assert [(r[0], r[5]) for r in rows[1:]] == [(granted["open"].pk, "受理审查")]
    assert rows[1][9] == "待认领"
    assert len(list(_sheets(client_for(township_staff).get(
        INBOX, {"claimed": "mine"})).values())[0]) == 1  # header only
    page = client_for(township_staff).get(reverse("portal:inbox"), {"claimed": "free"})
    assert f'href="{INBOX}?claimed=free"' in page.content.decode()


def test_inbox_export_refuses_malformed_filters(client_for, township_staff, granted):
    response = client_for(township_staff).get(INBOX, {"procedure": "nope"})
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("portal:inbox"))


def test_register_lists_the_grant_with_masked_id_and_summary(client_for, township_staff,
                                                             granted):
    year = timezone.localdate().year
    sheets = _sheets(client_for(township_staff).get(REGISTER_XLSX))
    rows, summary = sheets["登记簿"], sheets["按乡镇和月份汇总"]
    assert rows[0] == ("案件编号", "乡镇/街道", "村/社区", "申请人", "身份证号", "提交时间",
                       "办结时间", "结果", "救助金额（元）", "文书")
    [row] = rows[1:]  # the open case is not decided
    assert row[0] == granted["case"].pk and row[1] == "罗店镇" and row[3] == "张建国"
    assert row[4] == "330***********1232" and VALID_ID not in _text(sheets)
    assert row[7] == "批准" and Decimal(str(row[8])) == 2500
    assert f"罗店政救〔{year}〕1号" in row[9]
    assert ACCOUNT not in _text(sheets) and "脑梗" not in _text(sheets)
    month = timezone.localtime(granted["case"].completed_at).strftime("%Y-%m")
    assert summary[1][:4] == ("罗店镇", month, 1, 1) and Decimal(str(summary[1][4])) == 2500

    page = client_for(township_staff).get(REGISTER).content.decode()
    assert "330***********1232" in page and VALID_ID not in page and "2500" in page
    assert f'href="{REGISTER_XLSX}?year={timezone.localdate().year}"' in page


def test_register_filters_by_year_month_and_township(client_for, county_staff, granted):
    client = client_for(county_staff)
    year = timezone.localdate().year
    assert len(_sheets(client.get(REGISTER_XLSX, {"year": year - 1}))["登记簿"]) == 1
    month = timezone.localtime(granted["case"].completed_at).month
    other_month = month % 12 + 1
    assert len(_sheets(client.get(REGISTER_XLSX, {"year": year, "month": month}))["登记簿"]) == 2
    assert len(_sheets(client.get(REGISTER_XLSX,
                                  {"year": year, "month": other_month}))["登记簿"]) == 1
    township = granted["case"].village.parent
    andi = type(township).objects.get(name="安地镇")
    assert len(_sheets(client.get(REGISTER_XLSX, {"township": township.pk}))["登记簿"]) == 2
    assert len(_sheets(client.get(REGISTER_XLSX, {"township": andi.pk}))["登记簿"]) == 1


@pytest.mark.parametrize("query", [{"year": "abc"}, {"year": "1900"}, {"month": "13"},
                                   {"township": "999999"}])
def test_register_refuses_malformed_filters_in_chinese(client_for, county_staff, query):
    client = client_for(county_staff)
    page = client.get(REGISTER, query)
    assert page.status_code == 200 and "筛选条件有误" in page.content.decode()
    response = client.get(REGISTER_XLSX, query)
    assert response.status_code == 302 and response["Location"].startswith(REGISTER)


def test_other_township_sees_none_of_it(client_for, outsider, granted):
    client = client_for(outsider)
    for url in (CASES, INBOX, REGISTER_XLSX):
        sheets = _sheets(client.get(url))
        assert all(len(rows) == 1 for rows in sheets.values()), url  # the header only
        text = _text(sheets)
        assert "张建国" not in text and "李大伯" not in text, url
    assert "张建国" not in client.get(REGISTER).content.decode()


def test_task_scoped_users_get_no_register_rows(client_for, granted):
    """A county department sees cases only through its tasks: the register lists only
    cases seen as a whole, so none of the amounts."""
    from django.contrib.auth import get_user_model

    police = get_user_model().objects.get(username="wucheng_dept_police")
    text = _text(_sheets(client_for(police).get(REGISTER_XLSX)))
    assert "张建国" not in text and "2500" not in text


@pytest.mark.parametrize("url", [CASES, INBOX, REGISTER, REGISTER_XLSX])
def test_applicants_and_anonymous_are_refused(client, client_for, applicant, url):
    assert client_for(applicant).get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_unknown_procedure_register_is_404(client_for, county_staff):
    client = client_for(county_staff)
    assert client.get(reverse("portal:register_book", args=["nope"])).status_code == 404
    assert client.get(reverse("portal:register_export", args=["nope"])).status_code == 404


def test_exports_are_read_only(client_for, county_staff):
    for url in (CASES, INBOX, REGISTER_XLSX):
        assert client_for(county_staff).post(url).status_code == 405


def test_large_exports_are_refused_above_the_bound(client_for, county_staff, granted,
                                                   monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 1)
    response = client_for(county_staff).get(CASES, follow=True)
    assert "超过1条，请缩小筛选范围后再导出" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("portal:cases")
    # Within the bound the same export goes through.
    assert len(list(_sheets(client_for(county_staff).get(
        CASES, {"q": "李大伯"})).values())[0]) == 2


def test_export_streams_in_chunks_with_a_flat_query_count(client_for, county_staff, applicant,
                                                          village, monkeypatch,
                                                          django_assert_max_num_queries):
    """Rows are read in chunks (``iterator``): the queries grow with the chunks, not the
    rows."""
    monkeypatch.setattr(exports, "CHUNK", 2)
    for i in range(5):
        file_application(user=applicant, village=village, applicant_name=f"申请人{i}")
    client = client_for(county_staff)
    client.get(CASES)
    with django_assert_max_num_queries(20):
        rows = list(_sheets(client.get(CASES)).values())[0]
    assert len(rows) == 6


def test_masked_amount_when_the_policy_declares_it(client_for, township_staff, granted,
                                                   monkeypatch):
    """Generic: a procedure whose amount field is sensitive gets it masked in the register."""
    from engine.visibility import CONFIDENTIAL, HIDDEN_TEXT, Sensitive, VisibilityPolicy

    policy = VisibilityPolicy(fields={"approved_amount": Sensitive(CONFIDENTIAL)})
    monkeypatch.setattr(exports, "policy_for", lambda key: policy)
    [row] = _sheets(client_for(township_staff).get(REGISTER_XLSX))["登记簿"][1:]
    assert row[8] == HIDDEN_TEXT


def test_register_page_lists_links_for_staff(client_for, county_staff, granted):
    page = client_for(county_staff).get(reverse("portal:cases")).content.decode()
    assert f'href="{REGISTER}"' in page
    body = client_for(county_staff).get(REGISTER).content.decode()
    assert 'id="register-summary"' in body and "罗店镇" in body


def test_elderly_home_register_shows_the_subsidy(village):
    """Each procedure's own amount: the adaptation subsidy; a refusal grants nothing."""
    from engine.models import Case
    from workflows.registry import procedure_get

    procedure = procedure_get("elderly_home_adaptation")
    assert exports._register_header(procedure)[8] == "补贴金额（元）"
    case = Case(pk=7, village=village, applicant_name="王秀英", data={
        "decision": "approve", "subsidy": 1940}, applicant_id_number="")
    case.register_documents = []
    row = exports.register_row(case, procedure)
    assert row.amount == Decimal("1940") and row.decision == "批准" and row.township == "罗店镇"
    case.data = {"decision": "refuse", "subsidy": 1940}
    assert exports.register_row(case, procedure).amount is None
