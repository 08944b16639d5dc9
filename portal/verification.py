"""Public verification of printed documents: the page a document's QR code opens.

No login: whoever holds the paper (a bank, a hospital, the applicant) can check it. The
checksum printed next to the QR code must match, so documents cannot be looked up by uuid
alone, and the page shows masked personal data only (《社会救助暂行办法》 art. 61).

The upload page (``/verify/``) checks the file itself: an emailed PDF carries its issuer's
digital signature (``engine.signing``), so whoever received it learns whether it is intact,
who signed it and whether the document still stands, without the paper's checksum.
"""
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from engine import signing
from engine.documents import date_in_chinese, mask_person_name
from engine.issuers import document_issuer_name, township_office_name
from engine.models import DocumentValidity
from engine.selectors import document_get_public


def _no_index(response: HttpResponse) -> HttpResponse:
    # The URL may carry the checksum: keep it out of search engines and Referer headers.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def document_public_facts(document) -> dict:
    """What anyone holding the document may see of its record (masked personal data)."""
    changed = document.validity_changed_at
    return {
        "number": document.number,
        "title": document.title,
        "issued_on": date_in_chinese(document.issued_on),
        "holder_name": mask_person_name(document.holder_name),
        "holder_id": document.holder_id_masked,
        "office_name": document_issuer_name(document),
        "entrusted_to": township_office_name(document.handling_unit)
        if document.issuer_form == "entrusted" and document.handling_unit else "",
        "status": document.get_validity_display(),
        "valid": document.validity == DocumentValidity.VALID,
        "status_changed_on": date_in_chinese(timezone.localdate(changed)) if changed else "",
    }


@require_GET
def verify(request: HttpRequest, uuid) -> HttpResponse:
    """Show a document's number, title, date, masked holder, its real issuer (and the
    entrusted township, if any) and its current status (有效 / 已撤销 / 已作废); 404 when
    the checksum (``?c=``) does not match."""
    checksum = request.GET.get("c", "").strip().upper()
    document = document_get_public(uuid, checksum)
    return _no_index(render(request, "portal/verify.html", {
        **document_public_facts(document), "checksum": checksum}))


class PdfUploadForm(forms.Form):
    pdf = forms.FileField(label="文书 PDF 文件", error_messages={
        "required": "请选择要核验的 PDF 文件", "empty": "上传的文件是空的",
        "invalid": "上传的内容不是文件，请重新选择"})

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        limit = settings.VERIFY_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"文件过大（{upload.size / 1024 / 1024:.1f} MB），"
                                        f"最大 {limit // 1024 // 1024} MB")
        data = upload.read()
        if b"%PDF-" not in data[:1024]:
            raise forms.ValidationError("上传的文件不是 PDF 文件，请上传本系统出具的文书 PDF")
        return data


def verification_view_context(result: signing.PdfVerification) -> dict:
    """The verification result as the page (and the API) show it."""
    document = result.document
    facts = document_public_facts(document) if document is not None else {}
    signed_at = timezone.localtime(result.signed_at) if result.signed_at else None
    trusted = result.outcome == signing.VALID
    return {
        "outcome": result.outcome,
        "signature_valid": trusted,
        "message": result.message,
        "notes": result.notes,
        "signer": result.signer,
        "signer_issuer": result.signer_issuer,
        "signed_at": f"{date_in_chinese(signed_at)} {signed_at:%H:%M}" if signed_at else "",
        "same_as_record": result.same_as_record,
        "document": facts if trusted else {},
        # Valid only if the signature holds and the record says the document still stands.
        "document_valid": trusted and bool(facts.get("valid")),
    }


@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Public: upload a document's PDF and learn whether its signature holds (intact and by
    a certificate of the configured CA), who signed it, and whether the document is still
    valid (not revoked or voided). Any file gets an answer in Chinese, never an error page."""
    result = None
    if request.method == "POST":
        form = PdfUploadForm(request.POST, request.FILES)
        if form.is_valid():
            result = verification_view_context(signing.pdf_verify(form.cleaned_data["pdf"]))
    else:
        form = PdfUploadForm()
    return _no_index(render(request, "portal/verify_upload.html", {
        "form": form, "result": result,
        "max_mb": settings.VERIFY_UPLOAD_MAX_BYTES // 1024 // 1024}))
