"""Cemetery approval (公墓审批): 《殡葬管理条例》 arts. 8–10, 《公墓管理暂行办法》 arts. 8–10.

Diagram: bpmn/cemetery_approval.bpmn. The departments the county consults on a public-welfare
cemetery come from bpmn/cemetery_approval_departments.dmn (supervisors edit the list; the
code never names a department).
"""
from decimal import Decimal

from engine.registry import DocumentType
from engine.visibility import TaskView, VisibilityPolicy

from ..registry import Procedure
from . import forms, selectors


def _number(value) -> str:
    """12.5 → "12.5", 12.0 → "12", 0.80 → "0.8" (亩, 平方米 as written in a 批复)."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(str(value)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _sentence(text) -> str:
    """Free text printed as a sentence: ends with a full stop."""
    text = (text or "").strip()
    return text if not text or text[-1] in "。！？；.!?;" else text + "。"


def _departments_consulted(data: dict) -> list[str]:
    return [selectors.department_label(name) for name in data.get("departments") or []]


def approval_context(data: dict) -> dict:
    """关于同意建设XX公墓的批复."""
    return {
        "cemetery_name": data.get("cemetery_name", ""),
        "area_mu": _number(data.get("approved_area_mu")),
        "graves": data.get("approved_graves"),
        "plot_limit": _number(data.get("approved_plot_limit")),
        "departments_consulted": "、".join(_departments_consulted(data)),
        "land_conditions": _sentence(data.get("land_conditions")),
    }


def refusal_context(data: dict) -> dict:
    """不予许可决定书: the county bureau's refusal (after its review of an operating cemetery,
    or after consulting the departments on a public-welfare one). A township's disagreement
    is not a licensing decision: see township_opinion_context."""
    operating = data.get("cemetery_type") == forms.OPERATING
    hits = forms.site_hits_of(data)
    return {
        "cemetery_type_label": dict(forms.CEMETERY_TYPES).get(data.get("cemetery_type"), ""),
        "operating": operating,
        "reason": _sentence(data.get("refusal_reason")),
        "site_hits": "、".join(hits),
        "dissent": [{"department": selectors.department_label(r["department"]),
                     "opinion": r.get("opinion", "")}
                    for r in selectors.dissenting_departments(data)],
    }


def township_opinion_context(data: dict) -> dict:
    """乡镇人民政府不同意建设农村公益性墓地意见书: the township's own review-stage opinion."""
    return {
        "cemetery_type_label": dict(forms.CEMETERY_TYPES).get(data.get("cemetery_type"), ""),
        "reason": _sentence(data.get("refusal_reason")),
        "opinion": _sentence(data.get("township_opinion")),
        "site_hits": "、".join(forms.site_hits_of(data)),
    }


def forward_result_context(data: dict) -> dict:
    """转报结果告知书: the province's decision, quoting its document number."""
    return {
        "cemetery_name": data.get("cemetery_name", ""),
        "approved": bool(data.get("provincial_approved")),
        "provincial_doc_number": data.get("provincial_doc_number", ""),
        "provincial_date": data.get("provincial_date"),
        "remark": _sentence(data.get("provincial_remark")),
    }


PROCEDURE = Procedure(
    key="cemetery_approval",
    name="公墓审批",
    bpmn="cemetery_approval.bpmn",
    dmn=("cemetery_approval_departments.dmn",),
    description="农村公益性墓地经乡镇人民政府审核同意后报县民政局审批；"
                "经营性公墓经县民政局审核同意后报省级民政部门审批",
    case_title="公墓建设申请",
    application_form=forms.ApplicationForm,
    task_forms={
        "supplement": forms.SupplementForm,
        "township_review": forms.TownshipReviewForm,
        "township_decide": forms.TownshipDecisionForm,
        "department_opinion": forms.DepartmentOpinionForm,
        "county_summary": forms.CountySummaryForm,
        "county_decide": forms.CountyDecisionForm,
        "county_review": forms.CountyReviewForm,
        "county_forward_decide": forms.CountyForwardDecisionForm,
        "record_provincial_result": forms.ProvincialResultForm,
    },
    # A consulted department (自然资源, 林业, 生态环境 ...) judges the site and the scale:
    # it sees those, the township's site check and the planning material, not the contacts
    # or the finances (least privilege, engine.visibility).
    visibility=VisibilityPolicy(task_views={
        "department_opinion": TaskView(
            fields=("cemetery_type", "applicant_name", "village", "cemetery_name", "location",
                    "area_mu", "graves", "plot_size_limit", "land_status"),
            attachments=("feasibility_report", "planning_scheme", "land_assessment",
                         "planning_assessment", "environmental_assessment"),
            steps=("township_review",), documents=("cemetery_township_opinion",)),
    }),
    document_types=(
        # The licensing documents are the county bureau's alone (decided_by): a diagram
        # that lets a township's completion lead to one is refused at deploy and at issue.
        DocumentType(code="cemetery_approval", title="关于同意建设公墓的批复",
                     template="cemetery/approval.html", series="墓批",
                     context=approval_context, decided_by=("county",)),
        DocumentType(code="cemetery_refusal", title="不予许可决定书",
                     template="cemetery/refusal.html", series="墓不许",
                     is_refusal=True, context=refusal_context, decided_by=("county",)),
        DocumentType(code="cemetery_forward_result", title="转报结果告知书",
                     template="cemetery/forward_result.html", series="墓转",
                     context=forward_result_context, decided_by=("county",)),
        DocumentType(code="cemetery_township_opinion",
                     title="乡镇人民政府不同意建设农村公益性墓地意见书",
                     template="cemetery/township_opinion.html", series="墓审",
                     context=township_opinion_context, decided_by=("township",)),
    ),
)
