"""Forms of the elderly-home adaptation (居家适老化改造): the application and each step's form.

Eligibility itself (age, 特困/低保, disability, exclusions) is decided by the table
bpmn/elderly_home_adaptation_rules.dmn, which supervisors edit; these forms validate fields
and hold staff to what the table and the quota say.
"""
import hashlib
from decimal import Decimal

from django import forms

from engine.models import Unit, UnitLevel

from ..common.fields import (
    AmountField,
    AttachmentsField,
    IdNumberField,
    PhoneField,
    parse_household_members,
    to_json_value,
)
from ..common.forms import TaskForm
from .models import ItemCategory
from .selectors import (
    adaptation_matches_text,
    adaptation_refusal_sentence,
    catalogue_items,
    quota_summary,
    township_quota,
)

ASSISTANCE_STATUSES = [
    ("tekun", "分散供养特困人员"),
    ("dibao", "最低生活保障对象"),
    ("none", "以上均不是"),
]
DISABILITIES = [
    ("none", "无"),
    ("disabled", "持有残疾人证"),
    ("incapacitated", "失能或部分失能（生活不能自理）"),
]
HOME_RIGHTS = [
    ("own", "自有产权"),
    ("long_term", "长期使用权（如公房租赁、子女房屋长期居住）"),
    ("none", "无产权也无长期使用权"),
]
YES_NO = [("no", "否"), ("yes", "是")]
SATISFACTION = [
    ("very_satisfied", "非常满意"),
    ("satisfied", "满意"),
    ("basic", "基本满意"),
    ("dissatisfied", "不满意"),
]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect,
                                  coerce=lambda value: value == "yes")


def _chinese_required(form: forms.Form, keep: tuple[str, ...] = ()) -> None:
    for name, field in form.fields.items():
        if name not in keep:
            field.error_messages["required"] = "此项为必填项"


def file_refs(files) -> list[str]:
    """Photo and invoice references printed on the 验收单: file name and the first 12 hex
    digits of its SHA-256, which match the stored attachment, so a printed reference can be
    checked against the file in the case."""
    refs = []
    for upload in files or []:
        content = upload.read()
        upload.seek(0)  # the attachment service reads the file again
        refs.append(f"{upload.name}（SHA256:{hashlib.sha256(content).hexdigest()[:12]}）")
    return refs


class ApplicationForm(forms.Form):
    """居家适老化改造申请 (by the elderly person, or by village staff on their behalf)."""

    applicant_name = forms.CharField(label="申请人姓名", max_length=50)
    id_number = IdNumberField()
    phone = PhoneField()
    village = forms.ModelChoiceField(label="户籍所在村（社区）",
                                     queryset=Unit.objects.filter(level=UnitLevel.VILLAGE),
                                     empty_label="请选择")
    current_address = forms.CharField(label="实际居住地址", max_length=200)
    # One adaptation per household (一户一案): everyone living in the home is checked
    # against earlier adaptations (engine.persons).
    household_members = forms.CharField(
        label="同住家庭成员", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一人：姓名 身份证号 关系，如：李梅 330702198503150021 配偶")
    assistance_status = forms.ChoiceField(label="救助对象类别", choices=ASSISTANCE_STATUSES,
                                          widget=forms.RadioSelect)
    disability = forms.ChoiceField(label="残疾或失能情况", choices=DISABILITIES,
                                   widget=forms.RadioSelect)
    residence_match = forms.TypedChoiceField(
        label="户籍地与实际居住地是否一致", widget=forms.RadioSelect,
        choices=[("yes", "一致"), ("no", "不一致")], coerce=lambda value: value == "yes")
    home_right = forms.ChoiceField(label="住房产权或使用权", choices=HOME_RIGHTS,
                                   widget=forms.RadioSelect)
    demolition_planned = _yes_no("住房是否已列入两年内拆迁（征收）计划")
    already_adapted = _yes_no("此前是否已享受过政府补贴的适老化改造")
    needs = forms.CharField(label="改造需求（如卫生间如厕不便、夜间起夜照明不足）", max_length=1000,
                            required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = AttachmentsField(
        label="证明材料（身份证、户口簿、房产证或使用权证明、特困/低保证、残疾证或失能评估）",
        required=False)
    commitment_signed = forms.BooleanField(
        label="已签署承诺书（所填信息真实，同意入户评估，配合施工和验收）", required=True,
        error_messages={"required": "必须签署承诺书才能申请"})

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields["village"].queryset = villages
        _chinese_required(self, keep=("commitment_signed",))
        self.fields["village"].error_messages["invalid_choice"] = "请选择您辖区内的村（社区）"
        for name in ("assistance_status", "disability", "home_right", "residence_match",
                     "demolition_planned", "already_adapted"):
            self.fields[name].error_messages["invalid_choice"] = "请从选项中选择"

    def clean_applicant_name(self):
        name = self.cleaned_data["applicant_name"].strip()
        if len(name) < 2:
            raise forms.ValidationError("请填写申请人的完整姓名")
        return name

    def clean_household_members(self):
        return parse_household_members(self.cleaned_data.get("household_members", ""))

    def clean(self):
        cleaned = super().clean()
        own = cleaned.get("id_number")
        if own and any(m["id_number"] == own for m in cleaned.get("household_members") or []):
            self.add_error("household_members", "同住家庭成员中不要再填写申请人本人")
        return cleaned


class TownshipReviewForm(TaskForm):
    """乡镇初审: eligibility (against the rule table) and the township's remaining quota."""

    review_result = forms.ChoiceField(label="初审意见", widget=forms.RadioSelect, choices=[
        ("pass", "符合条件，报县民政局审批"),
        ("fail", "不符合条件，报县民政局作出不予批准决定"),
        ("return", "材料不全，一次性告知补充"),
    ])
    missing_items = forms.CharField(label="需补充的全部材料（一次性告知）", required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    review_opinion = forms.CharField(label="乡镇初审意见", max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    refusal_reason = forms.CharField(label="不符合条件的理由", required=False, max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)
        eligible = self.case_data.get("eligible")
        note = self.case_data.get("eligibility_note", "")
        rule = ("资格规则判定：" + ("符合" if eligible else "不符合") + f"（{note}）"
                if eligible is not None else "")
        quota = quota_summary(village_pk=self.case_data.get("village"))
        matches = self.case_data.get("adaptation_matches") or []
        on_record = ("重复申请核查：" + adaptation_matches_text(matches)) if matches else ""
        self.fields["review_result"].help_text = "；".join(filter(None, [rule, quota,
                                                                          on_record]))
        if matches:
            self.fields["refusal_reason"].initial = adaptation_refusal_sentence(matches)

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("review_result")
        if choice == "return":
            if self.case_data.get("returned_once"):
                self.add_error("review_result", "本申请已一次性告知补充过，不能再次退回；"
                                                "请作出初审意见")
            if not cleaned.get("missing_items", "").strip():
                self.add_error("missing_items", "退回补充时必须一次性列明全部需补充的材料")
        if choice == "pass" and self.case_data.get("eligible") is False:
            self.add_error("review_result", "按资格规则申请人不符合条件（"
                                            f"{self.case_data.get('eligibility_note', '')}），"
                                            "不能报县审批")
        matches = self.case_data.get("adaptation_matches") or []
        if choice == "pass" and matches:
            # The procedure's completion check refuses this too, with cases filed since.
            self.add_error("review_result", adaptation_refusal_sentence(matches) +
                           "，不能报县审批")
        if choice == "fail" and not cleaned.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", "不符合条件的必须写明理由")
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        if data["review_result"] == "return":
            data["returned_once"] = True
        return data


class SupplementForm(TaskForm):
    """补充材料 by the applicant (or village staff on their behalf)."""

    supplement_note = forms.CharField(label="补充材料说明", max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    attachments = AttachmentsField(label="补充材料", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)


class CountyReviewForm(TaskForm):
    """县民政局科室审核."""

    county_opinion = forms.CharField(label="科室审核意见", max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)


class CountyDecisionForm(TaskForm):
    """县民政局审批: approving takes one of the township's places (the engine's
    ``reserve_quota`` does it under the quota row's lock). With the places used up an
    eligible applicant is still approved — onto the waiting list (候补), in filing order —,
    never refused for want of a place: the full quota is not a ground of ineligibility."""

    decision = forms.ChoiceField(label="审批决定", widget=forms.RadioSelect, choices=[
        ("approve", "同意纳入本年度适老化改造（名额已满时列入候补名单）"),
        ("refuse", "不予批准")])
    decision_opinion = forms.CharField(label="审批意见", max_length=1000,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    refusal_reason = forms.CharField(label="不予批准的事实和理由", required=False,
                                     max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)
        village_pk = self.case_data.get("village")
        quota = township_quota(village_pk=village_pk)
        help_text = quota_summary(village_pk=village_pk)
        if quota is not None and quota.remaining <= 0:
            help_text += "。名额已满：批准后列入候补名单（按申请时间排序），有名额空出时依次递补"
        matches = self.case_data.get("adaptation_matches") or []
        if matches:
            help_text += "；重复申请核查：" + adaptation_matches_text(matches)
            self.fields["refusal_reason"].initial = adaptation_refusal_sentence(matches)
        self.fields["decision"].help_text = help_text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "approve":
            if self.case_data.get("eligible") is False:
                self.add_error("decision", "按资格规则申请人不符合条件，不能批准")
            matches = self.case_data.get("adaptation_matches") or []
            if matches:
                self.add_error("decision", adaptation_refusal_sentence(matches) + "，不能批准")
            if township_quota(village_pk=self.case_data.get("village")) is None:
                # No quota at all is a configuration gap, not a full list: the county must
                # split its quota first (reserve_quota refuses it too).
                self.add_error("decision", quota_summary(
                    village_pk=self.case_data.get("village")))
        if cleaned.get("decision") == "refuse" and not cleaned.get(
                "refusal_reason", "").strip():
            self.add_error("refusal_reason", "不予批准必须书面说明事实和理由")
        return cleaned


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


class AssessmentForm(TaskForm):
    """需求评估 (一户一案): the assessor picks items from the county's catalogue with
    quantities. One quantity field per catalogue item (``qty_<code>``) is added at run time,
    so a catalogue edited in the admin shows up here at once."""

    assessment_date = forms.DateField(label="入户评估日期",
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    assessor_name = forms.CharField(label="评估人员", max_length=50)
    findings = forms.CharField(label="居家环境及老年人能力评估情况", max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    household_agreed = forms.BooleanField(
        label="老年人或其家属已确认改造方案", required=True,
        error_messages={"required": "改造方案须经老年人或其家属确认"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self, keep=("household_agreed",))
        previous = {item["code"]: item["quantity"]
                    for item in self.case_data.get("plan_items") or []}
        self.items = list(catalogue_items())
        for item in self.items:
            self.fields[f"qty_{item.code}"] = forms.IntegerField(
                label=f"{item.name}（{item.unit}，单价{item.unit_price:.2f}元，"
                      f"{'基础类' if item.category == ItemCategory.BASIC else '可选类，自费'}）",
                required=False, min_value=0, max_value=999, initial=previous.get(item.code, 0),
                error_messages={"invalid": "数量应为整数", "min_value": "数量不能为负数",
                                "max_value": "数量过大"})
        if self.case_data.get("plan_return_reason"):
            self.fields["findings"].help_text = ("县民政局退回意见："
                                                 + self.case_data["plan_return_reason"])

    def clean(self):
        cleaned = super().clean()
        if not self.items:
            raise forms.ValidationError("改造项目目录为空，请县民政局先在后台维护目录")
        if not any(cleaned.get(f"qty_{item.code}") for item in self.items):
            raise forms.ValidationError("请至少选择一项改造内容并填写数量")
        return cleaned

    def workflow_data(self):
        data = {name: value for name, value in super().workflow_data().items()
                if not name.startswith("qty_")}
        plan, basic, optional = [], Decimal(0), Decimal(0)
        for item in self.items:
            quantity = self.cleaned_data.get(f"qty_{item.code}") or 0
            if not quantity:
                continue
            amount = _money(item.unit_price * quantity)
            if item.category == ItemCategory.BASIC:
                basic += amount
            else:
                optional += amount
            plan.append({"code": item.code, "name": item.name, "unit": item.unit,
                         "unit_price": to_json_value(item.unit_price),
                         "category": item.category,
                         "category_label": "基础类" if item.category == ItemCategory.BASIC
                         else "可选类", "quantity": quantity, "amount": to_json_value(amount)})
        data.update(plan_items=plan, basic_cost=to_json_value(basic),
                    optional_cost=to_json_value(optional),
                    plan_total=to_json_value(basic + optional))
        return data


class PlanReviewForm(TaskForm):
    """改造方案审核 by the county before works: approve, or return to the assessor."""

    plan_decision = forms.ChoiceField(label="方案审核意见", widget=forms.RadioSelect, choices=[
        ("approve", "同意按方案施工"), ("return", "退回评估机构修改")])
    plan_opinion = forms.CharField(label="审核意见", max_length=1000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    plan_return_reason = forms.CharField(label="退回修改的理由", required=False, max_length=1000,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)
        items = self.case_data.get("plan_items") or []
        summary = "；".join(f"{i['name']}×{i['quantity']}{i['unit']}（{i['category_label']}）"
                           for i in items)
        self.fields["plan_decision"].help_text = (
            f"方案：{summary}。基础类{self.case_data.get('basic_cost', 0)}元，"
            f"可选类{self.case_data.get('optional_cost', 0)}元" if items else "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("plan_decision") == "return" and not cleaned.get(
                "plan_return_reason", "").strip():
            self.add_error("plan_return_reason", "退回修改必须写明理由")
        return cleaned


class WorksForm(TaskForm):
    """施工 by the contracted provider: before-photos and the materials used."""

    provider_name = forms.CharField(label="施工单位", max_length=100)
    project_manager = forms.CharField(label="项目负责人", max_length=50)
    start_date = forms.DateField(label="开工日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    finish_date = forms.DateField(label="完工日期",
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    materials_list = forms.CharField(label="材料清单（品名、规格、数量）", max_length=3000,
                                     widget=forms.Textarea(attrs={"rows": 4}))
    before_photos = AttachmentsField(label="施工前照片", required=False)
    rectification_note = forms.CharField(label="整改情况（整改后重新报验时填写）", required=False,
                                         max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)

    def clean(self):
        cleaned = super().clean()
        start, finish = cleaned.get("start_date"), cleaned.get("finish_date")
        if start and finish and finish < start:
            self.add_error("finish_date", "完工日期不能早于开工日期")
        if not cleaned.get("before_photos") and not self.case_data.get("before_photo_refs"):
            self.add_error("before_photos", "请上传施工前照片")
        if self.case_data.get("acceptance_result") == "rectify" and not cleaned.get(
                "rectification_note", "").strip():
            self.add_error("rectification_note", "请说明整改情况")
        return cleaned

    def workflow_data(self):
        data = super().workflow_data()
        refs = file_refs(self.cleaned_data.get("before_photos"))
        if refs:
            data["before_photo_refs"] = refs
        return data


class AcceptanceForm(TaskForm):
    """竣工验收 by the township: after-photos, invoice, itemised actual cost, the household's
    signature; pass, or back to the provider for rectification. One actual-quantity and one
    actual-cost field per planned item (``actual_qty_<code>``, ``cost_<code>``)."""

    acceptance_result = forms.ChoiceField(label="验收结论", widget=forms.RadioSelect, choices=[
        ("pass", "验收合格"), ("rectify", "不合格，限期整改")])
    rectify_items = forms.CharField(label="整改事项", required=False, max_length=1000,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    after_photos = AttachmentsField(label="施工后照片", required=False)
    invoice = AttachmentsField(label="发票", required=False)
    invoice_number = forms.CharField(label="发票号码", required=False, max_length=40)
    acceptors = forms.CharField(label="验收人员（两人以上，用顿号分隔）", max_length=100)
    household_signed = forms.BooleanField(label="老年人或其家属已在验收单上签字确认",
                                          required=False)
    acceptance_opinion = forms.CharField(label="乡镇验收意见", max_length=1000,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)
        self.plan = list(self.case_data.get("plan_items") or [])
        for item in self.plan:
            code = item["code"]
            self.fields[f"actual_qty_{code}"] = forms.IntegerField(
                label=f"{item['name']}实际数量（{item['unit']}，方案{item['quantity']}）",
                required=False, min_value=0, max_value=999, initial=item["quantity"],
                error_messages={"invalid": "数量应为整数",
                                "min_value": "数量不能为负数", "max_value": "数量过大"})
            self.fields[f"cost_{code}"] = AmountField(
                label=f"{item['name']}实际费用（元，方案{item['amount']}元）", allow_zero=True,
                required=False, initial=item["amount"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("acceptance_result") == "pass":
            if not cleaned.get("after_photos"):
                self.add_error("after_photos", "验收合格须上传施工后照片")
            if not cleaned.get("invoice"):
                self.add_error("invoice", "验收合格须上传发票")
            if not cleaned.get("invoice_number", "").strip():
                self.add_error("invoice_number", "请填写发票号码")
            if not cleaned.get("household_signed"):
                self.add_error("household_signed", "验收合格须经老年人或其家属签字确认")
        if cleaned.get("acceptance_result") == "rectify" and not cleaned.get(
                "rectify_items", "").strip():
            self.add_error("rectify_items", "请列明整改事项")
        acceptors = [a for a in cleaned.get("acceptors", "").replace("，", "、")
                     .replace(",", "、").split("、") if a.strip()]
        if cleaned.get("acceptors") and len(set(acceptors)) < 2:
            self.add_error("acceptors", "竣工验收须由两名以上人员进行")
        for item in self.plan:
            quantity = cleaned.get(f"actual_qty_{item['code']}")
            cost = cleaned.get(f"cost_{item['code']}")
            if cleaned.get("acceptance_result") == "pass":
                for name, value in ((f"actual_qty_{item['code']}", quantity),
                                    (f"cost_{item['code']}", cost)):
                    if value is None and name not in self.errors:
                        self.add_error(name, "验收合格须逐项填写实际数量和费用")
            if quantity == 0 and cost:
                self.add_error(f"cost_{item['code']}", "实际数量为0时费用应为0")
        return cleaned

    def workflow_data(self):
        data = {name: value for name, value in super().workflow_data().items()
                if not name.startswith(("actual_qty_", "cost_"))}
        if data["acceptance_result"] != "pass":
            return data  # rectification: costs are settled at the next inspection
        actual, basic, optional = [], Decimal(0), Decimal(0)
        for item in self.plan:
            cost = _money(self.cleaned_data[f"cost_{item['code']}"])
            if item["category"] == ItemCategory.BASIC:
                basic += cost
            else:
                optional += cost
            actual.append({**item, "actual_quantity": self.cleaned_data[
                f"actual_qty_{item['code']}"], "actual_cost": to_json_value(cost)})
        data.update(actual_items=actual, basic_actual_cost=to_json_value(basic),
                    optional_actual_cost=to_json_value(optional),
                    actual_total=to_json_value(basic + optional),
                    after_photo_refs=file_refs(self.cleaned_data.get("after_photos")),
                    invoice_refs=file_refs(self.cleaned_data.get("invoice")))
        return data


class SurveyForm(TaskForm):
    """满意度评价 by the household (or village staff for them), before archiving."""

    satisfaction = forms.ChoiceField(label="对本次改造的总体评价", choices=SATISFACTION,
                                     widget=forms.RadioSelect)
    survey_comments = forms.CharField(label="意见和建议", required=False, max_length=1000,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese_required(self)
        self.fields["satisfaction"].error_messages["invalid_choice"] = "请从选项中选择"

