"""Form fields shared by procedures: ID numbers, phones, money."""
import re
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from engine.files import (
    DOCUMENTS,
    FILE_KINDS,
    MAX_UPLOAD_BYTES,
    FileRefused,
    allowed_labels,
    file_check,
)
from engine.identity import id_number_check_char


def validate_id_number(value: str) -> None:
    """An 18-character resident ID number (居民身份证号码) with a valid birth date and
    check character."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError("身份证号码应为18位，前17位为数字，最后一位为数字或X")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError("身份证号码中的出生日期无效") from None
    if birth > date.today() or birth.year < 1900:  # noqa: DTZ011 - a calendar date
        raise ValidationError("身份证号码中的出生日期无效")
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号码校验位不正确，请核对后重新输入")


def parse_household_members(text: str) -> list[dict]:
    """One household member per line: 姓名 身份证号 关系 (separated by spaces or commas); each
    ID number checksum-validated. Returns [{"name", "id_number", "relation"}]."""
    members = []
    seen = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.replace("，", " ").replace(",", " ").split()
        if len(parts) != 3:
            raise ValidationError(f"第{number}行应为“姓名 身份证号 关系”三项，用空格分隔")
        name, id_number, relation = parts
        try:
            validate_id_number(id_number.upper())
        except ValidationError as exc:
            raise ValidationError(f"第{number}行（{name}）：{exc.messages[0]}") from None
        if id_number.upper() in seen:
            raise ValidationError(f"第{number}行（{name}）的身份证号与前面的成员重复")
        seen.add(id_number.upper())
        members.append({"name": name, "id_number": id_number.upper(), "relation": relation})
    return members


def persons_from_members(members) -> list[dict]:
    """Household members (as ``parse_household_members`` gives them, or as stored in case
    data) as persons for the engine's duplicate check (``engine.persons``)."""
    return [{"id_number": m.get("id_number", ""), "name": m.get("name", ""),
             "relation": m.get("relation", ""), "role": "member"}
            for m in members or [] if isinstance(m, dict) and m.get("id_number")]


class IdNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "身份证号码")
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("min_length", 18)
        super().__init__(**kwargs)
        self.error_messages["min_length"] = "身份证号码应为18位"
        self.error_messages["max_length"] = "身份证号码应为18位"
        self.validators.append(validate_id_number)

    def to_python(self, value):
        return (super().to_python(value) or "").strip().upper()


class PhoneField(forms.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "联系电话")
        super().__init__(regex=r"^(1\d{10}|0\d{2,3}-?\d{7,8})$", **kwargs)
        self.error_messages["invalid"] = "请输入11位手机号码或带区号的固定电话"


class AmountField(forms.DecimalField):
    """Money in yuan: positive (unless ``allow_zero``), two decimals at most."""

    def __init__(self, *, allow_zero=False, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        self.error_messages["invalid"] = "请输入金额（元），最多两位小数"
        self.error_messages["max_decimal_places"] = "金额最多两位小数"
        self.error_messages["max_digits"] = "金额过大"
        self.error_messages["max_whole_digits"] = "金额过大"

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < 0 or (value == 0 and not self.allow_zero):
            raise ValidationError("金额必须大于0" if not self.allow_zero else "金额不能为负数")


def to_json_value(value):
    """Form values as JSON types the workflow can compare (Decimal → int/float, dates →
    ISO strings, model instances → pk)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return value


def cleaned_to_json(cleaned_data: dict) -> dict:
    return {name: to_json_value(value) for name, value in cleaned_data.items()}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files (by default PDF, JPG or PNG; at most 10 MB each). Cleaned value: a list of
    files. Each file's type is read from its content (``engine.files.file_check``): a program
    named .pdf, random bytes, a broken image or an encrypted PDF are refused with a Chinese
    message. ``kinds`` narrows the allowed types (e.g. ``engine.files.IMAGES`` for photos).
    Stored as ``engine.models.Attachment`` rows by ``workflows.services``; workflow data never
    holds file content."""

    def __init__(self, *, kinds=DOCUMENTS, **kwargs):
        self.kinds = tuple(kinds)
        extensions = ",".join(ext for mime in self.kinds for ext in FILE_KINDS[mime][1])
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": extensions}))
        kwargs.setdefault("help_text", f"支持 {allowed_labels(self.kinds)}，单个文件不超过10MB")
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not files:
            single(None, initial)  # raises "required" when required
            return []
        cleaned = [single(item, initial) for item in files]
        for upload in cleaned:
            if upload.size > MAX_UPLOAD_BYTES:
                raise ValidationError(f"文件“{upload.name}”超过10MB")
            upload.seek(0)
            content = upload.read()
            upload.seek(0)
            try:
                # What is stored and served is the type found in the content.
                upload.content_type = file_check(name=upload.name, content=content,
                                                 allowed=self.kinds)
            except FileRefused as exc:
                raise ValidationError(str(exc)) from None
        return cleaned


def split_uploads(form) -> tuple[dict, dict]:
    """A valid form's values without its attachment fields, and {field: [files]}."""
    data, files = {}, {}
    for name, value in form.cleaned_data.items():
        if isinstance(form.fields.get(name), AttachmentsField):
            files[name] = value or []
        else:
            data[name] = value
    return data, files


# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(CREDIT_CODE_CHARS.index(char) * weight
                for char, weight in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """An 18-character unified social credit code with a valid check character."""
    if len(value) != 18:
        raise ValidationError("统一社会信用代码应为18位")
    if any(char not in CREDIT_CODE_CHARS for char in value):
        raise ValidationError("统一社会信用代码只能由数字和大写字母组成（不含I、O、S、V、Z）")
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError("统一社会信用代码校验位不正确，请核对后重新输入")


class CreditCodeField(forms.CharField):
    """统一社会信用代码, upper-cased and checked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "统一社会信用代码")
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)
        self.error_messages["max_length"] = "统一社会信用代码应为18位"

    def to_python(self, value):
        return (super().to_python(value) or "").strip().upper()

    def validate(self, value):
        super().validate(value)
        if value:
            validate_credit_code(value)
