"""The documents of elderly-home adaptation, rendered to PDF and read back with pdftotext:
title, number, key facts; the appeal sentence on the refusal only."""
import pytest
from django.utils import timezone

from engine.documents import APPEAL_SENTENCE

from .helpers import (
    accept,
    approve_to_assessment,
    assess,
    complete,
    file_application,
    pdf_text,
    works,
)

pytestmark = pytest.mark.django_db

APPEAL = "".join(APPEAL_SENTENCE.format(county="婺城区").split())


@pytest.fixture
def finished_case(wang, village, township_staff, county_staff, county_leader, assessor,
                  provider):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    assess(case, assessor)
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    works(case, provider)
    accept(case, township_staff)
    return case


def test_plan_acceptance_and_payment_documents(finished_case):
    year = timezone.localdate().year
    docs = {d.doc_type: d for d in finished_case.documents.all()}

    plan = pdf_text(docs["elderly_home_plan"])
    assert "居家适老化改造评估表（改造方案）" in plan
    assert f"婺民适老方〔{year}〕1号" in plan
    for fact in ("王秀英", "330***********", "罗店镇罗店村", "如厕洗浴扶手", "多功能护理床",
                 "1820", "2800", "4620", "预计补贴1820元", "陈评估", "金华市婺城区民政局",
                 "扫码核验"):
        assert fact in plan, fact
    assert APPEAL not in plan

    acceptance = pdf_text(docs["elderly_home_acceptance"])
    assert "居家适老化改造竣工验收单" in acceptance
    # The township's staff accepted the works: the township issues the acceptance (demo
    # county: devolved), while the subsidy notice stays the county bureau's (issuer=county).
    assert f"罗店政适老验〔{year}〕1号" in acceptance
    assert "金华市婺城区罗店镇人民政府" in acceptance
    for fact in ("验收合格", "金华安居适老装修有限公司", "地面防滑处理", "1940", "4740",
                 "施工前-卫生间.jpg（SHA256:", "施工后-卫生间.jpg（SHA256:", "33012345",
                 "李验收、赵验收", "已签字", "老年人或家属（签字）", "验收人员（签字）",
                 "罗店镇（盖章）"):
        assert fact in acceptance, fact
    assert APPEAL not in acceptance

    payment = pdf_text(docs["elderly_home_payment"])
    assert "居家适老化改造补贴发放通知" in payment
    assert f"婺民适老补〔{year}〕1号" in payment
    assert "金华市婺城区民政局" in payment and "罗店镇人民政府" not in payment
    for fact in ("1940元", "壹仟玖佰肆拾元整", "每户不超过2000元", "2800元",
                 "金华安居适老装修有限公司"):
        assert fact in payment, fact
    assert APPEAL not in payment
    for text in (plan, acceptance, payment):
        assert finished_case.applicant_id_number not in text


def test_refusal_notice_carries_the_appeal_sentence(wang, village, township_staff,
                                                    county_staff, county_leader):
    case = file_application(user=wang, village=village)
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="符合")
    complete(case, county_staff, "county_review", county_opinion="不符合")
    complete(case, county_leader, "county_decide", decision="refuse", decision_opinion="不同意",
             refusal_reason="住房已列入两年内征收计划")
    text = pdf_text(case.documents.get())
    assert "居家适老化改造不予批准通知书" in text
    assert f"婺民适老告〔{timezone.localdate().year}〕1号" in text
    assert "理由：住房已列入两年内征收计划" in text
    assert "不予批准" in text and "罗店镇罗店村" in text
    assert APPEAL in text
