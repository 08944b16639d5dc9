"""Public verification of printed documents: the page a document's QR code opens.

No login: whoever holds the paper (a bank, a hospital, the applicant) can check it. The
checksum printed next to the QR code must match, so documents cannot be looked up by uuid
alone, and the page shows masked personal data only (《社会救助暂行办法》 art. 61).
"""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from django.utils import timezone

from engine.documents import date_in_chinese, mask_person_name
from engine.issuers import document_issuer_name, township_office_name
from engine.models import DocumentValidity
from engine.selectors import document_get_public


@require_GET
def verify(request: HttpRequest, uuid) -> HttpResponse:
    """Show a document's number, title, date, masked holder, its real issuer (and the
    entrusted township, if any) and its current status (有效 / 已撤销 / 已作废); 404 when
    the checksum (``?c=``) does not match."""
    checksum = request.GET.get("c", "").strip().upper()
    document = document_get_public(uuid, checksum)
    changed = document.validity_changed_at
    response = render(request, "portal/verify.html", {
        "number": document.number,
        "title": document.title,
        "issued_on": date_in_chinese(document.issued_on),
        "holder_name": mask_person_name(document.holder_name),
        "holder_id": document.holder_id_masked,
        "office_name": document_issuer_name(document),
        "entrusted_to": township_office_name(document.handling_unit)
        if document.issuer_form == "entrusted" and document.handling_unit else "",
        "checksum": checksum,
        "status": document.get_validity_display(),
        "valid": document.validity == DocumentValidity.VALID,
        "status_changed_on": date_in_chinese(timezone.localdate(changed)) if changed else "",
    })
    # The URL carries the checksum: keep it out of search engines and Referer headers.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
