"""Social-organisation annual inspection (社会组织年检) and revocation of registration
(撤销登记).

Basis: 《社会团体登记管理条例》 art. 28, 《民办非企业单位登记管理暂行条例》 art. 23, 民政部令第27号,
《社会组织抽查暂行办法》 (民发〔2017〕45号). Diagrams: bpmn/annual_inspection.bpmn and
bpmn/org_revocation.bpmn. Cases are opened by the county's yearly campaign
(``services.campaign_open``), not by an application form.
"""
from datetime import date

from engine.registry import DocumentType, register_action
from engine.visibility import TaskView, VisibilityPolicy

from ..registry import Procedure
from . import forms, services

register_action("annual_inspection_record_conclusion", services.action_record_conclusion)
register_action("annual_inspection_list_abnormal", services.action_list_abnormal)
register_action("annual_inspection_open_revocation", services.action_open_revocation)
register_action("annual_inspection_record_spot_check", services.action_record_spot_check)
register_action("org_revocation_revoke", services.action_revoke)
register_action("annual_inspection_record_late_filing", services.action_record_late_filing)
register_action("annual_inspection_record_not_filed", services.action_record_not_filed)
register_action("penalty_decision_check", services.action_penalty_decision_check)
register_action("penalty_hearing_check", services.action_penalty_hearing_check)
register_action("penalty_hearing_schedule_check",
                services.action_penalty_hearing_schedule_check)


def conclusion_context(data: dict) -> dict:
    return {
        "conclusion_label": forms.CONCLUSION_LABELS.get(data.get("conclusion"), ""),
        "needs_rectification": data.get("conclusion") in ("basic", "fail"),
    }


def years_context(data: dict) -> dict:
    years = data.get("years_missed") or []
    return {"years_missed_text": "、".join(f"{year}年度" for year in years)}


def _cn_date(value) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def penalty_context(data: dict) -> dict:
    """What the notice and the decisions say about the procedure the case actually took:
    the proposed measure, whether and how the organisation answered, a late report."""
    answer = data.get("answer")
    return {
        "proposed_label": forms.PENALTY_LABELS.get(data.get("proposed_penalty"), ""),
        "decision_label": forms.PENALTY_LABELS.get(data.get("decision"), ""),
        "statement_given": answer == "statement",
        "statement_waived": answer == "waive",
        "statement_lapsed": not answer,
        "late_report_until_text": _cn_date(data.get("late_report_until")),
        "report_deadline_text": _cn_date(data.get("report_deadline")),
    }


def revocation_context(data: dict) -> dict:
    return {**years_context(data), **penalty_context(data),
            "hearing_requested": data.get("answer") == "hearing",
            "hearing_held": bool(data.get("hearing_held_on")),
            "hearing_date_text": _cn_date(data.get("hearing_date")),
            "hearing_held_text": _cn_date(data.get("hearing_held_on"))}


PROCEDURE = Procedure(
    urls="workflows.annual_inspection.urls",
    staff_pages=(("社会组织年检", "annual_inspection:campaign"),
                 ("社会组织抽查结果", "annual_inspection:spot_checks")),
    key=services.PROCEDURE_KEY,
    name="社会组织年检",
    bpmn="annual_inspection.bpmn",
    description="社会团体、民办非企业单位年度检查：网上报送年检报告书，业务主管单位初审，"
                "登记管理机关审查并作出年检结论",
    case_title="社会组织年检",
    task_forms={
        "file_report": forms.ReportForm,
        "correct_report": forms.ReportForm,
        "supervisor_review": forms.SupervisorReviewForm,
        "county_review": forms.CountyReviewForm,
        "conclude": forms.ConclusionForm,
        "spot_check": forms.SpotCheckForm,
        "late_report": forms.ReportForm,
        "overdue_review": forms.OverdueReviewForm,
        "penalty_statement": forms.PenaltyStatementForm,
        "penalty_decide": forms.PenaltyDecisionForm,
    },
    # The supervising unit (业务主管单位) reviews the report it is sent, nothing else.
    visibility=VisibilityPolicy(task_views={
        "supervisor_review": TaskView(steps=("file_report", "correct_report", "late_report"),
                                      attachments=("attachments",)),
    }),
    document_types=(
        DocumentType(code="inspection_conclusion", title="年检结论通知书",
                     template="annual_inspection/conclusion.html", series="社检",
                     context=conclusion_context),
        DocumentType(code="inspection_rectification", title="整改通知书",
                     template="annual_inspection/rectification.html", series="社整",
                     context=conclusion_context),
        # 不合格 is an adverse decision: same notice, with the appeal sentence.
        DocumentType(code="inspection_rectification_fail", title="整改通知书",
                     template="annual_inspection/rectification.html", series="社责",
                     is_refusal=True, context=conclusion_context),
        DocumentType(code="inspection_penalty_notice", title="行政处罚事先告知书",
                     template="annual_inspection/penalty_notice.html", series="社告",
                     context=penalty_context),
        DocumentType(code="inspection_warning", title="警告及列入活动异常名录决定书",
                     template="annual_inspection/warning.html", series="社警",
                     is_refusal=True, context=penalty_context),
        DocumentType(code="inspection_listing", title="列入活动异常名录决定书",
                     template="annual_inspection/warning.html", series="社列",
                     is_refusal=True, context=penalty_context),
        DocumentType(code="inspection_no_penalty", title="不予行政处罚决定书",
                     template="annual_inspection/no_penalty.html", series="社免",
                     context=penalty_context),
    ),
)

REVOCATION_PROCEDURE = Procedure(
    key=services.REVOCATION_KEY,
    name="社会组织撤销登记",
    bpmn="org_revocation.bpmn",
    description="连续两年未参加年检的社会组织，由登记管理机关依法撤销登记",
    case_title="社会组织撤销登记",
    task_forms={
        "revocation_review": forms.RevocationReviewForm,
        "revocation_statement": forms.RevocationStatementForm,
        "hearing_schedule": forms.HearingScheduleForm,
        "hearing_record": forms.HearingRecordForm,
        "revocation_decide": forms.RevocationDecisionForm,
    },
    document_types=(
        DocumentType(code="org_revocation_notice", title="行政处罚听证告知书",
                     template="annual_inspection/revocation_notice.html", series="社撤告",
                     context=revocation_context),
        DocumentType(code="org_revocation_hearing_notice", title="听证通知书",
                     template="annual_inspection/hearing_notice.html", series="社听",
                     context=revocation_context),
        DocumentType(code="org_revocation_decision", title="撤销登记行政处罚决定书",
                     template="annual_inspection/revocation_decision.html", series="社撤",
                     is_refusal=True, context=revocation_context),
        DocumentType(code="org_revocation_not_revoked", title="不予撤销登记决定书",
                     template="annual_inspection/not_revoked.html", series="社不撤",
                     context=revocation_context),
    ),
)
