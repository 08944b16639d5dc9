"""Forms of the "one-thing" bundles (一件事).

Shared by every bundle: the application base (applicant, village, the optional items wanted,
materials), the department's form (``department_handle``) and the applicant's supplement form
(``department_supplement``) of the department step every bundle diagram calls. A bundle adds
only its own application fields and its list of optional items.
"""
from datetime import date

from django import forms

from engine.models import Unit, UnitLevel

from ..common.fields import AttachmentsField, IdNumberField, PhoneField
from ..common.forms import TaskForm

DEPARTMENT_RESULTS = [
    ("done", "已办结"),
    ("not_applicable", "经核查无需办理"),
    ("returned", "材料不全，退回申请人补充（不影响其他部门办理）"),
]
RESULT_LABELS = {"done": "已办结", "not_applicable": "无需办理"}


def _birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _is_male(id_number: str) -> bool:
    return int(id_number[16]) % 2 == 1


def _age_on(id_number: str, day: date) -> int:
    born = _birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class BundleApplicationForm(forms.Form):
    """What every bundle asks: who applies, where, which optional items, which materials.

    Subclasses set ``ITEM_CHOICES`` to the optional items of their bundle (codes as in the
    bundle's decision table; required items are handled whatever is ticked)."""

    ITEM_CHOICES: list[tuple[str, str]] = []

    applicant_name = forms.CharField(label="申请人姓名", max_length=50)
    id_number = IdNumberField(label="申请人身份证号码")
    phone = PhoneField()
    village = forms.ModelChoiceField(label="户籍所在村（社区）",
                                     queryset=Unit.objects.filter(level=UnitLevel.VILLAGE),
                                     empty_label="请选择")
    wanted_items = forms.MultipleChoiceField(label="需要一并办理的事项", required=False,
                                             widget=forms.CheckboxSelectMultiple)
    attachments = AttachmentsField(label="申请材料（身份证件、证明材料等）", required=False)

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields["village"].queryset = villages
        self.fields["wanted_items"].choices = self.ITEM_CHOICES
        self.fields["wanted_items"].error_messages["invalid_choice"] = (
            "所选事项“%(value)s”不在可办事项中")
        for field in self.fields.values():
            field.error_messages["required"] = "此项为必填项"


class AfterDeathApplicationForm(BundleApplicationForm):
    """身后一件事: a close relative applies (or village staff on the family's behalf)."""

    ITEM_CHOICES = [
        ("medical_insurance", "医保个人账户支取和停保（医保）"),
        ("civil_benefits", "低保、特困、高龄津贴停发和惠民殡葬补助（民政）"),
        ("disability_benefits", "残疾人两项补贴停发（残联）"),
        ("pension", "养老保险个人账户、丧葬补助金和抚恤金（人社）"),
        ("housing_fund", "住房公积金提取（公积金中心）"),
        ("driving_licence", "机动车驾驶证注销（公安）"),
    ]
    RELATIONS = [("配偶", "配偶"), ("子女", "子女"), ("父母", "父母"),
                 ("兄弟姐妹", "兄弟姐妹"), ("其他近亲属", "其他近亲属"),
                 ("村（社区）代办", "村（社区）代办")]
    DEATH_TYPES = [("natural", "正常死亡（医疗机构或卫健部门出具死亡医学证明）"),
                   ("unnatural", "非正常死亡（公安机关出具死亡证明）")]

    relation = forms.ChoiceField(label="申请人与逝者关系", choices=RELATIONS)
    deceased_name = forms.CharField(label="逝者姓名", max_length=50)
    deceased_id_number = IdNumberField(label="逝者身份证号码")
    death_date = forms.DateField(label="死亡日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 error_messages={"invalid": "请输入有效日期，如2026-03-26"})
    death_place = forms.CharField(label="死亡地点", max_length=200)
    death_type = forms.ChoiceField(label="死亡类型", choices=DEATH_TYPES,
                                   widget=forms.RadioSelect)

    field_order = ["applicant_name", "id_number", "phone", "relation", "village",
                   "deceased_name", "deceased_id_number", "death_date", "death_place",
                   "death_type", "wanted_items", "attachments"]

    def clean(self):
        cleaned = super().clean()
        deceased, applicant = cleaned.get("deceased_id_number"), cleaned.get("id_number")
        if deceased and applicant and deceased == applicant:
            self.add_error("deceased_id_number", "逝者身份证号码不能与申请人相同")
        death_date = cleaned.get("death_date")
        if death_date:
            if death_date > date.today():  # noqa: DTZ011 - a calendar date
                self.add_error("death_date", "死亡日期不能晚于今天")
            elif deceased and "deceased_id_number" not in self.errors and \
                    death_date < _birth_date(deceased):
                self.add_error("death_date", "死亡日期不能早于逝者出生日期")
        return cleaned


class MarriageBirthApplicationForm(BundleApplicationForm):
    """婚育户一件事: marriage registration, then hukou and birth registration together."""

    ITEM_CHOICES = [
        ("hukou", "婚后户口迁移登记（公安）"),
        ("birth_registration", "生育登记（卫健）"),
    ]

    spouse_name = forms.CharField(label="另一方姓名", max_length=50)
    spouse_id_number = IdNumberField(label="另一方身份证号码")
    registration_date = forms.DateField(
        label="预约结婚登记日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效日期，如2026-03-26"})

    field_order = ["applicant_name", "id_number", "phone", "village", "spouse_name",
                   "spouse_id_number", "registration_date", "wanted_items", "attachments"]

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("id_number"), cleaned.get("spouse_id_number")
        day = cleaned.get("registration_date")
        if day and day < date.today():  # noqa: DTZ011 - a calendar date
            self.add_error("registration_date", "预约登记日期不能早于今天")
        if not (one and two):
            return cleaned
        if one == two:
            self.add_error("spouse_id_number", "双方身份证号码不能相同")
            return cleaned
        if _is_male(one) == _is_male(two):
            self.add_error("spouse_id_number",
                           "结婚登记双方应为一男一女（《民法典》第一千零四十六条）")
            return cleaned
        day = day or date.today()  # noqa: DTZ011 - a calendar date
        for number, field in ((one, "id_number"), (two, "spouse_id_number")):
            minimum = 22 if _is_male(number) else 20
            if _age_on(number, day) < minimum:
                self.add_error(field, f"未达法定婚龄（{'男' if minimum == 22 else '女'}不得早于"
                                      f"{minimum}周岁，《民法典》第一千零四十七条）")
        return cleaned


class DepartmentTaskForm(TaskForm):
    """部门联办: a department completes its item, or returns it to the applicant for more
    material; the other departments go on meanwhile."""

    department_result = forms.ChoiceField(label="办理结果", choices=DEPARTMENT_RESULTS,
                                          widget=forms.RadioSelect)
    reference_number = forms.CharField(label="办理文号/凭证编号", max_length=60, required=False)
    result_note = forms.CharField(label="办理说明", max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    missing_items = forms.CharField(label="需补充的全部材料（一次性告知）", max_length=1000,
                                    required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department_result"].error_messages["required"] = "请选择办理结果"

    def clean(self):
        cleaned = super().clean()
        result = cleaned.get("department_result")
        if result == "done" and not cleaned.get("reference_number", "").strip():
            self.add_error("reference_number", "办结时请填写办理文号或凭证编号")
        if result == "not_applicable" and not cleaned.get("result_note", "").strip():
            self.add_error("result_note", "无需办理的，请说明原因")
        if result == "returned" and not cleaned.get("missing_items", "").strip():
            self.add_error("missing_items", "退回补充时必须一次性列明需补充的全部材料")
        return cleaned


class DepartmentSupplementForm(TaskForm):
    """补充联办材料: the applicant (or village staff on their behalf) answers one department."""

    supplement_note = forms.CharField(label="补充材料说明", max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 3}),
                                      error_messages={"required": "请说明补充了哪些材料"})
    attachments = AttachmentsField(label="补充材料", required=False)
