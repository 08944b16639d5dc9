"""The public upload page (/verify/) and its API twin: a good PDF, an altered one, one
signed under another CA, garbage, an oversized file and no file all get a Chinese answer,
never a 500; a revoked document's valid signature still says the document is not valid."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from engine.documents import document_pdf_unsigned, document_sign
from engine.issuers import document_revoke
from tests.engine.test_documents import FILED_AT, decision, rendered  # noqa: F401 - fixtures
from tests.workflows.temporary_relief.helpers import VALID_ID

URL = "/verify/"
API = "/api/documents/verify/"


def _post(client, content: bytes, name="文书.pdf", url=URL):
    return client.post(url, {"pdf": SimpleUploadedFile(name, content, "application/pdf")})


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_page_is_public_and_linked_from_the_qr_page(client, decision):
    assert reverse("portal:verify_upload") == URL
    html = _text(client.get(URL))
    assert "上传本系统出具的文书 PDF" in html and 'enctype="multipart/form-data"' in html
    document = rendered(decision)
    from engine.documents import document_checksum

    page = client.get(reverse("portal:verify", args=[document.uuid]),
                      {"c": document_checksum(document)})
    assert URL in page.content.decode()


def test_a_good_pdf_is_valid_and_names_its_signer(client, decision):
    pdf = bytes(rendered(decision).pdf)
    html = _text(_post(client, pdf))
    for expected in ("电子签名有效，文书有效", "签名单位", "金华市婺城区罗店镇人民政府",
                     "罗店政救〔2026〕1号", "张*国", "民政审批引擎演示根证书"):
        assert expected in html, expected
    assert "张建国" not in html and VALID_ID not in html


def test_one_altered_byte_is_reported(client, decision):
    pdf = bytearray(bytes(rendered(decision).pdf))
    pdf[len(pdf) // 3] ^= 0x01
    html = _text(_post(client, bytes(pdf)))
    assert "未通过" in html
    assert ("文件在签名后被修改过" in html) or ("无法读取该文件" in html)
    assert "罗店政救〔2026〕1号" not in html


def test_another_cas_signature_is_untrusted(client, decision, foreign_signing_dir):
    unsigned = document_pdf_unsigned(decision)
    with override_settings(SIGNING_DIR=foreign_signing_dir):
        forged = document_sign(decision, unsigned)
    html = _text(_post(client, forged))
    assert "签名证书不受信任" in html and "不是本系统认可的证书机构签发的" in html
    assert "罗店政救〔2026〕1号" not in html


def test_revoked_document_says_no_longer_valid(client, decision, supervisor):
    pdf = bytes(rendered(decision).pdf)
    document_revoke(user=supervisor, document_pk=decision.pk, reason="虚报收入")
    html = _text(_post(client, pdf))
    assert "电子签名有效，但本文书已撤销" in html and "不再具有效力" in html


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"just some text", "notes.txt", "上传的文件不是 PDF 文件"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "seal.png", "上传的文件不是 PDF 文件"),
    (b"", "empty.pdf", "上传的文件是空的"),
    (b"%PDF-1.7\n\x00\xff garbage" * 40, "broken.pdf", "无法读取该文件"),
])
def test_garbage_gets_a_chinese_message(client, db, content, name, message):
    assert message in _text(_post(client, content, name))


def test_no_file_and_oversized_file(client, db):
    assert "请选择要核验的 PDF 文件" in _text(client.post(URL, {}))
    with override_settings(VERIFY_UPLOAD_MAX_BYTES=1024 * 1024):
        html = _text(_post(client, b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1)))
    assert "文件过大" in html and "最大 1 MB" in html


def test_api_accepts_an_upload(client, decision):
    pdf = bytes(rendered(decision).pdf)
    response = _post(client, pdf, url=API)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "valid" and body["signature_valid"] and body["document_valid"]
    assert body["signer"] == "金华市婺城区罗店镇人民政府"
    assert body["document"]["number"] == "罗店政救〔2026〕1号"
    assert body["document"]["holder_name"] == "张*国"

    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    body = _post(client, bytes(altered), url=API).json()
    assert body["outcome"] in ("altered", "unreadable") and body["document"] is None

    refused = _post(client, b"not a pdf", "x.txt", url=API)
    assert refused.status_code == 400 and "不是 PDF 文件" in refused.json()["detail"]
    assert client.post(API, {}).status_code == 400
    assert client.get(API).status_code == 405


def test_a_decision_without_a_signing_key_is_refused_on_the_page(
        client_for, leader_task, township_leader, supervisor, tmp_path):
    """Production without the township's key: the leader's decision comes back with the
    reason, nothing is issued, and the county's supervisor is told in the notification
    centre."""
    from engine.models import Document, Notification

    with override_settings(SIGNING_AUTO_CREATE=False, SIGNING_DIR=tmp_path):
        response = client_for(township_leader).post(
            reverse("portal:task", args=[leader_task.pk]),
            {"decision": "approve", "approved_amount": "1000", "payment_method": "bank",
             "decision_opinion": "同意"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "电子签章证书尚未配置，文书不能出具" in html
    assert not Document.objects.filter(case=leader_task.case).exists()
    leader_task.refresh_from_db()
    assert leader_task.status == "open"
    note = Notification.objects.get(user=supervisor, title__contains="流程运行异常")
    assert "电子签章证书尚未配置" in note.body


def test_the_same_refusal_through_the_api_tells_the_supervisor_too(
        client_for, leader_task, township_leader, supervisor, tmp_path):
    """The report lives in the completion service, not in a view: the API path (and any
    other caller of task_complete) refuses the same way and the supervisor is told."""
    from engine.models import Document, Notification

    with override_settings(SIGNING_AUTO_CREATE=False, SIGNING_DIR=tmp_path):
        response = client_for(township_leader).post(
            f"/api/tasks/{leader_task.pk}/complete/",
            {"decision": "approve", "approved_amount": "1000", "payment_method": "bank",
             "decision_opinion": "同意"}, content_type="application/json")
    assert response.status_code == 400, response.content.decode()
    assert "电子签章证书尚未配置，文书不能出具" in response.json()["detail"]
    assert not Document.objects.filter(case=leader_task.case).exists()
    leader_task.refresh_from_db()
    assert leader_task.status == "open"
    note = Notification.objects.get(user=supervisor, title__contains="流程运行异常")
    assert "电子签章证书尚未配置" in note.body
