"""Base classes for task forms."""
from django import forms


class TaskForm(forms.Form):
    """A form for one user task. ``case_data`` is what the case knows so far, so a form can
    check against earlier steps (e.g. returning an application only once)."""

    def __init__(self, *args, case_data: dict | None = None, **kwargs):
        self.case_data = case_data or {}
        super().__init__(*args, **kwargs)

    def workflow_data(self) -> dict:
        """The data handed to the workflow (uploads excluded); override to add derived
        fields."""
        from .fields import cleaned_to_json, split_uploads

        return cleaned_to_json(split_uploads(self)[0])

    def uploads(self) -> dict:
        """{field: [uploaded files]} of the form's attachment fields."""
        from .fields import split_uploads

        return split_uploads(self)[1]


class OpinionForm(TaskForm):
    """Generic form for a task that only needs an opinion (审核意见)."""

    opinion = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=1000)


class GenericDecisionForm(TaskForm):
    """Generic approval form for tasks a supervisor adds in the modeler
    (``form = generic:decision``): approve or refuse, with an opinion."""

    decision = forms.ChoiceField(label="审批意见", widget=forms.RadioSelect,
                                 choices=[("approve", "同意"), ("refuse", "不同意")])
    opinion = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=1000)


class GenericConfirmForm(TaskForm):
    """Generic confirmation (确认办理) for a plain or manual task of a diagram
    (``generic:confirm``, the default of ``bpmn:task`` and ``bpmn:manualTask``): the handler
    confirms the step is done, with an optional note."""

    confirmed = forms.BooleanField(label="已办理完毕", required=True,
                                   error_messages={"required": "请确认已办理完毕"})
    opinion = forms.CharField(label="备注", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


GENERIC_FORMS = {
    "generic:opinion": OpinionForm,
    "generic:decision": GenericDecisionForm,
    "generic:confirm": GenericConfirmForm,
}


class GenericSupplementForm(TaskForm):
    """The applicant's answer to a 补正 request added by staff outside the diagram."""

    supplement_note = forms.CharField(label="补正说明", max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        from .fields import AttachmentsField

        super().__init__(*args, **kwargs)
        self.fields["attachments"] = AttachmentsField(label="补正材料", required=False)


GENERIC_FORMS["generic:supplement"] = GenericSupplementForm
