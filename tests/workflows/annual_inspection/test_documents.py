"""The inspection's documents, rendered to PDF and read back with pdftotext."""
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.documents import document_render
from engine.models import Case, Document, DocumentStatus
from engine.services import timers_fire_due

from .helpers import case_of, complete, file_report

pytestmark = pytest.mark.django_db

APPEAL = "如不服本决定，可以自收到之日起六十日内向婺城区人民政府申请行政复议"


def _text(document) -> str:
    document = document_render(document_pk=document.pk)
    assert document.status == DocumentStatus.READY
    result = subprocess.run(["pdftotext", "-layout", "-", "-"],  # noqa: S607 - poppler-utils
                            input=bytes(document.pdf), capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())  # CJK lines wrap anywhere


def _conclude(case, account, county_staff, county_leader, conclusion, deadline):
    file_report(case, account)
    complete(case, county_staff, "county_review", county_result="pass",
             proposed_conclusion=conclusion, opinion="同意", return_reason="")
    complete(case, county_leader, "conclude", conclusion=conclusion,
             problems="未按章程按期换届" if conclusion != "pass" else "",
             rectification_deadline=deadline if conclusion != "pass" else "",
             conclusion_opinion="同意")
    return {d.doc_type: d for d in Document.objects.filter(case=case)}


@pytest.mark.parametrize("conclusion, label", [("fail", "不合格"), ("basic", "基本合格")])
def test_conclusion_and_rectification_notices(campaign, register, year, direct_account,
                                              county_staff, county_leader, conclusion, label):
    deadline = timezone.localdate() + timedelta(days=40)
    docs = _conclude(case_of(register["chess"], year), direct_account, county_staff,
                     county_leader, conclusion, deadline.isoformat())
    notice = _text(docs["inspection_conclusion"])
    code = register["chess"].credit_code
    for fact in ("年检结论通知书", docs["inspection_conclusion"].number, "婺城区围棋协会", code,
                 f"{year}年度年检结论为：{label}", "未按章程按期换届",
                 f"{deadline.year}年{deadline.month}月{deadline.day}日", "金华市婺城区民政局"):
        assert fact in notice, fact
    assert APPEAL not in notice
    key = "inspection_rectification_fail" if conclusion == "fail" else "inspection_rectification"
    rectification = _text(docs[key])
    for fact in ("整改通知书", docs[key].number, code, f"年检结论为{label}", "未按章程按期换届",
                 "责令你单位于", f"{deadline.year}年{deadline.month}月{deadline.day}日前完成整改"):
        assert fact in rectification, fact
    assert (APPEAL in rectification) == (conclusion == "fail")


def test_pass_notice(campaign, register, year, direct_account, county_staff, county_leader):
    docs = _conclude(case_of(register["chess"], year), direct_account, county_staff,
                     county_leader, "pass", "")
    assert list(docs) == ["inspection_conclusion"]
    text = _text(docs["inspection_conclusion"])
    assert f"{year}年度年检结论为：合格" in text and "整改" not in text and APPEAL not in text


def test_warning_and_revocation_documents(campaign, register, year, clock, county_staff,
                                          county_leader):
    clock.shift(timedelta(days=32))
    timers_fire_due()
    warning = Document.objects.get(case=case_of(register["bees"], year))
    text = _text(warning)
    for fact in ("警告及列入活动异常名录通知书", warning.number, "婺城区养蜂协会",
                 register["bees"].credit_code, f"未参加{year}年度年检", "给予警告",
                 "列入社会组织活动异常名录", "连续两年未参加年检", APPEAL):
        assert fact in text, fact
    revocation = Case.objects.get(procedure="org_revocation")
    complete(revocation, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation="revoke", review_opinion="建议撤销")
    complete(revocation, county_leader, "revocation_decide", decision="revoke",
             decision_reason="经警告后仍未参加年检")
    decision = Document.objects.get(case=revocation)
    text = _text(decision)
    for fact in ("撤销登记行政处罚决定书", decision.number,
                 f"{year - 1}年度、{year}年度连续未参加年检",
                 "经警告后仍未参加年检", "撤销婺城区养蜂协会的登记", APPEAL):
        assert fact in text, fact


def test_not_revoked_decision_has_no_appeal(campaign, register, clock, county_staff,
                                            county_leader):
    clock.shift(timedelta(days=32))
    timers_fire_due()
    revocation = Case.objects.get(procedure="org_revocation")
    complete(revocation, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation="keep", review_opinion="建议不予撤销")
    complete(revocation, county_leader, "revocation_decide", decision="not_revoke",
             decision_reason="该组织已补报年检材料")
    document = Document.objects.get(case=revocation)
    text = _text(document)
    for fact in ("不予撤销登记决定书", document.number, "该组织已补报年检材料", "不予撤销登记"):
        assert fact in text, fact
    assert APPEAL not in text
