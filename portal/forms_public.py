"""Forms of the public pages (no login): an objection to a public notice (公示异议)."""
from django import forms


class ObjectionForm(forms.Form):
    """Anyone may object to a notice, by name (实名), with a way to be contacted back. The
    engine checks the same limits again (``engine.notices.notice_objection_submit``)."""

    name = forms.CharField(label="您的姓名", max_length=50)
    contact = forms.CharField(label="联系方式（电话或地址）", min_length=5, max_length=100)
    content = forms.CharField(label="异议内容", min_length=10, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="请写明对公示对象的哪项情况有异议以及依据，便于核查")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.update({
                "required": "此项为必填项",
                "max_length": "不能超过%(limit_value)d个字",
                "min_length": "至少填写%(limit_value)d个字",
                "null_characters_not_allowed": "内容含有不允许的字符",
            })
