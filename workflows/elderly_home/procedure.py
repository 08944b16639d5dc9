"""Elderly-home adaptation (居家适老化改造): 国办发〔2019〕5号, 民发〔2022〕9号.

A subsidy programme run against yearly township quotas. Diagram:
bpmn/elderly_home_adaptation.bpmn; eligibility and the subsidy cap are tables supervisors
edit (bpmn/elderly_home_adaptation_rules.dmn, bpmn/elderly_home_adaptation_subsidy.dmn);
the catalogue of items is the ``AdaptationItem`` model (Django admin); quotas are
``engine.models.Quota`` rows with key ``elderly_home_adaptation``.
"""
from engine.registry import DocumentType
from engine.visibility import TaskView, VisibilityPolicy

from ..common.fields import persons_from_members
from ..registry import CaseNotice, Procedure
from . import forms
from .selectors import (
    QUOTA_KEY,
    adaptation_matches_text,
    adaptation_refusal_sentence,
    adaptations_of_case,
    application_extra_data,
)
from .services import application_withdraw, may_withdraw

ASSISTANCE_LABELS = dict(forms.ASSISTANCE_STATUSES)
DISABILITY_LABELS = dict(forms.DISABILITIES)
HOME_RIGHT_LABELS = dict(forms.HOME_RIGHTS)
SATISFACTION_LABELS = dict(forms.SATISFACTION)



def _household(data: dict) -> dict:
    return {
        "assistance": ASSISTANCE_LABELS.get(data.get("assistance_status"), ""),
        "disability_label": DISABILITY_LABELS.get(data.get("disability"), ""),
        "home_right_label": HOME_RIGHT_LABELS.get(data.get("home_right"), ""),
    }


def plan_context(data: dict) -> dict:
    return {**_household(data), "items": data.get("plan_items") or []}


def acceptance_context(data: dict) -> dict:
    return {**_household(data), "items": data.get("actual_items") or []}


def payment_context(data: dict) -> dict:
    return {**_household(data), "items": data.get("actual_items") or []}


def refusal_context(data: dict) -> dict:
    return {**_household(data), "reason": data.get("refusal_reason", ""),
            "earlier_cases": data.get("adaptation_matches") or []}


def waiting_context(data: dict) -> dict:
    """候补通知书: the applicant is eligible and approved; the township's places are used up
    and the case waits at ``position`` (the engine's answer, ``quota_waiting``)."""
    waiting = data.get("quota_waiting") or {}
    return {**_household(data), "position": waiting.get("position"),
            "quota_unit": waiting.get("unit", ""), "quota_year": waiting.get("year"),
            "quota_capacity": waiting.get("capacity")}


def persons(cleaned_data: dict) -> list[dict]:
    """Everyone living in the home, for the one-adaptation-per-household check."""
    return persons_from_members(cleaned_data.get("household_members"))


# The steps that would let a household already adapted go on: passing the township review,
# approving at the county.
_GOING_ON = {"township_review": ("review_result", "pass"), "county_decide": ("decision", "approve")}


def completion_check(*, spec_name: str, case_data: dict, form_data: dict, case) -> list[str]:
    """One adaptation per person and household, checked live (a case filed or approved
    since the application was filed counts): the later application cannot pass the
    township review nor be approved while an earlier one stands."""
    from engine.services import ActionRefused

    field, value = _GOING_ON.get(spec_name, (None, None))
    if field is None or form_data.get(field) != value:
        return []
    matches = adaptations_of_case(case)
    if matches:
        raise ActionRefused(adaptation_refusal_sentence(matches) +
                            ("，不能报县审批" if spec_name == "township_review" else "，不能批准"))
    return []


def case_notices(data: dict, *, case) -> list:
    """For staff: the household's other adaptations, with links to those cases."""
    matches = adaptations_of_case(case)
    if not matches:
        return []
    return [CaseNotice(text="重复申请：" + adaptation_matches_text(matches) +
                            "。同一户只能享受一次政府补贴的居家适老化改造",
                       cases=tuple(m["case_id"] for m in matches))]


PROCEDURE = Procedure(
    key="elderly_home_adaptation",
    name="居家适老化改造",
    bpmn="elderly_home_adaptation.bpmn",
    dmn=("elderly_home_adaptation_rules.dmn", "elderly_home_adaptation_subsidy.dmn"),
    description="分散供养特困、低保家庭中80周岁以上，或60至79周岁残疾、失能老年人的居家环境"
                "适老化改造补贴（按年度名额，一户一案）",
    case_title="居家适老化改造申请",
    application_form=forms.ApplicationForm,
    application_extra_data=application_extra_data,
    persons=persons,
    completion_check=completion_check,
    case_notices=case_notices,
    quotas=((QUOTA_KEY, "居家适老化改造（户）"),),
    # The diagram computes it once the works are checked: min(actual basic cost, cap).
    register_amount=("subsidy", "补贴金额（元）"),
    withdraw=application_withdraw,
    may_withdraw=may_withdraw,
    task_forms={
        "township_review": forms.TownshipReviewForm,
        "supplement": forms.SupplementForm,
        "county_review": forms.CountyReviewForm,
        "county_decide": forms.CountyDecisionForm,
        "assess": forms.AssessmentForm,
        "plan_review": forms.PlanReviewForm,
        "works": forms.WorksForm,
        "acceptance": forms.AcceptanceForm,
        "survey": forms.SurveyForm,
    },
    # What the outside bodies see (least privilege, engine.visibility): the assessor visits
    # the home (who, where, what is needed, the disability); the works provider builds to
    # the approved plan. Neither sees the ID number, the household's assistance category or
    # the certificates.
    visibility=VisibilityPolicy(task_views={
        "assess": TaskView(fields=("applicant_name", "phone", "village", "current_address",
                                   "disability", "needs")),
        "works": TaskView(fields=("applicant_name", "phone", "village", "current_address",
                                  "needs"),
                          steps=("assess", "plan_review"), documents=("elderly_home_plan",)),
    }),
    document_types=(
        DocumentType(code="elderly_home_plan", title="居家适老化改造评估表（改造方案）",
                     template="elderly_home/plan.html", series="适老方",
                     context=plan_context),
        DocumentType(code="elderly_home_acceptance", title="居家适老化改造竣工验收单",
                     template="elderly_home/acceptance.html", series="适老验",
                     context=acceptance_context),
        DocumentType(code="elderly_home_payment", title="居家适老化改造补贴发放通知",
                     template="elderly_home/payment.html", series="适老补",
                     context=payment_context),
        # Not a refusal: the applicant is eligible and approved, waiting for a place.
        DocumentType(code="elderly_home_waiting", title="居家适老化改造候补通知书",
                     template="elderly_home/waiting.html", series="适老候",
                     context=waiting_context),
        DocumentType(code="elderly_home_refusal", title="居家适老化改造不予批准通知书",
                     template="elderly_home/refusal.html", series="适老告", is_refusal=True,
                     context=refusal_context),
    ),
)
