"""What a procedure is, to the rest of the product: a diagram, its tables, its forms and its
documents. ``engine`` runs diagrams; ``portal`` renders the forms named here."""
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django import forms

from engine.registry import DocumentType, register_document_type
from engine.visibility import VisibilityPolicy, register_policy


@dataclass(frozen=True)
class CaseNotice:
    """A sentence for staff on a case's pages (``Procedure.case_notices``) with the other
    cases it is about, linked on the page."""

    text: str
    cases: tuple[int, ...] = ()

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Procedure:
    key: str
    name: str
    bpmn: str  # file name under bpmn/
    dmn: tuple[str, ...] = ()
    description: str = ""
    application_form: type[forms.Form] | None = None
    # BPMN user-task id -> form class; tasks not listed use ``default_task_form``.
    task_forms: dict[str, type[forms.Form]] = field(default_factory=dict)
    default_task_form: type[forms.Form] | None = None
    document_types: tuple[DocumentType, ...] = ()
    # Public notices (公示) the diagram opens with ``open_public_notice``: what each publishes.
    notice_types: tuple = ()
    case_title: str = ""
    # Extra case data computed when an application is filed (e.g. grants already on record).
    application_extra_data: Callable[[dict], dict] | None = None
    # Yearly quotas the procedure's diagram reserves from: (quota key, label) pairs, shown on
    # the county's settings page so the county can split its quota among townships.
    quotas: tuple[tuple[str, str], ...] = ()
    # The applicant takes the application back: fn(*, case_pk, user, reason); raises
    # PermissionDenied / django ValidationError with a Chinese message when not allowed.
    withdraw: Callable | None = None
    # Who may withdraw a running case: fn(user, case) -> bool (the same rule ``withdraw``
    # enforces), so pages offer the button to exactly those users.
    may_withdraw: Callable | None = None
    # Pages of the procedure's own (e.g. the county's inspection campaign): a URL module
    # mounted at p/<key>/ by the portal, and (label, URL name) menu entries for staff.
    urls: str | None = None
    staff_pages: tuple[tuple[str, str], ...] = ()
    # Sensitive fields and attachments and the steps that decide (engine.visibility): who
    # sees bank accounts, diagnoses and certificates in full.
    visibility: VisibilityPolicy | None = None
    # Rules checked server-side whenever one of its tasks is completed (engine.checks):
    # fn(*, spec_name, case_data, form_data) -> notes for the audit trail; raises
    # engine.services.ActionRefused to refuse.
    completion_check: Callable | None = None
    # Notices shown to staff on the case's pages: fn(case_data) -> list of sentences, or
    # fn(case_data, *, case) when it needs the case itself (e.g. other cases of the household).
    case_notices: Callable | None = None
    # The people an application names besides the applicant, for the duplicate check
    # (engine.persons): fn(cleaned_data) -> [{"id_number", "name", "relation"}].
    persons: Callable | None = None
    # The register (登记簿, portal/exports.py): (case-data field, column label) of the
    # amount a decided case granted, e.g. ("approved_amount", "救助金额（元）"); None when
    # the procedure grants no money.
    register_amount: tuple[str, str] | None = None

    def task_form_class(self, spec_name: str, form_key: str = "") -> type[forms.Form]:
        """The form of a user task: the procedure's own, else the generic form the diagram
        declares (``form`` property), else the procedure's default."""
        from .common.forms import GENERIC_FORMS

        form_class = self.task_forms.get(spec_name) or GENERIC_FORMS.get(form_key) or \
            self.default_task_form
        if form_class is None:
            raise LookupError(f"{self.name}的任务 {spec_name} 没有表单")
        return form_class

    def decision_steps(self) -> frozenset[str]:
        """Steps that decide: their form records a ``decision`` (what the engine audits as
        作出决定)."""
        return frozenset(spec for spec, form in self.task_forms.items()
                         if "decision" in form.base_fields)

    def case_notices_for(self, case) -> list[str]:
        if self.case_notices is None:
            return []
        import inspect

        if "case" in inspect.signature(self.case_notices).parameters:
            return list(self.case_notices(case.data, case=case))
        return list(self.case_notices(case.data))

    def has_form(self, spec_name: str) -> bool:
        return spec_name in self.task_forms or self.default_task_form is not None


_PROCEDURES: dict[str, Procedure] = {}


def register(procedure: Procedure) -> None:
    if procedure.visibility is not None:
        _visibility_register(procedure)
    _PROCEDURES[procedure.key] = procedure
    for doc_type in procedure.document_types:
        register_document_type(doc_type)
    if procedure.completion_check is not None:
        from engine.checks import register_completion_check

        register_completion_check(procedure.key, procedure.completion_check)
    from engine.notices import register_notice_type

    for notice_type in procedure.notice_types:
        register_notice_type(notice_type)


def _visibility_register(procedure: Procedure) -> None:
    policy = procedure.visibility
    if policy.deciding_steps is None:
        policy = replace(policy, deciding_steps=procedure.decision_steps())
    # A misspelt step would silently hide the data from everyone: refuse at start-up.
    unknown = policy.steps_needed() - set(procedure.task_forms)
    for spec, view in policy.task_views.items():
        unknown |= ({spec} | set(view.steps)) - set(procedure.task_forms)
    if unknown:
        raise ValueError(f"{procedure.key}: visibility names unknown steps {sorted(unknown)}")
    # A misspelt field or document would silently hide it from the task's handler.
    known_fields = set(procedure.application_form.base_fields) \
        if procedure.application_form else set()
    for form_class in procedure.task_forms.values():
        known_fields |= set(form_class.base_fields)
    known_documents = {doc_type.code for doc_type in procedure.document_types}
    for spec, view in policy.task_views.items():
        missing = (set(view.fields) | set(view.attachments)) - known_fields
        missing |= set(view.documents) - known_documents
        if missing:
            raise ValueError(f"{procedure.key}: task view {spec} names unknown fields or "
                             f"documents {sorted(missing)}")
    register_policy(procedure.key, policy)


def procedure_get(key: str) -> Procedure:
    try:
        return _PROCEDURES[key]
    except KeyError:
        raise LookupError(f"未知的审批事项：{key}") from None


def procedure_list() -> list[Procedure]:
    return list(_PROCEDURES.values())
