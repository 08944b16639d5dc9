"""Forms of the annual inspection (社会组织年检) and of the revocation case (撤销登记).

The inspection has no application form: cases are opened by the county's campaign
(``services.campaign_open``), one per organisation.
"""
from datetime import date, timedelta

from django import forms
from django.utils import timezone

from ..common.fields import AmountField, AttachmentsField
from ..common.forms import TaskForm

REVIEW_CHOICES = [("pass", "同意，报送下一环节"), ("return", "退回组织补正")]
CONCLUSION_CHOICES = [("pass", "合格"), ("basic", "基本合格"), ("fail", "不合格")]
CONCLUSION_LABELS = dict(CONCLUSION_CHOICES)
AUDIT_CHOICES = [("not_required", "本年度无须审计"), ("audited", "已委托会计师事务所审计")]


def _required_in_chinese(form):
    for field in form.fields.values():
        field.error_messages["required"] = "此项为必填项"


class ReportForm(TaskForm):
    """年检报告书, filed online by the organisation (and again after a return)."""

    activities = forms.CharField(label="年度业务活动情况", max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 5}))
    income = AmountField(label="年度总收入（元）", allow_zero=True)
    expenditure = AmountField(label="年度总支出（元）", allow_zero=True)
    net_assets = AmountField(label="年末净资产（元）", allow_zero=True)
    audit = forms.ChoiceField(label="财务审计", choices=AUDIT_CHOICES,
                              help_text="换届、更换法定代表人或年收入超过500万元的须提交审计报告")
    audit_report = forms.CharField(label="审计机构及审计报告文号", max_length=200,
                                   required=False)
    officers = forms.CharField(label="负责人及理事（董事）名单", max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="每行一人：姓名 职务")
    changes = forms.CharField(label="本年度变更事项（名称、住所、法定代表人、章程等）",
                              max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    rectification_report = forms.CharField(
        label="整改情况报告", max_length=3000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="上一年度未参加年检或结论为基本合格、不合格的，须报告整改情况")
    declaration_confirmed = forms.BooleanField(
        label="年检报告书声明页已由法定代表人签字并加盖组织公章", required=True)
    attachments = AttachmentsField(label="年检报告书（签章页）及财务会计报告扫描件")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
        self.fields["declaration_confirmed"].error_messages["required"] = \
            "必须确认声明页已签字盖章才能报送"
        self.fields["attachments"].error_messages["required"] = \
            "请上传年检报告书签章页及财务会计报告"
        if not self.case_data.get("rectification_required"):
            self.fields["rectification_report"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("audit") == "audited" and not cleaned.get("audit_report", "").strip():
            self.add_error("audit_report", "已审计的，请填写审计机构及审计报告文号")
        if self.case_data.get("rectification_required") and not cleaned.get(
                "rectification_report", "").strip():
            self.add_error("rectification_report",
                           f"上一年度{self.case_data.get('last_year_result_label', '')}，"
                           f"须提交整改情况报告")
        return cleaned


class _ReviewForm(TaskForm):
    result_field = ""

    opinion = forms.CharField(label="审查意见", max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    return_reason = forms.CharField(label="需补正的全部内容（一次性告知）", required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(self.result_field) == "return" and not cleaned.get(
                "return_reason", "").strip():
            self.add_error("return_reason", "退回补正时必须一次性列明需补正的全部内容")
        return cleaned


class SupervisorReviewForm(_ReviewForm):
    """业务主管单位初审."""

    result_field = "supervisor_result"
    supervisor_result = forms.ChoiceField(label="初审意见", widget=forms.RadioSelect,
                                          choices=REVIEW_CHOICES)
    field_order = ["supervisor_result", "opinion", "return_reason"]


class CountyReviewForm(_ReviewForm):
    """登记管理机关审查 (county staff): optional site visit or audit, then a proposal."""

    result_field = "county_result"
    county_result = forms.ChoiceField(label="审查意见", widget=forms.RadioSelect,
                                      choices=[("pass", "审查完毕，提出年检结论建议"),
                                               ("return", "退回组织补正")])
    site_visit = forms.BooleanField(label="已进行实地核查或委托审计", required=False)
    proposed_conclusion = forms.ChoiceField(label="建议年检结论", choices=CONCLUSION_CHOICES,
                                            required=False)
    field_order = ["county_result", "site_visit", "proposed_conclusion", "opinion",
                   "return_reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("county_result") == "pass" and not cleaned.get("proposed_conclusion"):
            self.add_error("proposed_conclusion", "请提出建议年检结论")
        return cleaned


class ConclusionForm(TaskForm):
    """年检结论 (county leader): 基本合格 and 不合格 come with an order to rectify."""

    conclusion = forms.ChoiceField(label="年检结论", widget=forms.RadioSelect,
                                   choices=CONCLUSION_CHOICES)
    problems = forms.CharField(label="存在的问题", max_length=3000, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    rectification_deadline = forms.DateField(
        label="整改期限", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效日期，如2026-12-31"})
    conclusion_opinion = forms.CharField(label="审批意见", max_length=1000,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
        proposed = self.case_data.get("proposed_conclusion")
        if proposed:
            self.fields["conclusion"].initial = proposed

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("conclusion") in ("basic", "fail"):
            if not cleaned.get("problems", "").strip():
                self.add_error("problems", "基本合格或不合格的，必须写明存在的问题")
            deadline = cleaned.get("rectification_deadline")
            if deadline is None and "rectification_deadline" not in self.errors:
                self.add_error("rectification_deadline", "基本合格或不合格的，必须规定整改期限")
            elif deadline is not None and deadline <= timezone.localdate():
                self.add_error("rectification_deadline", "整改期限应晚于今天")
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        data["conclusion_label"] = CONCLUSION_LABELS[data["conclusion"]]
        if data["conclusion"] == "pass":
            data["problems"] = ""
            data["rectification_deadline"] = None
        return data


class SpotCheckForm(TaskForm):
    """抽查: an on-site check by two inspectors after a written notice."""

    notice_date = forms.DateField(label="书面通知日期",
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  error_messages={"invalid": "请输入有效日期"})
    check_date = forms.DateField(label="实地检查日期",
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 error_messages={"invalid": "请输入有效日期"})
    inspector_1 = forms.CharField(label="检查人员（一）", max_length=50)
    inspector_2 = forms.CharField(label="检查人员（二）", max_length=50)
    findings = forms.CharField(label="检查情况", max_length=3000,
                               widget=forms.Textarea(attrs={"rows": 4}))
    spot_result = forms.ChoiceField(label="检查结果", widget=forms.RadioSelect, choices=[
        ("ok", "未发现问题"), ("problems", "发现问题，责令整改")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("inspector_1"), cleaned.get("inspector_2")
        if one and two and one.strip() == two.strip():
            self.add_error("inspector_2", "实地检查须由两名检查人员进行，两人不能相同")
        notice, check = cleaned.get("notice_date"), cleaned.get("check_date")
        if notice and check and check < notice:
            self.add_error("check_date", "实地检查应在书面通知之后进行")
        return cleaned


class RevocationReviewForm(TaskForm):
    """撤销登记立案审查 (county staff)."""

    facts = forms.CharField(label="违法事实（未参加年检的年度、警告及列入异常名录情况）",
                            max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))
    recommendation = forms.ChoiceField(label="审查建议", widget=forms.RadioSelect, choices=[
        ("revoke", "建议撤销登记"), ("keep", "建议不予撤销")])
    review_opinion = forms.CharField(label="审查意见", max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
        if not self.is_bound and self.case_data.get("years_missed"):
            years = "、".join(f"{y}年度" for y in self.case_data["years_missed"])
            self.fields["facts"].initial = f"该组织{years}连续未参加年检。"

    def workflow_data(self):
        data = super().workflow_data()
        # What the 事先告知书 proposes; the decision may not be heavier (check_penalty).
        data["proposed_penalty"] = "revoke" if data["recommendation"] == "revoke" else "none"
        return data


# ---------------------------------------------------------------------------------------------
# Due process of penalties (《行政处罚法》 arts. 44-45, 63-64). The forms give the nicer
# message; ``services.action_penalty_decision_check`` enforces the same rules on every path.

# Measures for a missed report, lightest first. The decision may not be heavier than what the
# 行政处罚事先告知书 proposed (never increased because the organisation stated its case).
PENALTY_CHOICES = [("none", "不予处罚"), ("listing", "列入活动异常名录"),
                   ("warning", "警告并列入活动异常名录")]
PENALTY_LABELS = {**dict(PENALTY_CHOICES), "revoke": "撤销登记", "not_revoke": "不予撤销登记"}
PENALTY_SEVERITY = {"none": 0, "not_revoke": 0, "listing": 1, "warning": 2, "revoke": 3}
LEGAL_BASIS = ("《社会团体登记管理条例》第二十八条、第三十条，《民办非企业单位登记管理暂行条例》"
               "第二十三条、第二十五条，《社会组织信用信息管理办法》第十三条")
STATEMENT_CHOICES = [("statement", "提出陈述、申辩意见"), ("waive", "放弃陈述、申辩")]
HEARING_NOTICE_DAYS = 7  # 《行政处罚法》 art. 64: the hearing notice seven days ahead


class OverdueReviewForm(TaskForm):
    """逾期未报送 (county staff): the facts, the proposed measure and its reasons and legal
    basis, which the 行政处罚事先告知书 states. Proposing no penalty goes straight to the
    decision (which then cannot impose one)."""

    penalty_facts = forms.CharField(label="违法事实", max_length=3000,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    proposed_penalty = forms.ChoiceField(label="拟处理意见", widget=forms.RadioSelect,
                                         choices=PENALTY_CHOICES)
    penalty_reasons = forms.CharField(label="理由", max_length=3000,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label="法律依据", max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
        if not self.is_bound:
            data = self.case_data
            try:
                deadline = date.fromisoformat(str(data.get("report_deadline")))
                deadline_text = f"{deadline.year}年{deadline.month}月{deadline.day}日"
            except ValueError:
                deadline_text = "报送截止日期"
            self.fields["penalty_facts"].initial = (
                f"你单位未在{deadline_text}前报送{data.get('year', '')}"
                f"年度年检报告书，未按规定参加{data.get('year', '')}年度年检。")
            self.fields["proposed_penalty"].initial = "warning"
            self.fields["legal_basis"].initial = LEGAL_BASIS

    def workflow_data(self):
        data = super().workflow_data()
        data["proposed_penalty_label"] = PENALTY_LABELS[data["proposed_penalty"]]
        return data


class PenaltyStatementForm(TaskForm):
    """陈述、申辩, filed online by the organisation within the notice's period."""

    answer_choices = STATEMENT_CHOICES
    answer = forms.ChoiceField(label="答复", widget=forms.RadioSelect, choices=())
    statement = forms.CharField(label="陈述、申辩意见（事实、理由及证据）", max_length=3000,
                                required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
        self.fields["answer"].choices = self.answer_choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "statement" and not cleaned.get("statement", "").strip():
            self.add_error("statement", "请写明陈述、申辩的事实和理由")
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        data["answer_label"] = dict(self.answer_choices)[data["answer"]]
        return data


class RevocationStatementForm(PenaltyStatementForm):
    """陈述、申辩 or a request for a hearing (听证) before revocation."""

    answer_choices = [("statement", "提出陈述、申辩意见"), ("hearing", "申请听证"),
                      ("waive", "放弃陈述、申辩和听证")]


def _statement_help(case_data: dict) -> str:
    answer = case_data.get("answer_label")
    if not answer:
        return "当事人在期限内未陈述、申辩（视为放弃）" if case_data.get(
            "proposed_penalty") not in (None, "none") else ""
    statement = case_data.get("statement") or ""
    return f"当事人答复：{answer}{('：' + statement) if statement else ''}"


def _late_filing_help(case_data: dict) -> str:
    """The decider sees a late report (补报) filed on the other branch of the case."""
    from .models import InspectionRecord

    if not case_data.get("org_id") or not case_data.get("year"):
        return ""
    filed = (InspectionRecord.objects.filter(organisation_id=case_data["org_id"],
                                             year=case_data["year"])
             .values_list("filed_late_on", flat=True).first())
    return f"该组织已于{filed.isoformat()}补报年检报告书" if filed else "该组织尚未补报年检报告书"


class PenaltyDecisionForm(TaskForm):
    """处理决定 (county leader) after the notice and the statement period; only measures no
    heavier than the notice proposed are offered."""

    decision = forms.ChoiceField(label="处理决定", widget=forms.RadioSelect, choices=())
    decision_reason = forms.CharField(label="决定的事实、理由和依据（含对陈述申辩意见的采纳情况）",
                                      max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))
    all_choices = PENALTY_CHOICES

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
        ceiling = PENALTY_SEVERITY.get(self.case_data.get("proposed_penalty") or "none", 0)
        self.fields["decision"].choices = [
            (code, label) for code, label in self.all_choices
            if PENALTY_SEVERITY[code] <= ceiling]
        self.fields["decision"].help_text = "；".join(
            part for part in (_statement_help(self.case_data), _late_filing_help(self.case_data))
            if part)
        self.fields["decision"].error_messages["invalid_choice"] = \
            "处理决定不得重于事先告知的拟处理意见，且未经事先告知不得处罚"

    def workflow_data(self):
        data = super().workflow_data()
        data["decision_label"] = PENALTY_LABELS[data["decision"]]
        return data


class RevocationDecisionForm(PenaltyDecisionForm):
    """撤销登记决定 (county leader)."""

    all_choices = [("revoke", "撤销登记"), ("not_revoke", "不予撤销登记")]


class HearingScheduleForm(TaskForm):
    """安排听证: the hearing notice goes out at least seven days before the hearing."""

    hearing_date = forms.DateField(label="听证日期",
                                   widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"),
                                   error_messages={"invalid": "请输入有效日期"})
    hearing_place = forms.CharField(label="听证地点", max_length=200)
    presiding_officer = forms.CharField(label="听证主持人（非本案调查人员）", max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)

    def clean_hearing_date(self):
        value = self.cleaned_data["hearing_date"]
        earliest = timezone.localdate() + timedelta(days=HEARING_NOTICE_DAYS)
        if value < earliest:
            raise forms.ValidationError(
                f"应当在举行听证的七日前通知当事人，听证日期不得早于{earliest.isoformat()}")
        return value


class HearingRecordForm(TaskForm):
    """听证笔录: held on the notified date; the organisation's statements and the officer's
    opinion go to the decider."""

    hearing_held_on = forms.DateField(label="举行日期",
                                      widget=forms.DateInput(attrs={"type": "date"},
                                                             format="%Y-%m-%d"),
                                      error_messages={"invalid": "请输入有效日期"})
    hearing_participants = forms.CharField(label="参加人员", max_length=1000,
                                           widget=forms.Textarea(attrs={"rows": 2}))
    hearing_statement = forms.CharField(label="当事人陈述、申辩和质证意见", max_length=5000,
                                        widget=forms.Textarea(attrs={"rows": 4}))
    hearing_opinion = forms.CharField(label="听证主持人意见", max_length=3000,
                                      widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)

    def clean_hearing_held_on(self):
        value = self.cleaned_data["hearing_held_on"]
        scheduled = self.case_data.get("hearing_date")
        if value > timezone.localdate():
            raise forms.ValidationError("听证尚未举行，不能提前制作听证笔录")
        if scheduled and value < date.fromisoformat(scheduled):
            raise forms.ValidationError(f"听证应在通知的日期（{scheduled}）举行")
        return value
