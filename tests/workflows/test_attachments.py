"""Uploaded files become case attachments; workflow data never holds their content."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from engine.models import AuditAction
from engine.selectors import attachment_get_for_user
from workflows.registry import procedure_get
from workflows.services import application_form_uploads, application_submit

from .temporary_relief.helpers import application_data
from tests.files import PDF, PNG

pytestmark = pytest.mark.django_db



def _form(village, files):
    return procedure_get("temporary_relief").application_form(
        data=application_data(village), files={"attachments": files})


def test_application_attachments_are_stored_on_the_case(applicant, village, outsider,
                                                        township_staff):
    form = _form(village, [SimpleUploadedFile("诊断证明.pdf", PDF, "application/pdf"),
                           SimpleUploadedFile("票据.png", PNG, "image/png")])
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


def _pe_executable() -> bytes:
    """The start of a Windows program: an MZ header pointing to a PE header."""
    header = bytearray(b"MZ" + b"\0" * 126)
    header[0x3C:0x40] = (128).to_bytes(4, "little")
    return bytes(header) + b"PE\0\0" + b"\x4c\x01" + b"\0" * 200


@pytest.mark.parametrize(("name", "content", "claimed", "message"), [
    ("fake.pdf", _pe_executable(), "application/pdf", "格式不支持（实际内容为 EXE）"),
    ("random.pdf", __import__("os").urandom(5 * 1024 * 1024), "application/pdf",
     "格式不支持（无法识别文件内容）"),
    ("broken.pdf", b"%PDF-1.4\n% no objects, no pages\n", "application/pdf", "已损坏或无法打开"),
    ("photo.png", PNG[:40], "image/png", "已损坏或无法打开"),
    ("scan.pdf", PNG, "application/pdf", "扩展名与内容（PNG）不符"),
    ("empty.pdf", b"", "application/pdf", "空文件"),
])
def test_uploads_are_judged_by_their_content(village, name, content, claimed, message):
    form = _form(village, [SimpleUploadedFile(name, content, claimed)])
    assert not form.is_valid()
    assert message in form.errors["attachments"][0], form.errors["attachments"][0]
    # The rest of the form is kept for the person to correct the file only.
    assert form.data["applicant_name"] == "张建国"


def test_an_encrypted_pdf_is_refused(village):
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    form = _form(village, [SimpleUploadedFile("加密.pdf", out.getvalue(), "application/pdf")])
    assert not form.is_valid()
    assert "已加密" in form.errors["attachments"][0]


def test_stored_type_is_the_content_type_not_the_browsers_claim(applicant, village):
    form = _form(village, [SimpleUploadedFile("票据.png", PNG, "application/pdf")])
    assert form.is_valid(), form.errors
    case = application_submit(procedure=procedure_get("temporary_relief"),
                              cleaned_data=form.cleaned_data, user=applicant, on_behalf=False,
                              uploads=application_form_uploads(form))
    assert case.attachments.get().content_type == "image/png"


def test_the_service_refuses_what_no_form_checked(applicant, village):
    """A path that skips the form (a future API client, a script) meets the same check."""
    from engine.files import FileRefused
    from engine.services import attachments_add

    form = _form(village, [])
    assert form.is_valid(), form.errors
    case = application_submit(procedure=procedure_get("temporary_relief"),
                              cleaned_data=form.cleaned_data, user=applicant, on_behalf=False)
    with pytest.raises(FileRefused, match="格式不支持"):
        attachments_add(case=case, task=None, user=applicant, uploads={"attachments": [
            SimpleUploadedFile("fake.pdf", _pe_executable(), "application/pdf")]})
    assert not case.attachments.exists()


def test_photo_fields_take_images_only():
    from engine.files import IMAGES
    from workflows.common.fields import AttachmentsField

    field = AttachmentsField(kinds=IMAGES, required=False)
    with pytest.raises(Exception, match="请上传 JPG、PNG"):
        field.clean([SimpleUploadedFile("plan.pdf", PDF, "application/pdf")])
    assert field.clean([SimpleUploadedFile("a.png", PNG, "image/png")])
