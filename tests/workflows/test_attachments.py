"""Uploaded files become case attachments; workflow data never holds their content."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from engine.models import AuditAction
from engine.selectors import attachment_get_for_user
from workflows.registry import procedure_get
from workflows.services import application_form_uploads, application_submit

from .temporary_relief.helpers import application_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% test\n"


def _form(village, files):
    return procedure_get("temporary_relief").application_form(
        data=application_data(village), files={"attachments": files})


def test_application_attachments_are_stored_on_the_case(applicant, village, outsider,
                                                        township_staff):
    form = _form(village, [SimpleUploadedFile("诊断证明.pdf", PDF, "application/pdf"),
                           SimpleUploadedFile("票据.png", b"\x89PNG....", "image/png")])
    assert form.is_valid(), form.errors
    case = application_submit(procedure=procedure_get("temporary_relief"),
                              cleaned_data=form.cleaned_data, user=applicant, on_behalf=False,
                              uploads=application_form_uploads(form))
    names = sorted(case.attachments.values_list("name", flat=True))
    assert names == ["票据.png", "诊断证明.pdf"]
    assert "attachments" not in case.data
    assert case.audit.filter(action=AuditAction.ATTACHMENT).exists()
    attachment = case.attachments.get(name="诊断证明.pdf")
    assert bytes(attachment_get_for_user(township_staff, attachment.uuid).content) == PDF
    with pytest.raises(Http404):
        attachment_get_for_user(outsider, attachment.uuid)


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("x.exe", b"MZ", "application/x-msdownload"), "格式不支持"),
    (SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1), "application/pdf"), "超过10MB"),
])
def test_bad_uploads_are_refused_with_a_clear_message(village, upload, message):
    form = _form(village, [upload])
    assert not form.is_valid()
    assert message in form.errors["attachments"][0]
