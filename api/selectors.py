"""Reads of the API: the same scoped selectors and visibility rules as the portal's pages
(``engine.selectors``, ``engine.visibility``, the portal's case-page builders), shaped as
JSON. Nothing here decides access on its own."""
from dataclasses import asdict

from django import forms
from django.db.models import QuerySet

from engine.models import Case, HumanTask
from engine.selectors import is_staff_member
from portal.selectors import (
    HIDDEN_ATTACHMENT,
    case_page,
    task_access,
    task_form_class_for,
)
from workflows.common.fields import IdNumberField

from .models import ApiToken

# A choice list longer than this is described, not enumerated (e.g. every village).
ENUM_LIMIT = 200


def _field_schema(field_obj: forms.Field) -> dict:
    schema: dict = {"title": str(field_obj.label or "")}
    if field_obj.help_text:
        schema["description"] = str(field_obj.help_text)
    if isinstance(field_obj, forms.FileField):
        schema.update(type="string", format="binary",
                      description="上传文件（multipart/form-data）"
                                  + (f"；{field_obj.help_text}" if field_obj.help_text else ""))
        if getattr(field_obj.widget, "allow_multiple_selected", False):
            return {"type": "array", "items": schema, "title": schema["title"]}
        return schema
    if isinstance(field_obj, forms.ModelChoiceField):
        pks = list(field_obj.queryset.values_list("pk", flat=True)[:ENUM_LIMIT + 1])
        schema["type"] = "integer"
        if len(pks) <= ENUM_LIMIT:
            schema["enum"] = pks
            schema["x-labels"] = {str(o.pk): str(o) for o in field_obj.queryset[:ENUM_LIMIT]}
        return schema
    if isinstance(field_obj, forms.MultipleChoiceField):
        keys = [str(k) for k, _ in field_obj.choices if k != ""]
        schema.update(type="array", items={"type": "string", "enum": keys},
                      **{"x-labels": {str(k): str(v) for k, v in field_obj.choices if k != ""}})
        return schema
    if isinstance(field_obj, forms.ChoiceField):
        choices = [(str(k), str(v)) for k, v in field_obj.choices if k != ""]
        schema.update(type="string", enum=[k for k, _ in choices],
                      **{"x-labels": dict(choices)})
        return schema
    if isinstance(field_obj, forms.BooleanField):
        schema["type"] = "boolean"
    elif isinstance(field_obj, forms.IntegerField):
        schema["type"] = "integer"
    elif isinstance(field_obj, forms.DecimalField):
        schema.update(type="string", format="decimal")
    elif isinstance(field_obj, forms.DateField):
        schema.update(type="string", format="date")
    else:
        schema["type"] = "string"
        if getattr(field_obj, "max_length", None):
            schema["maxLength"] = field_obj.max_length
    for attr, key in (("min_value", "minimum"), ("max_value", "maximum")):
        value = getattr(field_obj, attr, None)
        if value is not None and schema.get("type") in ("integer",):
            schema[key] = value
    return schema


def form_json_schema(form: forms.Form) -> dict:
    """A JSON Schema (draft 2020-12) describing ``form``'s fields: what the API accepts is
    exactly what the form validates (the form is the validation; this is its description)."""
    properties = {name: _field_schema(f) for name, f in form.fields.items()}
    required = [name for name, f in form.fields.items() if f.required]
    uploads = any(isinstance(f, forms.FileField) for f in form.fields.values())
    return {"type": "object", "properties": properties, "required": required,
            "x-content-type": "multipart/form-data" if uploads else "application/json"}


def _unit_name(unit) -> str:
    return unit.name if unit is not None else ""


def task_summary(task: HumanTask) -> dict:
    return {
        "id": task.pk, "case": task.case_id, "case_title": task.case.title,
        "applicant_name": task.case.applicant_name, "title": task.title,
        "spec_name": task.spec_name, "role": task.lane, "status": task.status,
        "village": _unit_name(task.village),
        "candidate_unit": _unit_name(task.candidate_unit) if task.candidate_unit_id else "",
        "assignee": task.assignee.username if task.assignee_id else None,
        "due_at": task.due_at, "created_at": task.created_at,
    }


def _open_task_row(task: HumanTask) -> dict:
    return {"id": task.pk, "title": task.title, "spec_name": task.spec_name,
            "role": task.lane, "assignee": task.assignee.username if task.assignee_id else None,
            "due_at": task.due_at}


def _masked_data(case: Case, page: dict, *, reveal: bool) -> dict:
    """The application's own fields (not derived keys), as the viewer may see them: the
    visibility policy's masks, and ID numbers masked unless ``reveal`` (the pages' rule)."""
    procedure = page["procedure"]
    visibility = page["visibility"]
    if procedure is None or procedure.application_form is None:
        return {}
    try:
        fields = procedure.application_form().fields
    except Exception:  # noqa: BLE001 - a form needing arguments: its class's fields
        fields = procedure.application_form.base_fields
    from engine.identity import mask_id_number

    data = {}
    for name, field_obj in fields.items():
        if name not in case.data or isinstance(field_obj, forms.FileField) \
                or not visibility.shows(name):
            continue
        value = visibility.value(name, case.data[name])
        if not reveal and visibility.sees(name):
            if isinstance(field_obj, IdNumberField) and value:
                value = mask_id_number(str(value))
            elif isinstance(value, list):
                value = [{**item, "id_number": mask_id_number(str(item["id_number"]))}
                         if isinstance(item, dict) and item.get("id_number") else item
                         for item in value]
        data[name] = value
    return data


def _rows(rows) -> list[dict]:
    return [asdict(row) for row in rows]


def case_detail(user, case: Case, *, reveal: bool | None = None) -> dict:
    """A case as its page shows it to ``user`` (``portal.selectors.case_page``)."""
    page = case_page(user, case, reveal=reveal)
    from portal.selectors import user_may_see_identity

    if reveal is None:
        reveal = user_may_see_identity(user, case, page["open_tasks"])
    return {
        "id": case.pk, "procedure": case.procedure, "title": case.title,
        "status": case.status, "status_display": case.get_status_display(),
        "applicant_name": case.applicant_name, "village": case.village.name,
        "township": case.village.parent.name if case.village.parent_id else "",
        "created_at": case.created_at, "completed_at": case.completed_at,
        "application": _rows(page["rows"]),
        "data": _masked_data(case, page, reveal=reveal),
        "open_tasks": [_open_task_row(t) for t in page["open_tasks"]],
        "history": [{"at": h.at, "actor": h.actor, "action": h.action, "summary": h.summary,
                     "rows": _rows(h.rows)} for h in page["history"]],
        "documents": [document_summary(d) for d in page["documents"]],
        "attachments": [{"uuid": a.uuid, "field": a.field,
                         "name": HIDDEN_ATTACHMENT if a.hidden else a.name,
                         "hidden": a.hidden} for a in page["attachments"]],
        "warnings": page["warnings"],
    }


def case_summary(case: Case) -> dict:
    return {"id": case.pk, "procedure": case.procedure, "title": case.title,
            "status": case.status, "status_display": case.get_status_display(),
            "applicant_name": case.applicant_name, "village": case.village.name,
            "created_at": case.created_at}


def document_summary(document) -> dict:
    return {"uuid": document.uuid, "doc_type": document.doc_type, "title": document.title,
            "number": document.number, "issued_on": document.issued_on,
            "status": document.status, "validity": document.validity,
            "validity_display": document.get_validity_display()}


def task_detail(user, task: HumanTask) -> dict:
    """A task, what the user may do with it, and — when they may act — its form's schema."""
    access = task_access(user, task)
    detail = task_summary(task)
    detail.update(may_act=access.can_act, may_claim=access.can_claim,
                  may_release=access.can_release, form_schema=None)
    if access.can_act:
        from portal.selectors import procedure_of_case

        try:
            form_class = task_form_class_for(procedure_of_case(task.case), task)
        except LookupError:  # a deployed step without a form: no schema, nothing to post
            form_class = None
        if form_class is not None:
            detail["form_schema"] = form_json_schema(
                form_class(case_data={**task.case.data, **task.task_data}))
    return detail


def tokens_of_county(county) -> QuerySet[ApiToken]:
    """The tokens of service users holding a role within ``county``."""
    from engine.models import RoleAssignment

    users = RoleAssignment.objects.filter(unit__path__startswith=county.path).values("user_id")
    return ApiToken.objects.filter(user__in=users).select_related("user", "created_by")


def token_row(token: ApiToken) -> dict:
    return {"id": token.pk, "label": token.label, "prefix": token.prefix,
            "user": token.user.username, "created_by": token.created_by.username
            if token.created_by_id else None, "created_at": token.created_at,
            "revoked_at": token.revoked_at, "last_used_at": token.last_used_at,
            "active": token.active}


def staff(user) -> bool:
    return is_staff_member(user)
