"""Forms of temporary relief (临时救助): the application and each step's form."""
from decimal import Decimal

from django import forms

from engine.authority import yuan
from engine.models import Unit, UnitLevel

from ..common.fields import (
    AmountField,
    AttachmentsField,
    IdNumberField,
    PhoneField,
    parse_household_members,
)
from ..common.forms import TaskForm
from .selectors import household_cases_text


def duplicate_reason_field() -> forms.CharField:
    return forms.CharField(
        label="重复申请核查说明", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="本户（户主或家庭成员）本期已有救助或申请时必填：核实情况及继续办理的理由")


class DuplicateReasonMixin:
    """A review that lets the case go on towards a grant while the household already has a
    grant or an open application in the period must say why (the procedure's completion
    check enforces it server-side, with applications filed since)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = self.case_data.get("household_cases") or []
        if rows:
            self.fields["duplicate_reason"].help_text = (
                "重复申请核查：" + household_cases_text(rows) + "。请核实并说明继续办理的理由")

    def _duplicates_check(self, cleaned, continuing: bool):
        if continuing and self.case_data.get("household_cases") and \
                not cleaned.get("duplicate_reason", "").strip():
            self.add_error("duplicate_reason",
                           "本户本期已有救助或申请，继续办理须说明核查情况和理由")


HARDSHIP_TYPES = [
    ("accident", "遭遇火灾、交通事故等意外事件"),
    ("illness", "突发重大疾病"),
    ("expense", "生活必需支出突然增加超出承受能力"),
    ("other", "其他特殊困难"),
]
GENDERS = [("男", "男"), ("女", "女")]
PAYMENT_METHODS = [("bank", "社会化发放（一卡通/银行账户）"), ("cash", "现金")]


class ApplicationForm(forms.Form):
    """临时救助申请 (filed by the applicant, or by village staff on their behalf)."""

    applicant_name = forms.CharField(label="户主姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=GENDERS)
    id_number = IdNumberField()
    phone = PhoneField()
    village = forms.ModelChoiceField(label="户籍所在村（社区）",
                                     queryset=Unit.objects.filter(level=UnitLevel.VILLAGE),
                                     empty_label="请选择")
    current_address = forms.CharField(label="现居住地址", max_length=200)
    members_text = forms.CharField(
        label="家庭成员", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一人：姓名 身份证号 关系，如：李梅 330702198503150021 配偶")
    hardship_type = forms.ChoiceField(label="困难类型", choices=HARDSHIP_TYPES)
    description = forms.CharField(label="困难情况说明", max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    monthly_income = AmountField(label="家庭月收入（元）", allow_zero=True)
    previous_grants_count = forms.IntegerField(label="本年度已获临时救助次数", min_value=0,
                                               initial=0)
    previous_grants_total = AmountField(label="本年度已获临时救助金额（元）", allow_zero=True,
                                        initial=0)
    requested_amount = AmountField(label="申请救助金额（元）")
    bank_account = forms.RegexField(label="一卡通/银行账号", regex=r"^\d{12,30}$",
                                    error_messages={"invalid": "账号应为12至30位数字"})
    attachments = AttachmentsField(
        label="证明材料（费用票据、诊断证明、事故证明、低保/特困证等）", required=False)
    urgent = forms.BooleanField(label="急难型，申请先行救助", required=False)
    authorization_signed = forms.BooleanField(
        label="已签署家庭经济状况核对授权书", required=True,
        error_messages={"required": "必须签署家庭经济状况核对授权书才能申请"})

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields["village"].queryset = villages
        for name, field in self.fields.items():
            if name != "authorization_signed":
                field.error_messages["required"] = "此项为必填项"

    def clean_members_text(self):
        return parse_household_members(self.cleaned_data["members_text"])

    def clean(self):
        cleaned = super().clean()
        count, total = cleaned.get("previous_grants_count"), cleaned.get("previous_grants_total")
        if count == 0 and total:
            self.add_error("previous_grants_total", "本年度救助次数为0时金额应为0")
        return cleaned


class AcceptanceForm(TaskForm):
    """受理审查 at the township window: accept, return once for material, or refuse."""

    acceptance = forms.ChoiceField(label="受理意见", widget=forms.RadioSelect, choices=[
        ("accept", "材料齐全，予以受理"),
        ("return", "材料不全，一次性告知补正"),
        ("reject", "不符合申请条件，不予受理"),
    ])
    missing_items = forms.CharField(label="需补正的全部材料（一次性告知）", required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    refusal_reason = forms.CharField(label="不予受理的理由", required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("acceptance")
        if choice == "return":
            if self.case_data.get("returned_once"):
                self.add_error("acceptance", "本申请已一次性告知补正过，不能再次退回；"
                                             "请受理或书面说明不予受理的理由")
            if not cleaned.get("missing_items", "").strip():
                self.add_error("missing_items", "退回补正时必须一次性列明全部需补正的材料")
        if choice == "reject" and not cleaned.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", "不予受理必须书面说明理由")
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        if data["acceptance"] == "return":
            data["returned_once"] = True
        return data


class SupplementForm(TaskForm):
    """补正材料 by the applicant (or village staff on their behalf)."""

    supplement_note = forms.CharField(label="补正材料说明", max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    attachments = AttachmentsField(label="补正材料", required=False)


class TwoInvestigatorsMixin:
    """Household visits are made by at least two staff, who both sign."""

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("investigator_1"), cleaned.get("investigator_2")
        if one and two and one.strip() == two.strip():
            self.add_error("investigator_2", "入户调查须由两名工作人员进行，两人不能相同")
        return cleaned


class InvestigationForm(TwoInvestigatorsMixin, TaskForm):
    """入户调查: at least two staff visit the household and both sign."""

    visit_date = forms.DateField(label="入户调查日期",
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    investigator_1 = forms.CharField(label="调查人（一）", max_length=50)
    investigator_2 = forms.CharField(label="调查人（二）", max_length=50)
    household_findings = forms.CharField(label="入户调查情况", max_length=2000,
                                         widget=forms.Textarea(attrs={"rows": 4}))
    proposed_amount = AmountField(label="建议救助金额（元）")
    village_opinion = forms.CharField(label="村（居）委会意见", max_length=1000,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def workflow_data(self):
        # Documents say "经入户调查" only when this step was done (see procedure.py).
        return {**super().workflow_data(), "investigated": True}


class TownshipReviewForm(DuplicateReasonMixin, TaskForm):
    """乡镇审核: economic-status check result, confirmed amount and recommendation."""

    economic_check = forms.ChoiceField(label="家庭经济状况核对结果", choices=[
        ("eligible", "符合条件"), ("ineligible", "不符合条件")])
    amount = AmountField(label="审核救助金额（元）")
    recommendation = forms.ChoiceField(label="审核意见", widget=forms.RadioSelect, choices=[
        ("grant", "拟给予救助（进入公示）"), ("refuse", "拟不予救助")])
    review_opinion = forms.CharField(label="乡镇审核意见", max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    refusal_reason = forms.CharField(label="不予救助的理由", required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    duplicate_reason = duplicate_reason_field()

    def clean(self):
        cleaned = super().clean()
        self._duplicates_check(cleaned, cleaned.get("recommendation") == "grant")
        if cleaned.get("recommendation") == "refuse" and not cleaned.get(
                "refusal_reason", "").strip():
            self.add_error("refusal_reason", "拟不予救助必须写明理由")
        if cleaned.get("economic_check") == "ineligible" and \
                cleaned.get("recommendation") == "grant":
            self.add_error("recommendation", "经济状况核对不符合条件的，不能拟给予救助")
        return cleaned

    def workflow_data(self):
        # A (new) review opens a new notice round: no notice has been held for it yet. The
        # notice segment sets ``notice_held`` when its period ends without an upheld objection.
        data = super().workflow_data()
        # The decision's form writes ``refusal_reason`` too; the review keeps its own copy.
        return {**data, "notice_held": False, "review_refusal_reason": data["refusal_reason"]}


class ObjectionReviewForm(TaskForm):
    """异议核查: the township checks the objection(s) to the public notice. Upheld → the
    notice is withdrawn and the case goes back to investigation; not upheld → the notice
    resumes with the time it had left."""

    objection_outcome = forms.ChoiceField(label="核查结论", widget=forms.RadioSelect, choices=[
        ("uphold", "异议成立，撤回公示，重新入户调查"),
        ("reject", "异议不成立，恢复公示计时")])
    objection_review_note = forms.CharField(label="核查情况", max_length=2000,
                                            widget=forms.Textarea(attrs={"rows": 3}))


class NoticeResultForm(TaskForm):
    """公示结果登记 of diagram versions before the engine's public notice (a bare 7-day timer
    then this staff step): kept so cases still running on such a version can finish."""

    objection = forms.TypedChoiceField(
        label="公示结果", widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("no", "公示期满无异议"), ("yes", "有异议，重新调查")])
    objection_detail = forms.CharField(label="异议内容", required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("objection") and not cleaned.get("objection_detail", "").strip():
            self.add_error("objection_detail", "请填写异议内容")
        return cleaned

    def workflow_data(self):
        # The notice period ended; without an objection the notice counts as held.
        data = super().workflow_data()
        return {**data, "notice_held": not data["objection"]}


class CountyReviewForm(TaskForm):
    """县民政局科室审核."""

    county_opinion = forms.CharField(label="科室审核意见", max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(TaskForm):
    """审批 (township leader, county leader, or collective decision)."""

    decision = forms.ChoiceField(label="审批决定", widget=forms.RadioSelect, choices=[
        ("approve", "同意救助"), ("refuse", "不予救助"),
        ("escalate", "超出本级审批权限，报上级审批")])
    approved_amount = AmountField(label="批准救助金额（元）", required=False)
    payment_method = forms.ChoiceField(label="发放方式", choices=PAYMENT_METHODS,
                                       required=False)
    decision_opinion = forms.CharField(label="审批意见", max_length=1000,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    refusal_reason = forms.CharField(label="不予救助的事实和理由", required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    # Decision authority (审批权限): above this level's limit the case goes up a level.
    escalated_amount = AmountField(label="报上级审批的建议金额（元）", required=False)
    escalation_reason = forms.CharField(label="报上级审批的理由", required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label="不采纳乡镇审核意见的理由", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="审批决定与乡镇审核意见不一致时必填，将写入决定文书")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        proposed = self.case_data.get("escalated_amount") or self.case_data.get("amount")
        if proposed:
            self.fields["approved_amount"].initial = proposed
        self.authority = self.case_data.get("decision_authority") or {}
        if self.authority.get("limit") is not None:
            self.fields["approved_amount"].help_text = \
                f"本级审批权限：≤{yuan(self.authority['limit'])}元"
        if self.case_data.get("override_reason"):  # deciding again after the notice
            self.fields["override_reason"].initial = self.case_data["override_reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "approve":
            if not cleaned.get("approved_amount"):
                self.add_error("approved_amount", "同意救助时必须填写批准金额")
            if not cleaned.get("payment_method"):
                self.add_error("payment_method", "请选择发放方式")
            # The engine refuses this too (engine.authority); here only for a nicer message.
            limit = self.authority.get("limit")
            amount = cleaned.get("approved_amount")
            if limit is not None and amount and amount > Decimal(str(limit)):
                self.add_error("approved_amount",
                               f"批准金额 {yuan(amount)} 元超过本级审批权限（{yuan(limit)} 元），"
                               f"请选择“报上级审批”")
        if cleaned.get("decision") == "refuse" and not cleaned.get(
                "refusal_reason", "").strip():
            self.add_error("refusal_reason", "不予救助必须书面说明事实和理由")
        if cleaned.get("decision") == "escalate":
            if not cleaned.get("escalated_amount"):
                self.add_error("escalated_amount", "报上级审批时请填写建议救助金额")
            if not cleaned.get("escalation_reason", "").strip():
                self.add_error("escalation_reason", "报上级审批必须写明理由")
        # The same rule the procedure's completion check enforces server-side.
        from .procedure import override_required

        message = override_required(self.case_data, cleaned)
        if message and not cleaned.get("override_reason", "").strip():
            self.add_error("override_reason", message)
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        if data.get("decision") == "escalate":
            # Nothing is granted at this level: the upper level fills in its own amount.
            data["approved_amount"] = None
            data["payment_method"] = ""
        return data


class CollectiveDecisionForm(DecisionForm):
    """一事一议: the county decides collectively and keeps the meeting record."""

    meeting_record = forms.CharField(label="集体研究会议记录（时间、参会人员、结论）",
                                     max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The collective decision is the county's highest level: the diagram has no level
        # above it to send the case to.
        self.fields["decision"].choices = [
            choice for choice in self.fields["decision"].choices if choice[0] != "escalate"]
        for name in ("escalated_amount", "escalation_reason"):
            del self.fields[name]
    def workflow_data(self):
        # Documents say "经集体研究（一事一议）" only when this step decided.
        return {**super().workflow_data(), "collective_decided": True}


class UrgentReviewForm(DuplicateReasonMixin, TaskForm):
    """急难型先行救助核实: facts and amount, within hours."""

    urgent_facts = forms.CharField(label="急难情况核实", max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    amount = AmountField(label="先行救助金额（元）")
    duplicate_reason = duplicate_reason_field()

    def clean(self):
        cleaned = super().clean()
        self._duplicates_check(cleaned, True)
        return cleaned

    def workflow_data(self):
        return {**super().workflow_data(), "urgent_reviewed": True}


FOLLOW_UP_OUTCOMES = [
    ("confirm", "确认：核实情况与先行救助一致"),
    ("adjust", "调整金额"),
    ("recover", "追回：不符合救助条件，追回已发放的救助金"),
]


class UrgentPaperworkForm(TwoInvestigatorsMixin, TaskForm):
    """补办手续 within 5 working days after an urgent grant."""

    visit_date = forms.DateField(label="补充调查日期",
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    investigator_1 = forms.CharField(label="调查人（一）", max_length=50)
    investigator_2 = forms.CharField(label="调查人（二）", max_length=50)
    filing_note = forms.CharField(label="签字及报县备案情况", max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_findings = forms.CharField(label="补充调查核实的事实", max_length=2000,
                                         widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_outcome = forms.ChoiceField(label="核实结论", widget=forms.RadioSelect,
                                          choices=FOLLOW_UP_OUTCOMES)
    adjusted_amount = AmountField(label="调整后的救助金额（元）", required=False)
    recovery_amount = AmountField(label="应追回金额（元）", required=False)
    follow_up_reason = forms.CharField(label="调整或追回的理由和依据", required=False,
                                       max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        from .procedure import follow_up_problems

        for field, message in follow_up_problems(self.case_data, cleaned):
            self.add_error(field, message)
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        if data["follow_up_outcome"] != "adjust":
            data["adjusted_amount"] = None
        if data["follow_up_outcome"] != "recover":
            data["recovery_amount"] = None
        return {**data, "investigated": True}
