"""Forms of the annual inspection (社会组织年检) and of the revocation case (撤销登记).

The inspection has no application form: cases are opened by the county's campaign
(``services.campaign_open``), one per organisation.
"""
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


class RevocationDecisionForm(TaskForm):
    """撤销登记决定 (county leader)."""

    decision = forms.ChoiceField(label="决定", widget=forms.RadioSelect, choices=[
        ("revoke", "撤销登记"), ("not_revoke", "不予撤销登记")])
    decision_reason = forms.CharField(label="决定的事实、理由和依据", max_length=3000,
                                      widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required_in_chinese(self)
