"""Forms of cemetery approval (公墓审批): the application and each step's form.

One application form serves both kinds of cemetery; the fields a kind needs are checked in
``clean()`` so that the errors name exactly what is missing for that kind.
"""
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from engine.models import Unit, UnitLevel

from ..common.fields import (  # noqa: F401 - credit_code_check_char is used by demo/tests
    AmountField,
    AttachmentsField,
    CreditCodeField,
    PhoneField,
    credit_code_check_char,
)
from ..common.forms import TaskForm
from .selectors import department_label, department_results, dissent_reason, dissenting_departments

PUBLIC_WELFARE = "public_welfare"
OPERATING = "operating"
CEMETERY_TYPES = [
    (PUBLIC_WELFARE, "农村公益性墓地"),
    (OPERATING, "经营性公墓"),
]

# 《殡葬管理条例》 art. 10: areas where no cemetery may be built. Any hit is a reason to refuse.
BANNED_ZONES = [
    ("farmland", "耕地"),
    ("forest", "林地"),
    ("park", "城市公园、风景名胜区和文物保护区"),
    ("water", "水库及河流堤坝附近和水源保护区"),
    ("transport", "铁路、公路主干线两侧"),
]
BANNED_ZONE_LABELS = dict(BANNED_ZONES)

REQUIRED = "此项为必填项"


def banned_zone_labels(codes) -> list[str]:
    return [BANNED_ZONE_LABELS[code] for code in codes or [] if code in BANNED_ZONE_LABELS]


class PositiveDecimalField(forms.DecimalField):
    """A positive quantity (亩, 平方米, 万元) with Chinese error messages."""

    def __init__(self, *, unit: str, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.error_messages["invalid"] = f"请输入数字（{unit}），最多两位小数"
        self.error_messages["max_decimal_places"] = "最多两位小数"
        self.error_messages["max_digits"] = "数值过大"
        self.error_messages["max_whole_digits"] = "数值过大"

    def validate(self, value):
        super().validate(value)
        if value is not None and value <= 0:
            raise ValidationError("必须大于0")


class CountField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)
        self.error_messages["invalid"] = "请输入整数"
        self.error_messages["min_value"] = "必须大于0"


def _checkboxes(label, choices, **kwargs):
    return forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                     widget=forms.CheckboxSelectMultiple, **kwargs)


def _text(label, *, required=True, rows=3, max_length=2000):
    return forms.CharField(label=label, required=required, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": rows}))


class ApplicationForm(forms.Form):
    """公墓建设申请 (公益性公墓建设审批表 or an operating cemetery's application)."""

    cemetery_type = forms.ChoiceField(label="公墓类型", choices=CEMETERY_TYPES,
                                      widget=forms.RadioSelect)
    applicant_name = forms.CharField(
        label="申请单位名称", max_length=50,
        help_text="农村公益性墓地填村民委员会名称；经营性公墓填企业法人名称")
    village = forms.ModelChoiceField(label="公墓所在村（社区）",
                                     queryset=Unit.objects.filter(level=UnitLevel.VILLAGE),
                                     empty_label="请选择")
    contact_person = forms.CharField(label="联系人", max_length=50)
    phone = PhoneField()

    # 公益性公墓建设审批表 / project data (both kinds)
    cemetery_name = forms.CharField(label="公墓名称", max_length=60,
                                    help_text="如：罗店村公益性公墓")
    location = forms.CharField(label="选址位置（四至）", max_length=300)
    area_mu = PositiveDecimalField(label="占地面积（亩）", unit="亩")
    graves = CountField(label="墓穴数量（穴）")
    plot_size_limit = PositiveDecimalField(label="单穴占地面积上限（平方米）", unit="平方米")
    funding = PositiveDecimalField(label="建设资金（万元）", unit="万元")
    funding_source = forms.CharField(label="资金来源", max_length=200)
    land_status = forms.CharField(label="用地情况（土地性质、权属）", max_length=300)
    site_self_check = _checkboxes(
        "选址自查：选址位于以下区域的请勾选", BANNED_ZONES,
        help_text="《殡葬管理条例》第十条规定上述区域禁止建造墓地")

    # Public-welfare cemetery (农村公益性墓地)
    resolution_date = forms.DateField(label="村民会议（村民代表会议）决议日期", required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    resolution_confirmed = forms.BooleanField(
        label="建设公益性墓地已经村民会议（村民代表会议）讨论通过", required=False)
    villagers_only = forms.BooleanField(label="墓地仅供本村村民安葬使用", required=False)
    not_clan_cemetery = forms.BooleanField(label="不属于宗族墓地", required=False)
    resolution_files = AttachmentsField(label="村民会议决议及会议记录", required=False)
    feasibility_report = AttachmentsField(label="可行性研究报告（面积、资金、用地、规模）",
                                          required=False)
    planning_scheme = AttachmentsField(label="规划设计方案", required=False)
    management_rules = AttachmentsField(label="墓地管理制度", required=False)

    # Operating cemetery (经营性公墓): the applicant is a legal person
    credit_code = CreditCodeField(required=False)
    legal_representative = forms.CharField(label="法定代表人", max_length=50, required=False)
    total_investment = AmountField(label="项目总投资（万元）", required=False)
    funds_in_hand = AmountField(label="已到位资金（万元）", required=False, allow_zero=True)
    land_assessment = AttachmentsField(label="土地预审意见", required=False)
    planning_assessment = AttachmentsField(label="规划选址意见", required=False)
    environmental_assessment = AttachmentsField(label="环境影响评价文件", required=False)
    stability_assessment = AttachmentsField(label="社会稳定风险评估报告", required=False)

    PUBLIC_REQUIRED = ("resolution_date", "resolution_files", "feasibility_report",
                       "planning_scheme", "management_rules")
    PUBLIC_CONFIRMATIONS = {
        "resolution_confirmed": "必须经村民会议（村民代表会议）讨论通过才能申请",
        "villagers_only": "农村公益性墓地只能安葬本村村民（《殡葬管理条例》第九条）",
        "not_clan_cemetery": "禁止建立或者恢复宗族墓地（《殡葬管理条例》第九条）",
    }
    OPERATING_REQUIRED = ("credit_code", "legal_representative", "total_investment",
                          "funds_in_hand", "land_assessment", "planning_assessment",
                          "environmental_assessment", "stability_assessment")

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields["village"].queryset = villages
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
        self.fields["cemetery_type"].error_messages["invalid_choice"] = "请选择公墓类型"
        self.fields["village"].error_messages["invalid_choice"] = "请选择辖区内的村（社区）"

    def _require(self, cleaned, names):
        for name in names:
            value = cleaned.get(name)
            if name not in self.errors and (value is None or value == "" or value == []):
                self.add_error(name, REQUIRED)

    def clean(self):
        cleaned = super().clean()
        hits = banned_zone_labels(cleaned.get("site_self_check"))
        if hits:
            self.add_error("site_self_check",
                           f"选址位于{'、'.join(hits)}，依据《殡葬管理条例》第十条不得建造墓地，"
                           f"请重新选址")
        kind = cleaned.get("cemetery_type")
        if kind == PUBLIC_WELFARE:
            self._require(cleaned, self.PUBLIC_REQUIRED)
            for name, message in self.PUBLIC_CONFIRMATIONS.items():
                if not cleaned.get(name):
                    self.add_error(name, message)
            name = cleaned.get("applicant_name", "")
            if name and not name.endswith("委员会"):
                self.add_error("applicant_name", "农村公益性墓地由村民委员会申请，"
                                                 "请填写村（居）民委员会名称")
            resolution_date = cleaned.get("resolution_date")
            if resolution_date and resolution_date > timezone.localdate():
                self.add_error("resolution_date", "决议日期不能晚于今天")
        elif kind == OPERATING:
            self._require(cleaned, self.OPERATING_REQUIRED)
            total, in_hand = cleaned.get("total_investment"), cleaned.get("funds_in_hand")
            if total and in_hand is not None:
                if in_hand > total:
                    self.add_error("funds_in_hand", "已到位资金不能超过项目总投资")
                elif in_hand * 2 < total:
                    self.add_error("funds_in_hand",
                                   "已到位资金应不少于项目总投资的50%（经营性公墓申办条件）")
        return cleaned


# ---------------------------------------------------------------------------------------------
# Task forms


class CemeteryTaskForm(TaskForm):
    """A task form whose required fields all say the same thing as the application's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED


class SupplementForm(CemeteryTaskForm):
    """补正材料 by the applicant (or village staff for a village committee)."""

    supplement_note = _text("补正材料说明")
    attachments = AttachmentsField(label="补正材料", required=False)


# The on-site check against the banned-zone list: any hit forbids agreeing.
def site_hits_of(data: dict) -> list[str]:
    """Banned zones (and a clan cemetery) found by the on-site check, as labels."""
    hits = banned_zone_labels(data.get("site_verified_zones"))
    if data.get("clan_cemetery"):
        hits.append("宗族墓地")
    return hits


def site_refusal_reason(data: dict) -> str:
    hits = site_hits_of(data)
    if not hits:
        return ""
    return (f"经现场核查，拟建墓地选址涉及{'、'.join(hits)}，属于《殡葬管理条例》"
            f"第九条、第十条规定禁止建造墓地的情形。")


class TownshipReviewForm(CemeteryTaskForm):
    """乡镇经办人审核: materials, the village resolution and an on-site check of the site."""

    site_verified_zones = _checkboxes("经现场核查，选址位于以下禁止建造墓地的区域", BANNED_ZONES)
    clan_cemetery = forms.BooleanField(label="经核查属于宗族墓地", required=False)
    township_review_result = forms.ChoiceField(label="审核意见", widget=forms.RadioSelect,
                                               choices=[
        ("forward", "材料齐全、选址符合要求，报分管领导审核同意"),
        ("return", "材料不全，一次性告知补正"),
        ("refuse", "不符合建设条件，拟不同意"),
    ])
    missing_items = _text("需补正的全部材料（一次性告知）", required=False)
    township_review_opinion = _text("审核意见说明")
    township_review_reason = _text("拟不同意的理由", required=False)

    def clean(self):
        cleaned = super().clean()
        result = cleaned.get("township_review_result")
        hits = site_hits_of(cleaned)
        if result == "forward" and hits:
            self.add_error("township_review_result",
                           f"选址涉及{'、'.join(hits)}，不能报请同意，请选择拟不同意")
        if result == "return" and not cleaned.get("missing_items", "").strip():
            self.add_error("missing_items", "退回补正时必须一次性列明全部需补正的材料")
        if result == "refuse" and not hits and not cleaned.get(
                "township_review_reason", "").strip():
            self.add_error("township_review_reason", "拟不同意必须写明理由")
        return cleaned


class TownshipDecisionForm(CemeteryTaskForm):
    """乡镇人民政府审核同意 (township leader): agree and forward to the county, or refuse."""

    township_decision = forms.ChoiceField(label="乡镇意见", widget=forms.RadioSelect, choices=[
        ("agree", "同意建设，报县民政局审批"),
        ("refuse", "不同意建设"),
    ])
    township_opinion = _text("乡镇人民政府意见", rows=2)
    refusal_reason = _text("不同意的事实和理由", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reason = site_refusal_reason(self.case_data) or self.case_data.get(
            "township_review_reason", "")
        if reason:
            self.fields["refusal_reason"].initial = reason

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("township_decision")
        if decision == "agree" and site_hits_of(self.case_data):
            self.add_error("township_decision",
                           f"经现场核查选址涉及{'、'.join(site_hits_of(self.case_data))}，"
                           f"不能同意建设")
        if decision == "refuse" and not cleaned.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", "不同意建设必须书面说明事实和理由")
        return cleaned


class DepartmentOpinionForm(CemeteryTaskForm):
    """部门意见征询: one department's agreement and opinion (one form for every department;
    the diagram's post-script files it under the department's name)."""

    dept_agree = forms.TypedChoiceField(label="部门意见", widget=forms.RadioSelect,
                                        coerce=lambda value: value == "agree", choices=[
        ("agree", "同意"), ("disagree", "不同意"),
    ])
    dept_opinion = _text("具体意见（不同意的请写明理由和依据）")


class CountySummaryForm(CemeteryTaskForm):
    """县民政局科室汇总: the departments' opinions and the proposed scale of the approval."""

    summary_opinion = _text("汇总审查意见")
    recommendation = forms.ChoiceField(label="审查建议", widget=forms.RadioSelect, choices=[
        ("approve", "建议批准"), ("refuse", "建议不予许可"),
    ])
    approved_area_mu = PositiveDecimalField(label="批准占地面积（亩）", unit="亩")
    approved_graves = CountField(label="批准墓穴数量（穴）")
    approved_plot_limit = PositiveDecimalField(label="单穴占地面积上限（平方米）", unit="平方米")
    land_conditions = _text("用地和规划条件", rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.case_data
        for field, source in (("approved_area_mu", "area_mu"), ("approved_graves", "graves"),
                              ("approved_plot_limit", "plot_size_limit")):
            if data.get(source) is not None:
                self.fields[field].initial = data[source]
        self.fields["land_conditions"].initial = (
            "须依法办理用地审批和规划许可手续后方可开工建设，严格按批准的规划设计方案施工")
        opinions = [f"{department_label(r['department'])}：{'同意' if r.get('agree') else '不同意'}"
                    f"（{r.get('opinion', '')}）" for r in department_results(data)]
        if opinions:
            self.fields["summary_opinion"].help_text = "部门意见：" + "；".join(opinions)

    def clean(self):
        cleaned = super().clean()
        data = self.case_data
        if cleaned.get("recommendation") == "approve" and dissenting_departments(data):
            self.add_error("recommendation", f"征求意见中{dissent_reason(data)}，不能建议批准")
        for field, source in (("approved_area_mu", "area_mu"), ("approved_graves", "graves")):
            requested = data.get(source)
            value = cleaned.get(field)
            if value is not None and requested is not None and Decimal(str(value)) > Decimal(
                    str(requested)):
                self.add_error(field, "批准规模不能超过申请规模")
        return cleaned


class CountyDecisionForm(CemeteryTaskForm):
    """县民政局审批 (county leader): approve (批复) or refuse (不予许可决定书)."""

    decision = forms.ChoiceField(label="审批决定", widget=forms.RadioSelect, choices=[
        ("approve", "批准建设"), ("refuse", "不予许可"),
    ])
    decision_opinion = _text("审批意见", rows=2)
    refusal_reason = _text("不予许可的事实和理由", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reason = dissent_reason(self.case_data)
        if reason:
            self.fields["refusal_reason"].initial = reason

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "approve" and dissenting_departments(self.case_data):
            self.add_error("decision", f"征求意见中{dissent_reason(self.case_data)}，"
                                       f"不能批准建设")
        if decision == "refuse" and not cleaned.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", "不予许可必须书面说明事实和理由")
        return cleaned


class CountyReviewForm(CemeteryTaskForm):
    """县民政局审查 of an operating cemetery: materials, funds and the site."""

    site_verified_zones = _checkboxes("经核查，选址位于以下禁止建造墓地的区域", BANNED_ZONES)
    funds_verified = forms.BooleanField(label="已核实到位资金不少于项目总投资的50%",
                                        required=False)
    county_review_result = forms.ChoiceField(label="审查意见", widget=forms.RadioSelect,
                                             choices=[
        ("forward", "符合条件，报分管局长审核后转报省级审批"),
        ("return", "材料不全，一次性告知补正"),
        ("refuse", "不符合条件，拟不予许可"),
    ])
    missing_items = _text("需补正的全部材料（一次性告知）", required=False)
    county_review_opinion = _text("审查意见说明")
    county_review_reason = _text("拟不予许可的理由", required=False)

    def clean(self):
        cleaned = super().clean()
        result = cleaned.get("county_review_result")
        hits = site_hits_of(cleaned)
        if result == "forward":
            if hits:
                self.add_error("county_review_result",
                               f"选址涉及{'、'.join(hits)}，不能转报，请选择拟不予许可")
            if not cleaned.get("funds_verified"):
                self.add_error("funds_verified", "转报前必须核实到位资金不少于总投资的50%")
        if result == "return" and not cleaned.get("missing_items", "").strip():
            self.add_error("missing_items", "退回补正时必须一次性列明全部需补正的材料")
        if result == "refuse" and not hits and not cleaned.get(
                "county_review_reason", "").strip():
            self.add_error("county_review_reason", "拟不予许可必须写明理由")
        return cleaned


class CountyForwardDecisionForm(CemeteryTaskForm):
    """县民政局分管局长审核: forward to the province, or refuse."""

    decision = forms.ChoiceField(label="审核决定", widget=forms.RadioSelect, choices=[
        ("forward", "同意转报省级民政部门审批"), ("refuse", "不予许可"),
    ])
    decision_opinion = _text("审核意见", rows=2)
    refusal_reason = _text("不予许可的事实和理由", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reason = site_refusal_reason(self.case_data) or self.case_data.get(
            "county_review_reason", "")
        if reason:
            self.fields["refusal_reason"].initial = reason

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "forward" and site_hits_of(self.case_data):
            self.add_error("decision", f"选址涉及{'、'.join(site_hits_of(self.case_data))}，"
                                       f"不能转报")
        if decision == "refuse" and not cleaned.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", "不予许可必须书面说明事实和理由")
        return cleaned


class ProvincialResultForm(CemeteryTaskForm):
    """登记省级审批结果: the province's reply, recorded by county staff."""

    provincial_approved = forms.TypedChoiceField(
        label="省级审批结果", widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("yes", "批准"), ("no", "不予批准")])
    provincial_doc_number = forms.RegexField(
        label="省级批复文号", regex=r"^\S{1,20}〔\d{4}〕\d{1,6}号$", max_length=40,
        error_messages={"invalid": "文号格式应如：浙民函〔2026〕15号"})
    provincial_date = forms.DateField(label="省级批复日期",
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    provincial_remark = _text("批复要点或不予批准的理由", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provincial_date"].error_messages["invalid"] = "请输入有效日期"

    def clean_provincial_date(self):
        value: date = self.cleaned_data["provincial_date"]
        if value > timezone.localdate():
            raise ValidationError("批复日期不能晚于今天")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("provincial_approved") is False and not cleaned.get(
                "provincial_remark", "").strip():
            self.add_error("provincial_remark", "省级不予批准的，请登记其理由")
        return cleaned
