"""Portal-only forms: applicant registration. Procedure forms live in ``workflows``."""
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import SetPasswordForm as DjangoSetPasswordForm

from workflows.common.fields import IdNumberField, PhoneField


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确（申请人的用户名是注册时的手机号码）",
        "inactive": "该账号已停用，请联系民政部门",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名 / 手机号码"
        self.fields["password"].label = "密码"


class SetPasswordForm(DjangoSetPasswordForm):
    """A first password chosen through a one-time link (bootstrap_county)."""

    error_messages = {"password_mismatch": "两次输入的密码不一致"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password1"].help_text = "至少8位，不能全是数字，不能过于常见或与用户名相似"
        self.fields["new_password2"].label = "再次输入新密码"
        for field in self.fields.values():
            field.error_messages["required"] = "此项为必填项"


class RegistrationForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    id_number = IdNumberField()
    phone = PhoneField(label="手机号码（登录用户名）")
    password1 = forms.CharField(label="密码", min_length=8, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text="至少8位")
    password2 = forms.CharField(label="再次输入密码", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = "此项为必填项"
        self.fields["password1"].error_messages["min_length"] = "密码至少8位"

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", "两次输入的密码不一致")
        elif one:
            try:
                password_validation.validate_password(one)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def _parse_dates(text: str) -> list[str]:
    from datetime import date

    days = []
    for number, token in enumerate(text.replace("，", " ").replace(",", " ").split(), start=1):
        try:
            days.append(date.fromisoformat(token).isoformat())
        except ValueError:
            raise forms.ValidationError(
                f"第{number}个日期“{token}”格式不对，应为 2026-10-09 这样的日期") from None
    return sorted(set(days))


class CountySettingsForm(forms.Form):
    """The county's own calendar (on top of the national one) and its 低保 standard."""

    holidays = forms.CharField(
        label="本县（区）额外休息日", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="国家法定节假日和调休已自动计入；这里填写本地另行放假的日期，每行或用空格分隔一个，如 2026-10-09")
    workdays = forms.CharField(
        label="本县（区）额外工作日", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="本地另行安排上班的周末日期")
    dibao_monthly = forms.DecimalField(label="城乡低保月标准（元）", min_value=1, max_digits=8,
                                       decimal_places=2)
    urgent_relief_hours = forms.IntegerField(
        label="急难型临时救助先行救助时限（小时）", min_value=1, max_value=168, required=False,
        help_text="自提交申请起计算；不填为24小时（部分地区为48小时）")

    # 公示 period (engine/notices.py): calendar days, 3-7 (PROCEDURES.md §1.4).
    notice_days = forms.IntegerField(
        label="公示期（天）", min_value=3, max_value=7, initial=7, required=False,
        help_text="3至7天，按自然日计算（张贴当日不计入，最后一日24时止）",
        error_messages={"min_value": "公示期不能少于3天", "max_value": "公示期不能超过7天",
                        "invalid": "公示期应为整数天", "required": "请填写公示期"})
    # Unchecked (also when a form without it is posted) keeps names masked: the safe default.
    notice_full_name = forms.BooleanField(label="公示时显示完整姓名（不勾选则显示为 张*国）",
                                          required=False)

    def clean_holidays(self):
        return _parse_dates(self.cleaned_data["holidays"])

    def clean_workdays(self):
        return _parse_dates(self.cleaned_data["workdays"])

    def clean(self):
        cleaned = super().clean()
        both = set(cleaned.get("holidays") or []) & set(cleaned.get("workdays") or [])
        if both:
            raise forms.ValidationError(f"日期不能既是休息日又是工作日：{'、'.join(sorted(both))}")
        return cleaned


class QuotaForm(forms.Form):
    """One township's yearly places for one quota."""

    capacity = forms.IntegerField(label="名额", min_value=0, max_value=100000)
