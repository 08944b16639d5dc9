"""Portal-only forms: applicant registration. Procedure forms live in ``workflows``."""
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

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
