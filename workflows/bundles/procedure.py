"""The "one-thing" bundles (一件事): 国发〔2024〕3号, 国办函〔2025〕3号.

A bundle is one application that fans out to one task per department, in groups run in
parallel, and ends with one 办结通知书 listing every department's item and result. The
mechanism is shared; a bundle brings only:

- a diagram ``bpmn/<key>.bpmn`` whose groups are parallel multi-instance calls of the shared
  department step ``bundle_department_item`` (user tasks ``department_handle`` with
  ``candidate_role`` ``'department:' + department``, and ``department_supplement`` in the
  applicant lane), collecting the results into ``bundle_results`` before issuing the notice;
- a decision table ``bpmn/<key>_departments.dmn`` (COLLECT) giving the rows group / item /
  item name / department / required — the data a supervisor edits;
- an application form (a ``BundleApplicationForm`` with its own fields and optional items);
- a notice template extending ``print_templates/bundles/notice.html``.

See workflows/bundles/README.md.
"""
from engine.identity import mask_id_number
from engine.registry import DocumentType
from engine.visibility import TaskView, VisibilityPolicy

from ..registry import Procedure
from . import forms

BUNDLE_TASK_FORMS = {
    "department_handle": forms.DepartmentTaskForm,
    "department_supplement": forms.DepartmentSupplementForm,
}


def notice_rows(data: dict) -> list[dict]:
    """The notice's table: one row per department item, with its printed result."""
    rows = []
    for number, outcome in enumerate(data.get("bundle_results") or [], start=1):
        rows.append({
            "number": number,
            "item_name": outcome.get("item_name", ""),
            "department": outcome.get("department", ""),
            "result": forms.RESULT_LABELS.get(outcome.get("result"), outcome.get("result", "")),
            "reference_number": outcome.get("reference_number", ""),
            "note": outcome.get("note", ""),
        })
    return rows


def after_death_notice_context(data: dict) -> dict:
    """身后一件事's notice: the table, and the deceased's ID number masked (art. 61)."""
    return {
        "rows": notice_rows(data),
        "deceased_id_masked": mask_id_number(data.get("deceased_id_number", "")),
        "death_type_label": {"natural": "正常死亡", "unnatural": "非正常死亡"}.get(
            data.get("death_type"), ""),
    }


def marriage_birth_notice_context(data: dict) -> dict:
    """婚育户一件事's notice: the table only; the couple's names come from the case data."""
    return {"rows": notice_rows(data)}


def bundle_procedure(*, key: str, name: str, description: str, application_form,
                     notice: DocumentType) -> Procedure:
    """A bundle's Procedure: its diagram and table by naming convention, the shared
    department forms, its application form and its notice."""
    # Each department handles its item of the applicant's one application (一件事): it
    # sees the application and its materials, and the supplements sent back to it.
    department = TaskView(fields=tuple(application_form.base_fields),
                          attachments=("attachments",), steps=("department_supplement",))
    return Procedure(
        key=key, name=name, bpmn=f"{key}.bpmn", dmn=(f"{key}_departments.dmn",),
        description=description, case_title=f"{name}联办申请",
        application_form=application_form, task_forms=dict(BUNDLE_TASK_FORMS),
        document_types=(notice,),
        visibility=VisibilityPolicy(task_views={"department_handle": department}),
    )


AFTER_DEATH = bundle_procedure(
    key="after_death_bundle", name="身后一件事",
    description="亲属一次申请，死亡证明、户口注销、医保、民政残联待遇、火化、人社待遇、公积金、"
                "驾驶证等事项由各部门并联办理",
    application_form=forms.AfterDeathApplicationForm,
    notice=DocumentType(code="after_death_notice", title="身后一件事办结通知书",
                        template="bundles/after_death_notice.html", series="身后",
                        context=after_death_notice_context),
)

MARRIAGE_BIRTH = bundle_procedure(
    key="marriage_birth_bundle", name="婚育户一件事",
    description="结婚登记后，户口迁移登记和生育登记由各部门并联办理",
    application_form=forms.MarriageBirthApplicationForm,
    notice=DocumentType(code="marriage_birth_notice", title="婚育户一件事办结通知书",
                        template="bundles/marriage_birth_notice.html", series="婚育",
                        context=marriage_birth_notice_context),
)
