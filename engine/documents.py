"""Issued documents: the PDF (Django template → WeasyPrint), its seal, its verification
checksum, URL and QR code.

A ``Document`` row is numbered in the deciding transaction (``services._document_issue``); this
module only turns the row into a PDF, later, in a Celery task. Everything printed comes from the
row itself — the number, the holder, the case data frozen at issue time — so rendering again
prints the same document.

Templates live in ``settings.PRINT_TEMPLATES_DIR`` (``print_templates/``) and are rendered by a
standalone template engine, separate from the portal's: print templates get their own filters
(``yuan``, ``rmb_upper``, ``cn_date``) and never see request context processors.
"""
import base64
import hashlib
import hmac
import io
import logging
import re
import threading
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import qrcode
from django import template
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .identity import is_id_number
from .models import Document, DocumentStatus
from .registry import DocumentType, document_type
from .seal import SEAL_DIAMETER_MM, seal_png

logger = logging.getLogger(__name__)

# Template filters of the print engine (installed as builtins, no {% load %} needed).
register = template.Library()

APPEAL_SENTENCE = ("如不服本决定，可以自收到之日起六十日内向{county}人民政府申请行政复议，"
                   "或者在六个月内向{county}人民法院提起行政诉讼。")

# Case-data keys never handed to print templates: documents print the masked ID only
# (《社会救助暂行办法》 art. 61 confidentiality). ``_check_privacy`` backs this up.
_PRIVATE_KEYS = frozenset({"id_number", "applicant_id_number", "bank_account", "phone",
                           "members_text", "members"})
_ID_NUMBER_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


# ---------------------------------------------------------------------------------------------
# Checksum and verification URL


def document_checksum(document) -> str:
    """12 hex characters binding the document's identity to this installation's secret: a
    forged QR code (other number, other holder) fails verification."""
    message = f"{document.uuid}|{document.number}|{document.holder_name}|{document.issued_on}"
    digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256)
    return digest.hexdigest()[:12].upper()


def document_verify_url(document) -> str:
    """The public verification page the document's QR code points to."""
    return f"{settings.SITE_URL}/verify/{document.uuid}/?c={document_checksum(document)}"


def document_qr_png(document) -> bytes:
    """The verification URL as a QR code: a black-and-white PNG, 4 pixels per module (kept
    sharp when scaled by the stylesheet's ``image-rendering: pixelated``, and by viewers that
    smooth images anyway), medium error correction; about 1 KB. A bitmap, because WeasyPrint
    draws the SVG path of a QR code ~70 ms slower."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1,
                         box_size=4)
    code.add_data(document_verify_url(document))
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().get_image().convert("1").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def mask_person_name(name: str) -> str:
    """张建国 → 张*国, 张三 → 张*: the surname and the last character stay readable."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# ---------------------------------------------------------------------------------------------
# Amounts and dates as printed


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿")


def _to_amount(value) -> Decimal:
    if value is None or value == "":
        raise ValueError("金额为空")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"金额无效：{value!r}") from None
    if amount < 0:
        raise ValueError("金额不能为负数")
    if amount >= Decimal("1000000000000"):
        raise ValueError("金额过大")
    return amount


def _four_digits(group: int) -> str:
    """0 < group < 10000 in uppercase digits, inner zeros read once (1001 → 壹仟零壹)."""
    text = ""
    zero = False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


def amount_in_words(value) -> str:
    """Money in Chinese uppercase (大写金额), as written on cheques and decisions:
    2500 → 贰仟伍佰元整, 1000.05 → 壹仟元零伍分, 100200.5 → 壹拾万零贰佰元伍角整."""
    amount = _to_amount(value)
    yuan = int(amount)
    cents = int((amount - yuan) * 100)
    jiao, fen = divmod(cents, 10)
    text = ""
    if yuan:
        groups = []
        rest = yuan
        while rest:
            groups.append(rest % 10000)
            rest //= 10000
        need_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or group < 1000):
                text += "零"
            text += _four_digits(group) + _BIG_UNITS[index]
            need_zero = False
        text += "元"
    if not cents:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def amount_in_figures(value) -> str:
    """2500 → 2500, 2500.5 → 2500.50 (yuan; cents only when there are any)."""
    amount = _to_amount(value)
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


def date_in_chinese(value) -> str:
    """2026-03-26 → 2026年3月26日 (GB/T 9704: Arabic numerals, no leading zeros)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


register.filter("rmb_upper", amount_in_words)
register.filter("yuan", amount_in_figures)
register.filter("cn_date", date_in_chinese)


# ---------------------------------------------------------------------------------------------
# Rendering


@lru_cache(maxsize=4)
def _template_engine(directory: str, debug: bool) -> template.Engine:
    # Not the project's TEMPLATES setting: print templates are a separate tree with their own
    # filters. In production (debug off) Django wraps the loader in its cached loader.
    return template.Engine(dirs=[directory], debug=debug, builtins=[__name__])


def print_templates_engine() -> template.Engine:
    return _template_engine(str(settings.PRINT_TEMPLATES_DIR), bool(settings.DEBUG))


def _data_uri(mime: str, content: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def document_template_context(document: Document, doc_type: DocumentType) -> dict:
    """What a print template sees. Built from the document row only, so it is the same on
    every render."""
    from .issuers import document_issuer_name, entrusted_line

    data = document.context or {}
    office_name = document_issuer_name(document)
    # The county names the review and court venues, whoever issued (a township's decision
    # is reviewed by the county government too).
    county = document.case.village.county.name
    public_data = {key: value for key, value in data.items() if key not in _PRIVATE_KEYS}
    return {
        **public_data,
        **doc_type.context(data),
        "data": public_data,
        "document": document,
        "doc_type": doc_type,
        "title": document.title,
        "number": document.number,
        "holder_name": document.holder_name,
        "holder_id_masked": document.holder_id_masked,
        "issued_on": document.issued_on,
        "applied_on": timezone.localdate(document.case.created_at),
        "office_name": office_name,
        "entrusted_line": entrusted_line(document),
        "county": county,
        "appeal": APPEAL_SENTENCE.format(county=county) if doc_type.is_refusal else "",
        "checksum": document_checksum(document),
        "verify_url": document_verify_url(document),
        "qr_uri": _data_uri("image/png", document_qr_png(document)),
        "seal_uri": _data_uri("image/png", seal_png(office_name)),
        "seal_mm": SEAL_DIAMETER_MM,
    }


def _check_printable(document: Document, doc_type: DocumentType, html: str,
                     context: dict) -> None:
    """Last guard before printing: no full ID number, and refusals carry the appeal sentence
    even if a template overrode the block that prints it."""
    # Only strings that are valid ID numbers (check character and birth date) count, so an
    # all-digit unified social credit code may still be printed.
    id_numbers = {n for n in _ID_NUMBER_RE.findall(str(document.context)) if is_id_number(n)}
    if document.case.applicant_id_number:
        id_numbers.add(document.case.applicant_id_number)
    if any(number.upper() in html.upper() for number in id_numbers):
        raise ValueError(f"{document.title}模板打印了完整身份证号码，已拒绝生成")
    if doc_type.is_refusal and context["appeal"] not in html:
        raise ValueError(f"{document.title}缺少行政复议和行政诉讼告知语句")


def document_html(document: Document) -> str:
    """The document's HTML, from its type's template under print_templates/."""
    doc_type = document_type(document.doc_type)
    context = document_template_context(document, doc_type)
    html = print_templates_engine().get_template(doc_type.template).render(
        template.Context(context))
    _check_printable(document, doc_type, html, context)
    return html


class DocumentRenderError(RuntimeError):
    """WeasyPrint could not load a resource the template references (stylesheet, image)."""


class _ErrorCollector(logging.Handler):
    """WeasyPrint reports a missing stylesheet or image as a logged error and goes on; a
    document printed without its layout or seal must not be issued, so collect them. Only
    records of the rendering thread count, in case several threads render at once."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


_renderer = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread, kept for the process's life: loading the
    document fonts (``@font-face``) into a fresh one costs more than rendering a page.
    Per thread, because Pango and fontconfig objects are not shared safely between threads
    (the embedded demo renders in the web server's threads)."""
    config = getattr(_renderer, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _renderer.font_config = FontConfiguration()
    return config


def document_pdf(document: Document) -> bytes:
    """The document as issued: rendered, then signed (PAdES) with the issuing unit's key
    (``engine.signing``). Deterministic for a given row, templates and key: no creation date
    or random identifier is written and the signing time is the issue moment, so a
    re-render gives the same bytes."""
    return document_sign(document, document_pdf_unsigned(document))


def document_sign(document: Document, pdf: bytes) -> bytes:
    """Sign a rendered PDF with the key of the unit whose name and seal it carries."""
    from .issuers import document_issuer_name
    from .signing import pdf_sign

    return pdf_sign(pdf, unit=document.issuer_unit, moment=document.created_at,
                    document_uuid=document.uuid,
                    reason=f"{document_issuer_name(document)}出具{document.title}"
                           f"（{document.number}）")


def document_pdf_unsigned(document: Document) -> bytes:
    """Render the document to PDF bytes with WeasyPrint (not yet signed)."""
    from weasyprint import HTML  # imported lazily: loads Pango and fonts

    html = document_html(document)
    # base_url: templates reference print_templates/document.css (and may reference images
    # or fonts) by relative path.
    base_url = f"{settings.PRINT_TEMPLATES_DIR.resolve().as_uri()}/"
    collector = _ErrorCollector()
    weasyprint_logger = logging.getLogger("weasyprint")
    weasyprint_logger.addHandler(collector)
    try:
        pdf = HTML(string=html, base_url=base_url).write_pdf(font_config=_font_config())
    finally:
        weasyprint_logger.removeHandler(collector)
    if collector.messages:
        raise DocumentRenderError("；".join(collector.messages))
    return pdf


def document_render(*, document_pk: int, force: bool = False) -> Document:
    """Render a document's PDF and mark it ready. Called by ``document_render_task``.

    Idempotent, because a redelivered Celery task runs it again: the row is locked, so two
    workers never render the same document at once, and a document already rendered is left
    as it is unless ``force`` (e.g. after a template fix). The number, the holder and the
    printed facts come from the row and never change; only the PDF bytes are (re)written.
    On failure the document is marked failed with the error, and the exception re-raised so
    the task can retry.
    """
    try:
        with transaction.atomic():
            document = (Document.objects.select_for_update(of=("self",))
                        .select_related("issuer_unit", "handling_unit", "case__village")
                        .get(pk=document_pk))
            if document.status == DocumentStatus.READY and document.pdf and not force:
                return document
            pdf = document_pdf(document)
            document.pdf = pdf
            document.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
            document.status = DocumentStatus.READY
            document.rendered_at = timezone.now()
            document.error = ""
            document.save(update_fields=["pdf", "pdf_sha256", "status", "rendered_at",
                                         "error"])
            return document
    except Exception as exc:
        logger.exception("rendering document %s failed", document_pk)
        _document_record_failure(document_pk, exc)
        raise


def _document_record_failure(document_pk: int, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        # A document rendered before keeps its good PDF and stays ready; the error is kept.
        Document.objects.filter(pk=document_pk).exclude(status=DocumentStatus.READY).update(
            status=DocumentStatus.FAILED, error=error)
        Document.objects.filter(pk=document_pk, status=DocumentStatus.READY).update(
            error=error)
