"""The inspection's documents, rendered to PDF and read back with pdftotext."""
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.documents import document_render
from engine.models import Case, Document, DocumentStatus
from engine.services import timers_fire_due

from .helpers import case_of, complete, file_report, propose, village_staff_of

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


def _overdue(clock):
    clock.shift(timedelta(days=32))
    timers_fire_due()


def test_penalty_notice_and_warning_decision(campaign, register, year, clock, county_staff,
                                             county_leader, direct_account):
    _overdue(clock)
    case = case_of(register["chess"], year)
    propose(case, county_staff, penalty="warning", reasons="经电话催告仍未报送")
    notice = Document.objects.get(case=case)
    text = _text(notice)
    code = register["chess"].credit_code
    for fact in ("行政处罚事先告知书", notice.number, "婺城区围棋协会", code, "存在以下违法事实",
                 "经电话催告仍未报送",
                 "《社会团体登记管理条例》第二十八条、第三十条", "拟对你单位作出警告并列入活动异常名录的处理",
                 "享有陈述、申辩的权利", "自收到本告知书之日起五日内", "不因你单位陈述、申辩而加重处罚",
                 f"仍可补报{year}年度年检报告书", "特此告知", "金华市婺城区民政局"):
        assert fact in text, fact
    assert APPEAL not in text  # a notice is not the decision
    complete(case, direct_account, "penalty_statement", answer="statement",
             statement="秘书长离职交接不畅")
    complete(case, county_leader, "penalty_decide", decision="warning",
             decision_reason="陈述理由不能成立，维持拟处理意见")
    decision = Document.objects.filter(case=case).order_by("-pk")[0]
    text = _text(decision)
    assert text.count("前报送") == 1  # the missed deadline is stated once, not twice
    for fact in ("警告及列入活动异常名录决定书", decision.number, code, f"未按规定参加{year}年度年检",
                 "已向你单位送达行政处罚事先告知书", "你单位在期限内提出了陈述、申辩意见：秘书长离职交接不畅",
                 "陈述理由不能成立", "对你单位给予警告", "列入社会组织活动异常名录",
                 "连续两年未参加年检的，将依法撤销登记", APPEAL):
        assert fact in text, fact


def test_listing_and_no_penalty_decisions(campaign, register, year, clock, county_staff,
                                          county_leader, org_account, direct_account):
    _overdue(clock)
    chess = case_of(register["chess"], year)
    propose(chess, county_staff, penalty="listing")
    clock.shift(timedelta(days=5, hours=1))
    timers_fire_due()
    complete(chess, county_leader, "penalty_decide", decision="listing",
             decision_reason="逾期未报送")
    text = _text(Document.objects.filter(case=chess).order_by("-pk")[0])
    for fact in ("列入活动异常名录决定书", "拟列入活动异常名录", "你单位在规定期限内未提出陈述、申辩意见",
                 "自即日起将你单位列入社会组织活动异常名录", APPEAL):
        assert fact in text, fact
    assert "给予警告" not in text
    laonian = case_of(register["laonian"], year)
    propose(laonian, county_staff, penalty="warning")
    complete(laonian, org_account, "penalty_statement", answer="waive", statement="")
    complete(laonian, county_leader, "penalty_decide", decision="none",
             decision_reason="系首次逾期且已说明原因")
    text = _text(Document.objects.filter(case=laonian).order_by("-pk")[0])
    for fact in ("不予行政处罚决定书", "已向你单位送达行政处罚事先告知书（拟警告并列入活动异常名录）",
                 "你单位放弃陈述、申辩", "系首次逾期且已说明原因", "不予行政处罚"):
        assert fact in text, fact
    assert APPEAL not in text


def _revocation_case(clock, register, year, county_staff, county_leader):
    _overdue(clock)
    bees = case_of(register["bees"], year)
    propose(bees, county_staff)
    complete(bees, village_staff_of("安地村"), "penalty_statement", answer="waive",
             statement="")
    complete(bees, county_leader, "penalty_decide", decision="warning",
             decision_reason="连续两年未参加年检")
    return Case.objects.get(procedure="org_revocation")


def test_revocation_notice_hearing_notice_and_decision(campaign, register, year, clock,
                                                       county_staff, county_leader):
    revocation = _revocation_case(clock, register, year, county_staff, county_leader)
    complete(revocation, county_staff, "revocation_review", facts="经警告后仍未报送",
             recommendation="revoke", review_opinion="连续两年未参加年检，情节严重")
    notice = Document.objects.get(case=revocation)
    text = _text(notice)
    for fact in ("行政处罚听证告知书", notice.number, register["bees"].credit_code,
                 f"{year - 1}年度、{year}年度连续未参加年检", "连续两年未参加年检，情节严重",
                 "拟对你单位作出撤销登记的行政处罚", "陈述、申辩和要求听证的权利",
                 "自收到本告知书之日起五日内", "申请听证", "不因你单位陈述、申辩或者申请听证而加重处罚"):
        assert fact in text, fact
    assert APPEAL not in text
    complete(revocation, village_staff_of("安地村"), "revocation_statement", answer="hearing",
             statement="")
    hearing_day = timezone.localdate() + timedelta(days=7)
    complete(revocation, county_staff, "hearing_schedule",
             hearing_date=hearing_day.isoformat(), hearing_place="区民政局三楼会议室",
             presiding_officer="赵敏")
    hearing_notice = Document.objects.filter(case=revocation).order_by("-pk")[0]
    text = _text(hearing_notice)
    for fact in ("听证通知书", hearing_notice.number,
                 f"{hearing_day.year}年{hearing_day.month}月{hearing_day.day}日",
                 "区民政局三楼会议室", "赵敏", "申请回避"):
        assert fact in text, fact
    clock.shift(timedelta(days=7))
    complete(revocation, county_staff, "hearing_record", hearing_held_on=hearing_day.isoformat(),
             hearing_participants="赵敏、会长", hearing_statement="会长因病未能组织年检",
             hearing_opinion="建议撤销")
    complete(revocation, county_leader, "revocation_decide", decision="revoke",
             decision_reason="听证中提出的理由不足以免除处罚")
    decision = Document.objects.filter(case=revocation).order_by("-pk")[0]
    text = _text(decision)
    for fact in ("撤销登记行政处罚决定书", decision.number,
                 f"{year - 1}年度、{year}年度连续未参加年检", "已向你单位送达行政处罚听证告知书",
                 f"于{hearing_day.year}年{hearing_day.month}月{hearing_day.day}日举行了听证",
                 "会长因病未能组织年检", "听证中提出的理由不足以免除处罚",
                 "撤销婺城区养蜂协会的登记", APPEAL):
        assert fact in text, fact


def test_not_revoked_decision_has_no_appeal(campaign, register, year, clock, county_staff,
                                            county_leader):
    revocation = _revocation_case(clock, register, year, county_staff, county_leader)
    complete(revocation, county_staff, "revocation_review", facts="连续两年未参加年检",
             recommendation="keep", review_opinion="建议不予撤销")
    complete(revocation, county_leader, "revocation_decide", decision="not_revoke",
             decision_reason="该组织已补报年检材料")
    document = Document.objects.get(case=revocation)
    text = _text(document)
    for fact in ("不予撤销登记决定书", document.number, "该组织已补报年检材料", "不予撤销登记"):
        assert fact in text, fact
    assert APPEAL not in text
