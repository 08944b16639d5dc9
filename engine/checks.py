"""Completion checks: rules a procedure attaches to the completion of its tasks.

A procedure registers one function (``workflows.registry.register`` does it for a
``Procedure.completion_check``); ``services._complete_diagram_task`` calls it inside the case
lock before the workflow moves, so every path that completes a task (task form, delegate
confirmation, co-signed completion, a future API) passes the same rule. The function gets
``spec_name``, ``case_data`` (what the case knew before this step) and ``form_data`` — and
``case`` (the locked row) when its signature names it —; it raises
``engine.services.ActionRefused`` (Chinese message, nothing saved) or returns notes — short
Chinese sentences that are recorded in the audit trail with the completion, e.g. a decision
taken against the recorded recommendation and its reason.
"""
from collections.abc import Callable

_CHECKS: dict[str, Callable] = {}


def register_completion_check(procedure_key: str, function: Callable) -> None:
    existing = _CHECKS.get(procedure_key)
    if existing is not None and existing is not function:
        raise ValueError(f"completion check of {procedure_key} registered twice")
    _CHECKS[procedure_key] = function


def _takes_case(function: Callable) -> bool:
    """Does the check want the case itself (keyword ``case``), e.g. to look at other cases
    (a duplicate application filed after this one)? Older checks take only data."""
    import inspect

    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "case" in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


def completion_check_run(*, case, task, form_data: dict, actor, principal=None,
                         record: bool = True, notes: list[str] | None = None) -> list[str]:
    """Run the procedure's check for completing ``task`` with ``form_data``; record its notes
    (audit entries of the completing user) unless ``record`` is False (an early check of an
    answer that is not applied yet). Raises what the check raises. ``notes``: what the early
    check of the same answer, in the same transaction, returned (it is not run twice)."""
    from .models import AuditAction, AuditEntry

    function = _CHECKS.get(case.procedure)
    if function is None:
        return []
    if notes is None:
        extra = {"case": case} if _takes_case(function) else {}
        notes = list(function(spec_name=task.spec_name, case_data=dict(case.data),
                              form_data=dict(form_data), **extra) or [])
    for note in notes if record else ():
        AuditEntry.objects.create(case=case, task=task, actor=actor, on_behalf_of=principal,
                                  action=AuditAction.DECISION, summary=str(note)[:300],
                                  data={"note": str(note)})
    return notes
