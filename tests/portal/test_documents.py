"""Downloading issued documents (PDF) and uploaded materials."""
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from engine.models import Attachment, Document, DocumentStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n% test\n"


@pytest.fixture
def document(case):
    """A rendered decision for the case (rendering itself is tested in tests/engine)."""
    return Document.objects.create(
        case=case, doc_type="relief_decision", title="临时救助决定书", issuer_code="婺民救",
        year=2026, sequence=7, number="婺民救〔2026〕7号", issued_on=timezone.localdate(),
        issuer_unit=case.village.county, holder_name=case.applicant_name,
        holder_id_masked="330***********1232", status=DocumentStatus.READY, pdf=PDF,
        rendered_at=timezone.now())


def _url(document):
    return reverse("portal:document", args=[document.uuid])


def test_applicant_downloads_the_pdf(client_for, applicant, document):
    response = client_for(applicant).get(_url(document))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == PDF
    assert response["Content-Disposition"] == \
        f"attachment; filename*=utf-8''{quote('临时救助决定书.pdf')}"


def test_staff_of_the_jurisdiction_download_it(client_for, township_staff, county_staff,
                                               document):
    for user in (township_staff, county_staff):
        assert client_for(user).get(_url(document)).status_code == 200


def test_document_links_on_the_pages(client_for, applicant, township_staff, document, case):
    assert _url(document) in client_for(applicant).get(reverse("portal:my")).content.decode()
    case_page = client_for(township_staff).get(reverse("portal:case", args=[case.pk]))
    assert _url(document) in case_page.content.decode()
    assert "婺民救〔2026〕7号" in case_page.content.decode()


def test_outsider_gets_404(client_for, outsider, document):
    assert client_for(outsider).get(_url(document)).status_code == 404


def test_another_applicant_gets_404(client_for, other_applicant, document):
    assert client_for(other_applicant).get(_url(document)).status_code == 404


def test_anonymous_is_sent_to_login(client, document):
    response = client.get(_url(document))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_unrendered_document_is_404(client_for, applicant, document):
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.PENDING, pdf=None)
    assert client_for(applicant).get(_url(document)).status_code == 404


# -- uploaded materials --------------------------------------------------------------------------


@pytest.fixture
def attachment(case, applicant):
    return Attachment.objects.create(
        case=case, field="attachments", name="诊断证明.png", content_type="image/png", size=8,
        sha256="0" * 64, content=b"\x89PNG\r\n\x1a\n", uploaded_by=applicant)


def _attachment_url(attachment):
    return reverse("portal:attachment", args=[attachment.uuid])


def test_attachment_download(client_for, applicant, township_staff, attachment, case):
    case_page = client_for(township_staff).get(reverse("portal:case", args=[case.pk]))
    assert _attachment_url(attachment) in case_page.content.decode()
    for user in (applicant, township_staff):
        response = client_for(user).get(_attachment_url(attachment))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content == b"\x89PNG\r\n\x1a\n"
        assert response["Content-Disposition"].startswith("attachment; ")


def test_attachment_is_404_for_outsiders_and_other_applicants(client_for, outsider,
                                                              other_applicant, attachment):
    for user in (outsider, other_applicant):
        assert client_for(user).get(_attachment_url(attachment)).status_code == 404
