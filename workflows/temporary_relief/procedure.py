"""Temporary relief (临时救助): 《社会救助暂行办法》 arts. 47–51.

Diagram: bpmn/temporary_relief.bpmn; approval limits: bpmn/temporary_relief_limits.dmn
(supervisors edit the table; the code never names an amount).
"""
from decimal import Decimal

from engine.notices import NoticeField, NoticeType
from engine.registry import DocumentType
from engine.visibility import BANK_ACCOUNT, CONFIDENTIAL, Sensitive, VisibilityPolicy

from ..common.fields import persons_from_members
from ..registry import CaseNotice, Procedure
from . import forms
from .selectors import application_extra_data, household_cases_of_case, household_cases_text

HARDSHIP_LABELS = dict(forms.HARDSHIP_TYPES)
PAYMENT_LABELS = dict(forms.PAYMENT_METHODS)


RECOMMENDATION_LABELS = {"grant": "拟给予救助", "refuse": "拟不予救助"}


def _steps_text(steps: list[str]) -> str:
    """["入户调查", "家庭经济状况核对", "公示"] → "入户调查、家庭经济状况核对和公示"."""
    if len(steps) <= 1:
        return "".join(steps)
    return "、".join(steps[:-1]) + "和" + steps[-1]


def against_recommendation(data: dict, decision: str | None = None) -> str | None:
    """The recorded township recommendation ("grant"/"refuse") when the decision goes the
    other way, else None. Only the normal path has a recommendation (township_review)."""
    decision = decision if decision is not None else data.get("decision")
    recommendation = data.get("recommendation") if not data.get("urgent") else None
    if decision == "approve" and recommendation == "refuse":
        return "refuse"
    if decision == "refuse" and recommendation == "grant":
        return "grant"
    return None


def override_required(case_data: dict, form_data: dict) -> str:
    """Why an override reason is needed for this decision ("" when it is not)."""
    against = against_recommendation(case_data, form_data.get("decision"))
    if against is None:
        return ""
    return (f"审批决定与乡镇审核意见（{RECOMMENDATION_LABELS[against]}）不一致，"
            f"必须填写不采纳审核意见的理由")


def _facts(data: dict) -> dict:
    """What the case recorded, as the documents may state it: each step only when the form
    of that step was completed (the marker its form adds), with the answer it gave."""
    urgent = bool(data.get("urgent"))
    investigated = bool(data.get("investigated")) and not urgent
    checked = data.get("economic_check") in ("eligible", "ineligible") and not urgent
    notice_held = data.get("notice_held") is True and not urgent
    against = against_recommendation(data)
    reviewed_steps = [step for step, done in (("入户调查", investigated),
                                              ("家庭经济状况核对", checked)) if done]
    return {
        "urgent": urgent,
        "urgent_reviewed": bool(data.get("urgent_reviewed")),
        "investigated": investigated,
        "economic_checked": checked,
        "economic_eligible": checked and data.get("economic_check") == "eligible",
        "notice_held": notice_held,
        "collective": bool(data.get("collective_decided")) and not urgent,
        "against_recommendation": against is not None,
        "recommendation_label": RECOMMENDATION_LABELS.get(data.get("recommendation"), ""),
        "override_reason": (data.get("override_reason") or "") if against else "",
        # "入户调查、家庭经济状况核对和公示" — only the steps that happened.
        "steps": _steps_text(reviewed_steps + (["公示"] if notice_held else [])),
        "review_steps": _steps_text(reviewed_steps),
        "reviewer": f"{data.get('township_name', '')}审核",
    }


def decision_context(data: dict) -> dict:
    return {
        **_facts(data),
        "hardship": HARDSHIP_LABELS.get(data.get("hardship_type"), ""),
        "amount": data.get("approved_amount"),
        "payment": PAYMENT_LABELS.get(data.get("payment_method"), ""),
    }


def refusal_context(data: dict) -> dict:
    not_accepted = data.get("acceptance") == "reject" and not data.get("decision")
    return {
        **_facts(data),
        "hardship": HARDSHIP_LABELS.get(data.get("hardship_type"), ""),
        "reason": data.get("refusal_reason", ""),
        "not_accepted": not_accepted,
    }


def approval_form_context(data: dict) -> dict:
    """临时救助审核审批表: each box from what its step recorded. Three steps (acceptance,
    review, decision) write ``refusal_reason`` and the later wins, so the review keeps its own
    copy (``review_refusal_reason``, added by its form)."""
    facts = _facts(data)
    duplicates = data.get("household_cases") or []
    return {
        **facts,
        "hardship": HARDSHIP_LABELS.get(data.get("hardship_type"), ""),
        # 重复申请核查: what was on record when the application was filed and the
        # reviewer's reason to go on (the completion check required it).
        "duplicates_text": household_cases_text(duplicates) if duplicates else "",
        "duplicate_reason": data.get("duplicate_reason", ""),
        "review_amount": data.get("amount"),
        "review_refusal_reason": data.get("review_refusal_reason", ""),
        "decision_refusal_reason": data.get("refusal_reason", ""),
    }


def _amount(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def follow_up_context(data: dict) -> dict:
    """The follow-up of an urgent grant (补办手续): what was found and what follows."""
    granted = _amount(data.get("approved_amount"))
    adjusted = _amount(data.get("adjusted_amount")) if data.get("adjusted_amount") else None
    return {
        "hardship": HARDSHIP_LABELS.get(data.get("hardship_type"), ""),
        "granted": granted,
        "adjusted": adjusted,
        "difference": abs(adjusted - granted) if adjusted is not None else None,
        "reduced": adjusted is not None and adjusted < granted,
        "recovery": _amount(data.get("recovery_amount")) if data.get("recovery_amount") else None,
        "findings": data.get("follow_up_findings", ""),
        "reason": data.get("follow_up_reason", ""),
        "visit_date": data.get("visit_date", ""),
    }


def follow_up_problems(case_data: dict, form_data: dict) -> list[tuple[str, str]]:
    """(field, message) for a follow-up outcome that does not hold together; the form shows
    them and the completion check refuses them."""
    outcome = form_data.get("follow_up_outcome")
    granted = _amount(case_data.get("approved_amount"))
    problems = []
    if outcome in ("adjust", "recover") and not str(form_data.get("follow_up_reason") or
                                                    "").strip():
        problems.append(("follow_up_reason", "调整金额或追回必须写明事实、理由和依据"))
    if outcome == "adjust":
        adjusted = form_data.get("adjusted_amount")
        if not adjusted:
            problems.append(("adjusted_amount", "请填写调整后的救助金额"))
        elif _amount(adjusted) == granted:
            problems.append(("adjusted_amount", f"调整后的金额与已发放的{granted}元相同，"
                                                f"请选择“确认”"))
    if outcome == "recover":
        recovery = form_data.get("recovery_amount")
        if not recovery:
            problems.append(("recovery_amount", "请填写应追回的金额"))
        elif _amount(recovery) > granted:
            problems.append(("recovery_amount", f"追回金额不能超过已发放的{granted}元"))
    return problems


# The staff reviews that send a case on towards a grant: with the household's other grants
# or open applications in the period on record, they must say why (重复申请核查).
DUPLICATE_REVIEWS = {"township_review": ("recommendation", "grant"),
                     "urgent_review": (None, None)}


def _duplicate_notes(*, spec_name: str, form_data: dict, case) -> list[str]:
    field, value = DUPLICATE_REVIEWS[spec_name]
    if field is not None and form_data.get(field) != value:
        return []
    rows = household_cases_of_case(case)
    if not rows:
        return []
    from engine.services import ActionRefused

    reason = str(form_data.get("duplicate_reason") or "").strip()
    if not reason:
        raise ActionRefused(f"本户本期已有救助或申请：{household_cases_text(rows)}。继续办理须填写"
                            f"重复申请核查说明")
    return [f"重复申请核查：{household_cases_text(rows)}；继续办理的理由：{reason}"]


def completion_check(*, spec_name: str, case_data: dict, form_data: dict,
                     case=None) -> list[str]:
    """Server-side rules of this procedure's steps (engine.checks): a decision against the
    township's recommendation needs a reason; a follow-up outcome must hold together; a
    review going on while the household has other grants or open applications in the
    period (looked up now, anyone of the household) needs a reason."""
    from engine.services import ActionRefused

    notes = []
    if case is not None and spec_name in DUPLICATE_REVIEWS:
        notes += _duplicate_notes(spec_name=spec_name, form_data=form_data, case=case)
    if "decision" in form_data and spec_name in DECISION_TASKS:
        message = override_required(case_data, form_data)
        reason = str(form_data.get("override_reason") or "").strip()
        if message and not reason:
            raise ActionRefused(message)
        if message:
            against = against_recommendation(case_data, form_data["decision"])
            notes.append(f"审批意见与审核建议（{RECOMMENDATION_LABELS[against]}）不一致：理由："
                         f"{reason}")
    if spec_name == "urgent_paperwork":
        problems = follow_up_problems(case_data, form_data)
        if problems:
            raise ActionRefused("；".join(message for _, message in problems))
    return notes


def case_notices(data: dict, *, case=None) -> list:
    """Shown to every later reviewer: the household's other grants and open applications in
    the period (linked), the reviewer's reason to go on, a decision against the township's
    opinion."""
    notices = []
    rows = household_cases_of_case(case) if case is not None else []
    if rows:
        notices.append(CaseNotice(text="重复申请核查：本户本期其他救助或申请：" +
                                       household_cases_text(rows),
                                  cases=tuple(row["case_id"] for row in rows)))
    if data.get("duplicate_reason"):
        notices.append(f"审核人员的重复申请核查说明：{data['duplicate_reason']}")
    against = against_recommendation(data)
    if against and data.get("override_reason"):
        notices.append(f"审批意见与审核建议（{RECOMMENDATION_LABELS[against]}）不一致："
                       f"理由：{data['override_reason']}")
    return notices


def persons(cleaned_data: dict) -> list[dict]:
    """The household members the application lists (name, ID, relation)."""
    return persons_from_members(cleaned_data.get("members_text"))


DECISION_TASKS = ("township_decide", "county_decide", "collective_decide",
                  "urgent_township_decide", "urgent_county_decide")
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
    persons=persons,
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
    # 《社会救助暂行办法》 art. 61: the account and the illness are for those deciding (and
    # the applicant); the acceptance checks must open the certificates to judge completeness.
    visibility=VisibilityPolicy(
        fields={"bank_account": Sensitive(BANK_ACCOUNT), "description": Sensitive(CONFIDENTIAL)},
        attachments={"attachments": Sensitive(CONFIDENTIAL,
                                              also_for=("accept", "urgent_review"))},
    ),
    notice_types=(RELIEF_NOTICE,),
    register_amount=("approved_amount", "救助金额（元）"),
    document_types=(
        DocumentType(code="relief_decision", title="临时救助决定书",
                     template="temporary_relief/decision.html", series="救",
                     context=decision_context),
        DocumentType(code="relief_refusal", title="不予临时救助告知书",
                     template="temporary_relief/refusal.html", series="救告",
                     is_refusal=True, context=refusal_context),
        DocumentType(code="relief_approval_form", title="临时救助审核审批表",
                     template="temporary_relief/approval_form.html", series="救审",
                     context=approval_form_context),
        # The outcome of the follow-up of an urgent grant (先行救助后补办手续).
        DocumentType(code="relief_urgent_confirmation", title="临时救助确认通知书",
                     template="temporary_relief/urgent_confirmation.html", series="救确",
                     context=follow_up_context),
        DocumentType(code="relief_urgent_adjustment", title="临时救助金额调整决定书",
                     template="temporary_relief/urgent_adjustment.html", series="救调",
                     is_refusal=True, context=follow_up_context),
        DocumentType(code="relief_urgent_recovery", title="追回临时救助金决定书",
                     template="temporary_relief/urgent_recovery.html", series="救追",
                     is_refusal=True, context=follow_up_context),
    ),
    completion_check=completion_check,
    case_notices=case_notices,
)
