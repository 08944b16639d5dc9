"""Signed documents (engine/signing.py): every issued PDF carries a PAdES signature of its
issuer's key; verification tells an intact, trusted file from an altered one, one signed
under another CA, and garbage; a production unit without a key cannot issue."""
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings

from engine import signing
from engine.documents import document_pdf_unsigned, document_sign
from engine.issuers import document_revoke
from engine.models import Document, DocumentValidity
from engine.services import ActionRefused, timers_fire_due
from tests.engine.test_documents import (  # noqa: F401 - fixtures
    FILED_AT,
    decision,
    pdf_file,
    pdf_text,
    poppler,
    refusal,
    rendered,
)
from tests.workflows.temporary_relief.helpers import complete, file_application

TOWNSHIP_OFFICE = "金华市婺城区罗店镇人民政府"


def _signed_pdf(document) -> bytes:
    return bytes(rendered(document).pdf)


def _contents_range(pdf: bytes) -> tuple[int, int]:
    """Where the signature's hex string (/Contents <...>) lies in the file."""
    start = pdf.rindex(b"/Contents <") + len(b"/Contents ")
    return start, pdf.index(b">", start) + 1


def test_issued_document_is_signed_by_its_issuer(decision):
    pdf = _signed_pdf(decision)
    assert b"/SubFilter /ETSI.CAdES.detached" in pdf  # PAdES, not adbe.pkcs7
    result = signing.pdf_verify(pdf)
    assert result.outcome == signing.VALID, result
    assert result.signer == TOWNSHIP_OFFICE
    assert result.signer_issuer == signing.DEMO_CA_NAME
    assert result.same_as_record and result.document == decision
    # The claimed signing time is the moment of issue (so re-renders keep their bytes).
    assert result.signed_at == Document.objects.get(pk=decision.pk).created_at


def test_poppler_agrees_the_signature_is_valid(decision, tmp_path):
    """An independent validator (poppler's pdfsig, as PDF readers do): valid, covering the
    whole file, PAdES; the demo CA is not in its trust store, so the issuer is unknown."""
    report = poppler("pdfsig", pdf_file(_signed_pdf(decision), tmp_path))
    assert "Signature is Valid" in report and "Total document signed" in report, report
    assert "ETSI.CAdES.detached" in report and TOWNSHIP_OFFICE in report


def test_the_visible_seal_and_text_stay(decision, tmp_path):
    pdf = _signed_pdf(decision)
    compact = "".join(pdf_text(pdf, tmp_path).split())
    assert "罗店政救〔2026〕1号" in compact and TOWNSHIP_OFFICE in compact
    # The red seal is still drawn (the signature has no widget over it).
    from PIL import Image

    poppler("pdftoppm", "-r", "40", "-png", "-singlefile", pdf_file(pdf, tmp_path),
            str(tmp_path / "page"))
    image = Image.open(tmp_path / "page.png").convert("RGB")
    red = sum(count for count, (r, g, b) in image.getcolors(maxcolors=1 << 24)
              if r > 150 and g < 110 and b < 110)
    assert red > 200, red


def test_entrusted_documents_are_signed_with_the_county_key(demo, applicant, village,
                                                           township_staff,
                                                           django_capture_on_commit_callbacks):
    """Under 委托 the county bureau issues a township's decision: its key signs."""
    demo.settings = {**demo.settings, "township_approval_form": "entrusted"}
    demo.save(update_fields=["settings"])
    with time_machine.travel(FILED_AT, tick=False):
        case = file_application(user=applicant, village=village)
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_staff, "accept", acceptance="reject",
                     refusal_reason="家庭月收入高于当地临时救助认定标准")
    document = Document.objects.get(case=case)
    assert document.issuer_unit == demo
    result = signing.pdf_verify(_signed_pdf(document))
    assert result.outcome == signing.VALID
    assert result.signer == "金华市婺城区民政局"


@pytest.mark.parametrize("where", [0.02, 0.2, 0.35, 0.5, 0.65, 0.8, 0.97])
def test_one_altered_byte_fails_verification(decision, where):
    pdf = _signed_pdf(decision)
    start, end = _contents_range(pdf)
    position = int(len(pdf) * where)
    if start <= position < end:  # the signature itself: see the next test
        position = end + 10
    altered = bytearray(pdf)
    altered[position] ^= 0x01
    result = signing.pdf_verify(bytes(altered))
    assert result.outcome in (signing.ALTERED, signing.UNREADABLE), (position, result)
    assert result.document is None and not result.signer


def test_an_altered_signature_fails_verification(decision):
    pdf = _signed_pdf(decision)
    start, _end = _contents_range(pdf)
    altered = bytearray(pdf)
    # Inside the signature value (the CMS object is ~2 KB of hex at the start of /Contents).
    position = start + 1 + 2 * 1500
    altered[position] = ord("0") if altered[position] != ord("0") else ord("1")
    assert signing.pdf_verify(bytes(altered)).outcome == signing.ALTERED


def test_a_change_appended_after_signing_is_not_valid(decision):
    """An incremental update after the signature (e.g. an edited amount) leaves the signed
    revision intact, but the signature no longer covers the whole file."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(_signed_pdf(decision)), strict=False)
    info = writer.trailer["/Info"]
    info["/Title"] = generic.TextStringObject("改过的文书")
    writer.update_container(info)
    output = BytesIO()
    writer.write(output)
    assert signing.pdf_verify(output.getvalue()).outcome == signing.ALTERED


def test_a_pdf_signed_under_another_ca_is_untrusted(decision, foreign_signing_dir):
    unsigned = document_pdf_unsigned(decision)
    with override_settings(SIGNING_DIR=foreign_signing_dir):
        forged = document_sign(decision, unsigned)  # same name, another CA's certificate
        assert signing.pdf_verify(forged).outcome == signing.VALID  # trusted over there
    result = signing.pdf_verify(forged)
    assert result.outcome == signing.UNTRUSTED
    assert result.signer == TOWNSHIP_OFFICE  # what the certificate claims...
    assert result.document is None  # ... but nothing of the record is shown


def test_a_pdf_signed_by_another_unit_is_a_mismatch(decision, demo):
    """A unit's key under the trusted CA signing another unit's document (the county signing
    what the township issued) is not the issuer's signature."""
    unsigned = document_pdf_unsigned(decision)
    county = demo
    forged = signing.pdf_sign(unsigned, unit=county, moment=decision.created_at,
                              document_uuid=decision.uuid, reason="伪造")
    result = signing.pdf_verify(forged)
    assert result.outcome == signing.MISMATCH
    assert not result.signature_ok


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n garbage \x00\xff" * 50,
                                  b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF"])
def test_garbage_is_unreadable_or_unsigned(db, data):
    assert signing.pdf_verify(data).outcome in (signing.UNREADABLE, signing.UNSIGNED)


def test_an_unsigned_pdf_is_reported_unsigned(decision):
    assert signing.pdf_verify(document_pdf_unsigned(decision)).outcome == signing.UNSIGNED


def test_a_revoked_document_keeps_a_valid_signature_but_is_no_longer_valid(decision,
                                                                           supervisor):
    pdf = _signed_pdf(decision)
    document_revoke(user=supervisor, document_pk=decision.pk, reason="虚报家庭收入")
    result = signing.pdf_verify(pdf)
    assert result.outcome == signing.VALID
    assert result.document.validity == DocumentValidity.REVOKED


def test_key_files_are_private_and_outside_the_repository(decision):
    files = signing.unit_files("罗店政")
    assert files.key.is_file() and files.cert.is_file()
    assert files.key.stat().st_mode & 0o077 == 0
    assert not files.key.resolve().is_relative_to(settings.BASE_DIR)
    # The default location (var/signing) is ignored by git: keys are never committed.
    default = Path(settings.BASE_DIR) / "var" / "signing" / "units" / "x" / "key.pem"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(default)],  # noqa: S603,S607
                             cwd=settings.BASE_DIR, check=False)
    assert ignored.returncode == 0


# ---------------------------------------------------------------------------------------------
# Production: a unit without a key cannot issue


def _walk_to_decision(applicant, village, village_staff, township_staff, traveller):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-03-17", investigator_1="王敏",
             investigator_2="陈刚", household_findings="属实", proposed_amount="2500",
             village_opinion="同意")
    complete(case, township_staff, "township_review", economic_check="eligible", amount="2500",
             recommendation="grant", review_opinion="符合条件")
    traveller.shift(timedelta(days=8))
    assert timers_fire_due() == 1
    case.refresh_from_db()
    return case


def test_production_refuses_to_issue_without_a_key(demo, applicant, village, village_staff,
                                                   township_staff, township_leader, tmp_path):
    with time_machine.travel(FILED_AT, tick=False) as traveller:
        case = _walk_to_decision(applicant, village, village_staff, township_staff, traveller)
        with override_settings(SIGNING_AUTO_CREATE=False, SIGNING_DIR=tmp_path):
            with pytest.raises(ActionRefused, match="金华市婺城区罗店镇人民政府的电子签章证书"
                                                    "尚未配置，文书不能出具") as refused:
                complete(case, township_leader, "township_decide", decision="approve",
                         approved_amount="2500", payment_method="bank",
                         decision_opinion="同意救助")
            assert str(tmp_path / "units" / "罗店政" / "key.pem") in str(refused.value)
            assert not (tmp_path / "units").exists()  # nothing was created
    assert not Document.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.tasks.filter(spec_name="township_decide", status="open").exists()


def test_production_reads_configured_key_files(decision, tmp_path):
    """Files installed by an operator (here: copied from the demo CA) are used as they are,
    never replaced, and an expired or mismatched pair is refused."""
    import shutil

    source = Path(settings.SIGNING_DIR)
    shutil.copytree(source / "ca", tmp_path / "ca", ignore=shutil.ignore_patterns("ca.key"))
    shutil.copytree(source / "units" / "罗店政", tmp_path / "units" / "罗店政")
    unit = decision.issuer_unit
    signing.demo_unit_ensure(unit.county)
    county_cert = signing.unit_files("婺民").cert
    with override_settings(SIGNING_AUTO_CREATE=False, SIGNING_DIR=tmp_path):
        signing.signing_check(unit)
        pdf = signing.pdf_sign(document_pdf_unsigned(decision), unit=unit,
                               moment=decision.created_at, document_uuid=decision.uuid,
                               reason="测试")
        assert signing.pdf_verify(pdf).outcome == signing.VALID
        # Another unit's certificate with this unit's key: refused with the reason.
        shutil.copy(county_cert, tmp_path / "units" / "罗店政" / "cert.pem")
        with pytest.raises(signing.SigningNotConfigured, match="与私钥不匹配"):
            signing.signing_check(unit)
    assert not (tmp_path / "ca" / "ca.key").exists()


def test_demo_setup_creates_a_certificate_per_issuing_unit(demo):
    from engine.models import Unit

    rows = signing.demo_signing_setup(Unit.objects.exclude(doc_prefix=""))
    codes = {code for _name, code, _created in rows}
    assert "婺民" in codes
    status = {row["code"]: row for row in signing.signing_status(
        Unit.objects.exclude(doc_prefix=""))}
    assert all(row["ok"] for row in status.values()), status


def test_an_expired_certificate_is_refused(decision):
    """The demo certificates end in 2045: after that (and for an expired production
    certificate) the unit cannot issue, even with the signer cached by a running worker."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    unit = decision.issuer_unit
    signing.signing_check(unit)  # cached now
    with override_settings(SIGNING_AUTO_CREATE=False), \
            time_machine.travel(datetime(2046, 1, 2, tzinfo=ZoneInfo("Asia/Shanghai"))):
        with pytest.raises(signing.SigningNotConfigured, match="不在有效期内"):
            signing.signing_check(unit)
