"""Forms of the approval actions (return, transfer, delegate, signers, case state,
substitutes): they check the shape of a post — ids are numbers, choices are known, text has a
length — so that a tampered or malformed post gets a 400 with a Chinese message instead of an
exception. Whether the action is allowed is the engine's decision (``engine.actions``)."""
from django import forms

COMMENT_MAX = 1000


def _comment(label: str = "说明") -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=COMMENT_MAX,
                           error_messages={"max_length": f"{label}不能超过{COMMENT_MAX}字"})


def _person(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=2**62, error_messages={
        "required": f"请选择{label}", "invalid": f"{label}选择无效",
        "min_value": f"{label}选择无效", "max_value": f"{label}选择无效"})


class ReturnForm(forms.Form):
    target = forms.IntegerField(label="退回到", min_value=1, max_value=2**62, error_messages={
        "required": "请选择退回到哪个环节", "invalid": "退回环节选择无效",
        "min_value": "退回环节选择无效", "max_value": "退回环节选择无效"})
    comment = _comment("退回理由")


class ReturnToApplicantForm(forms.Form):
    missing = _comment("需要补正的材料")


class PersonForm(forms.Form):
    """Transfer and delegate: to whom, and why."""

    to_user = _person("办理人")
    comment = _comment()


class SignerForm(forms.Form):
    signer = _person("加签人")
    position = forms.ChoiceField(choices=[("before", "前加签"), ("after", "后加签")],
                                 error_messages={"required": "请选择前加签或后加签",
                                                 "invalid_choice": "请选择前加签或后加签"})
    comment = _comment()


class CommentForm(forms.Form):
    comment = _comment()


class ReasonForm(forms.Form):
    reason = _comment("原因")


class SubstitutionForm(forms.Form):
    substitute = _person("代理人")
    starts_on = forms.DateField(error_messages={"required": "请填写开始日期",
                                                "invalid": "请填写正确的开始日期"})
    ends_on = forms.DateField(error_messages={"required": "请填写结束日期",
                                              "invalid": "请填写正确的结束日期"})


def form_errors_text(form: forms.Form) -> str:
    return "；".join(str(message) for errors in form.errors.values() for message in errors)


def ids_only(values) -> list[int]:
    """The values that are plain ids ("12"); others ("²", "1e9", 20 digits) are dropped, so
    they can never reach a query as a value the database rejects."""
    return [int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit()
            and len(v) <= 18]
