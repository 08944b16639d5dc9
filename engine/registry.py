"""Registries that procedures fill in from ``workflows/`` when Django starts.

The engine never names a procedure; it looks up what a procedure registered here: its
document types (template, number series, how to build the template's context).
"""
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocumentType:
    """A kind of output document a diagram can issue with the ``issue_document`` service task.

    ``series`` is appended to the issuer's prefix to make the issuer code: "婺民" + "救" gives
    numbers like 婺民救〔2026〕12号 (a township deciding in its own name: 罗店政救〔2026〕1号,
    see ``engine.issuers``). Each document type has its own series, so numbers are
    consecutive per issuer, type and year.
    """

    code: str
    title: str
    template: str  # path under print_templates/
    series: str
    is_refusal: bool = False  # refusals and penalties carry the appeal sentence
    # Builds extra template context from the case data frozen at issue time.
    context: Callable[[dict], dict] = field(default=lambda data: {})
    # Levels (UnitLevel values) whose officers may decide this document, e.g. ("county",)
    # for a licensing decision only the county bureau may make; empty: any. Checked when
    # the document is issued and, from the lanes before the service task, at deploy.
    decided_by: tuple[str, ...] = ()


_DOCUMENT_TYPES: dict[str, DocumentType] = {}


def register_document_type(doc_type: DocumentType) -> None:
    existing = _DOCUMENT_TYPES.get(doc_type.code)
    if existing is not None and existing != doc_type:
        raise ValueError(f"document type {doc_type.code} registered twice")
    for other in _DOCUMENT_TYPES.values():
        if other.code != doc_type.code and other.series == doc_type.series:
            raise ValueError(f"document series {doc_type.series} used by {other.code} too")
    _DOCUMENT_TYPES[doc_type.code] = doc_type


def document_type(code: str) -> DocumentType:
    try:
        return _DOCUMENT_TYPES[code]
    except KeyError:
        raise LookupError(f"未登记的文书类型：{code}") from None


def document_types() -> dict[str, DocumentType]:
    return dict(_DOCUMENT_TYPES)


# Procedure actions: named functions a diagram calls with the ``run_action`` service task
# (``<spiffworkflow:parameter id="action" value="&quot;org_mark_abnormal&quot;"/>``). They
# run inside the transaction that saves the case, after the workflow ran, and receive
# ``case``, ``params`` (the other service-task parameters), ``data`` (the task data at that
# point) and ``actor``. This is how a procedure touches its own tables without the engine
# knowing about them.
_ACTIONS: dict[str, Callable] = {}


def register_action(name: str, function: Callable) -> None:
    existing = _ACTIONS.get(name)
    if existing is not None and existing is not function:
        raise ValueError(f"action {name} registered twice")
    _ACTIONS[name] = function


def action(name: str) -> Callable:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise LookupError(f"未登记的流程动作：{name}") from None


def actions() -> dict[str, Callable]:
    return dict(_ACTIONS)
