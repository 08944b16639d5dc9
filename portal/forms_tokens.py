"""Forms of the county supervisor's API-token page (接口令牌与 Webhook)."""
from django import forms


class ApiTokenForm(forms.Form):
    username = forms.CharField(label="服务账号", max_length=150,
                               help_text="本县持有角色的账号，如公安部门系统的账号",
                               error_messages={"required": "请填写服务账号"})
    label = forms.CharField(label="用途", max_length=100,
                            help_text="如“公安户籍核查系统”，用于辨认令牌",
                            error_messages={"required": "请填写令牌用途",
                                            "max_length": "用途最多 100 个字"})


class WebhookForm(forms.Form):
    url = forms.CharField(label="Webhook 网址", max_length=500,
                          help_text="任务推送给该部门时，系统向此网址发送签名的 JSON 通知",
                          error_messages={"required": "请填写网址",
                                          "max_length": "网址最多 500 个字符"})
    active = forms.BooleanField(label="启用", required=False, initial=True)


class WebhookActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("save", "保存"), ("renew", "更换签名密钥"),
                                        ("remove", "删除")],
                               error_messages={"required": "操作不正确",
                                               "invalid_choice": "操作不正确"})
