"""Registries that procedures fill in from ``workflows/`` when Django starts.

The engine never names a procedure; it looks up what a procedure registered here: its
document types (template, number series, how to build the template's context).
"""
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocumentType:
    """A kind of output document a diagram can issue with the ``issue_document`` service task.

    ``series`` is appended to the county's prefix to make the issuer code: "婺民" + "救" gives
    numbers like 婺民救〔2026〕12号. Each document type has its own series, so numbers are
    consecutive per issuer, type and year.
    """

    code: str
    title: str
    template: str  # path under print_templates/
    series: str
    is_refusal: bool = False  # refusals and penalties carry the appeal sentence
    # Builds extra template context from the case data frozen at issue time.
    context: Callable[[dict], dict] = field(default=lambda data: {})


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
