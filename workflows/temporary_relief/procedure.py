"""Temporary relief (临时救助): 《社会救助暂行办法》 arts. 47–51.

Diagram: bpmn/temporary_relief.bpmn; approval limits: bpmn/temporary_relief_limits.dmn
(supervisors edit the table; the code never names an amount).
"""
from engine.notices import NoticeField, NoticeType
from engine.registry import DocumentType

from ..registry import Procedure
from . import forms
from .selectors import application_extra_data

HARDSHIP_LABELS = dict(forms.HARDSHIP_TYPES)
PAYMENT_LABELS = dict(forms.PAYMENT_METHODS)


def decision_context(data: dict) -> dict:
    return {
        "hardship": HARDSHIP_LABELS.get(data.get("hardship_type"), ""),
        "amount": data.get("approved_amount"),
        "payment": PAYMENT_LABELS.get(data.get("payment_method"), ""),
        "urgent": bool(data.get("urgent")),
    }


def refusal_context(data: dict) -> dict:
    return {
        "hardship": HARDSHIP_LABELS.get(data.get("hardship_type"), ""),
        "reason": data.get("refusal_reason", ""),
        "not_accepted": data.get("acceptance") == "reject",
    }


# 公示 (PROCEDURES.md §1.4, art. 61): name (masked where the county says), village, hardship
# type and amount — nothing else. The engine refuses ID numbers, accounts and descriptions.
RELIEF_NOTICE = NoticeType(
    code="relief_notice",
    title="临时救助对象公示",
    lead="根据《社会救助暂行办法》，经入户调查和乡镇（街道）审核，拟对下列对象给予临时救助，"
         "现予公示。",
    objection_hint="对公示对象有异议的，请在公示期内实名提出；乡镇（街道）将核查，异议成立的重新调查。"
                   "提出异议期间公示暂停计时。",
    fields=(
        NoticeField("applicant_name", "户主姓名", person_name=True),
        NoticeField("village_name", "所在村（社区）"),
        NoticeField("hardship_type", "困难类型", choices=tuple(forms.HARDSHIP_TYPES)),
        NoticeField("amount", "拟救助金额", amount=True),
    ),
)


PROCEDURE = Procedure(
    key="temporary_relief",
    name="临时救助",
    bpmn="temporary_relief.bpmn",
    dmn=("temporary_relief_limits.dmn",),
    description="因意外事件、突发重大疾病或生活必需支出突然增加，导致基本生活暂时出现严重困难的家庭或个人",
    case_title="临时救助申请",
    application_form=forms.ApplicationForm,
    application_extra_data=application_extra_data,
    task_forms={
        "accept": forms.AcceptanceForm,
        "supplement": forms.SupplementForm,
        "investigate": forms.InvestigationForm,
        "township_review": forms.TownshipReviewForm,
        "objection_review": forms.ObjectionReviewForm,
        "notice_result": forms.NoticeResultForm,  # versions before the engine's notice
        "county_review": forms.CountyReviewForm,
        "township_decide": forms.DecisionForm,
        "county_decide": forms.DecisionForm,
        "collective_decide": forms.CollectiveDecisionForm,
        "urgent_review": forms.UrgentReviewForm,
        "urgent_township_decide": forms.DecisionForm,
        "urgent_county_decide": forms.DecisionForm,
        "urgent_paperwork": forms.UrgentPaperworkForm,
    },
    notice_types=(RELIEF_NOTICE,),
    document_types=(
        DocumentType(code="relief_decision", title="临时救助决定书",
                     template="temporary_relief/decision.html", series="救",
                     context=decision_context),
        DocumentType(code="relief_refusal", title="不予临时救助告知书",
                     template="temporary_relief/refusal.html", series="救告",
                     is_refusal=True, context=refusal_context),
    ),
)
