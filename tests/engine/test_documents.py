"""Issued documents: PDF rendering of real decisions and refusals, the seal, the QR code, the
uppercase amount, and the public verification page."""
import hashlib
import logging
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from engine import documents
from engine.documents import (
    amount_in_figures,
    amount_in_words,
    date_in_chinese,
    document_checksum,
    document_render,
    document_verify_url,
    mask_person_name,
)
from engine.models import Document, DocumentStatus
from engine.seal import SEAL_SIZE_PX, seal_png
from engine.services import timers_fire_due
from tests.workflows.temporary_relief.helpers import VALID_ID, complete, file_application

SHANGHAI = ZoneInfo("Asia/Shanghai")
FILED_AT = datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI)  # a Monday
APPEAL_WUCHENG = ("如不服本决定，可以自收到之日起六十日内向婺城区人民政府申请行政复议，"
                  "或者在六个月内向婺城区人民法院提起行政诉讼。")


# ---------------------------------------------------------------------------------------------
# Walking real cases


@pytest.fixture
def decision(demo, applicant, village, village_staff, township_staff, township_leader,
             django_capture_on_commit_callbacks):
    """A 2,500-yuan grant decided by the township: accept → investigate → review → 7-day
    public notice (ended by the timer sweep) → township decision."""
    with time_machine.travel(FILED_AT, tick=False) as traveller:
        case = file_application(user=applicant, village=village)
        complete(case, township_staff, "accept", acceptance="accept")
        complete(case, village_staff, "investigate", visit_date="2026-03-17",
                 investigator_1="王敏", investigator_2="陈刚",
                 household_findings="户主住院，家中无其他收入", proposed_amount="2500",
                 village_opinion="情况属实，同意上报")
        complete(case, township_staff, "township_review", economic_check="eligible",
                 amount="2500", recommendation="grant", review_opinion="符合条件，拟救助")
        traveller.shift(timedelta(days=8))
        assert timers_fire_due() == 1
        case.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_leader, "township_decide", decision="approve",
                     approved_amount="2500", payment_method="bank",
                     decision_opinion="同意救助")
    return Document.objects.get(case=case, doc_type="relief_decision")


@pytest.fixture
def refusal(demo, applicant, village, township_staff, django_capture_on_commit_callbacks):
    """An application refused at the window (不予受理) with a written reason."""
    with time_machine.travel(FILED_AT, tick=False):
        case = file_application(user=applicant, village=village)
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_staff, "accept", acceptance="reject",
                     refusal_reason="家庭月收入高于当地临时救助认定标准")
    return Document.objects.get(case=case)


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool (Debian package poppler-utils) and return its output."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install poppler-utils (bin/setup does)")
    return subprocess.run([tool, *args], capture_output=True, text=True,  # noqa: S603
                          check=True).stdout


def pdf_file(pdf: bytes, tmp_path, name: str = "document.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return str(path)


def pdf_text(pdf: bytes, tmp_path) -> str:
    return poppler("pdftotext", "-layout", pdf_file(pdf, tmp_path), "-")


def rendered(document) -> Document:
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY, document.error
    return document


# ---------------------------------------------------------------------------------------------
# PDFs of real cases


def test_decision_pdf_prints_the_decision(decision, tmp_path):
    document = rendered(decision)
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF-")
    assert document.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    text = pdf_text(pdf, tmp_path)
    compact = "".join(text.split())
    assert "临时救助决定书" in compact
    # The demo county devolved township approval: the township decided, in its own name.
    assert document.number == "罗店政救〔2026〕1号"
    assert "罗店政救〔2026〕1号" in compact
    assert "金华市婺城区罗店镇人民政府" in compact
    assert "2500元" in compact and "贰仟伍佰元整" in compact
    assert "社会化发放" in compact
    assert "突发重大疾病" in compact
    assert "罗店镇罗店村" in compact
    assert "张建国" in compact and "330***********1232" in compact
    assert VALID_ID not in compact
    assert "2026年3月24日" in compact  # issued on the day of the decision, 8 days later
    assert "扫码核验" in compact and document_checksum(document) in compact
    assert "先行救助" not in compact
    assert "行政复议" not in compact and "行政诉讼" not in compact


def test_refusal_pdf_carries_the_appeal_sentence(refusal, tmp_path):
    document = rendered(refusal)
    text = pdf_text(bytes(document.pdf), tmp_path)
    compact = "".join(text.split())
    assert "不予临时救助告知书" in compact
    assert "罗店政救告〔2026〕1号" in compact  # 不予受理 by the township, in its own name
    assert "家庭月收入高于当地临时救助认定标准" in compact
    assert "《社会救助暂行办法》" in compact
    assert "不予受理" in compact
    assert APPEAL_WUCHENG in compact
    assert "金华市婺城区罗店镇人民政府" in compact and "2026年3月16日" in compact
    assert VALID_ID not in compact


def test_urgent_decision_says_granted_first(demo, applicant, village, township_staff,
                                          township_leader, django_capture_on_commit_callbacks,
                                          tmp_path):
    with time_machine.travel(FILED_AT, tick=False):
        case = file_application(user=applicant, village=village, urgent="on",
                                requested_amount="1800")
        complete(case, township_staff, "urgent_review", urgent_facts="火灾致房屋烧毁",
                 amount="1800")
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_leader, "urgent_township_decide", decision="approve",
                     approved_amount="1800.5", payment_method="cash",
                     decision_opinion="同意先行救助")
    document = rendered(Document.objects.get(case=case, doc_type="relief_decision"))
    compact = "".join(pdf_text(bytes(document.pdf), tmp_path).split())
    assert "先行救助" in compact
    assert "1800.50元" in compact and "壹仟捌佰元伍角整" in compact
    assert "现金" in compact
    assert "行政复议" not in compact


def test_pdf_is_one_a4_page_with_embedded_noto_fonts(decision, tmp_path):
    document = rendered(decision)
    path = pdf_file(bytes(document.pdf), tmp_path)
    info = poppler("pdfinfo", path)
    assert "Pages:           1" in info
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, height = (round(float(v)) for v in size.split()[2:5:2])
    assert (width, height) == (595, 842)
    fonts = poppler("pdffonts", path)
    faces = [line.split()[0] for line in fonts.splitlines()[2:]]
    # The document fonts (print_templates/fonts, cut from Noto Serif CJK SC by
    # bin/fonts-build): the whole wording of a decision is in the first one, so no fallback
    # to the 65,535-glyph system face, whose embedded subset alone was ~300 KB.
    assert sorted(face.split("+")[1] for face in faces) == ["DocSerif0", "DocSerif0-Bold"], \
        fonts
    # Only subsets (the "ABCDEF+" prefix), never a whole font.
    assert all("+" in face for face in faces), fonts
    # 62 KB measured (fonts 42 KB, seal 10 KB) + ~8 KB of signature (the CMS object,
    # hex-encoded, with the signing certificate); 353 KB with the system face.
    assert len(document.pdf) < 72_000


def test_a_name_outside_gb2312_prints_from_the_fallback_face(
        demo, applicant, village, township_staff, django_capture_on_commit_callbacks,
        tmp_path):
    """堃 and 䶮 are not in GB 2312 (so not in the document fonts): the name still prints,
    from the system's Noto Serif CJK SC, never as an empty box."""
    with time_machine.travel(FILED_AT, tick=False):
        case = file_application(user=applicant, village=village, applicant_name="王堃䶮")
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_staff, "accept", acceptance="reject",
                     refusal_reason="家庭月收入高于当地临时救助认定标准")
    document = rendered(Document.objects.get(case=case))
    path = pdf_file(bytes(document.pdf), tmp_path)
    assert "王堃䶮" in "".join(poppler("pdftotext", path, "-").split())
    faces = [line.split()[0] for line in poppler("pdffonts", path).splitlines()[2:]]
    assert any(face.endswith("+Noto-Serif-CJK-SC") for face in faces), faces


def test_pdf_page_renders_to_an_image(decision, tmp_path):
    """pdftoppm can rasterise the page (the glyphs and the seal were checked by eye once;
    this keeps the rasterisation path working): page 1 has red seal pixels and black text."""
    document = rendered(decision)
    path = pdf_file(bytes(document.pdf), tmp_path)
    poppler("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", path, str(tmp_path / "page"))
    from PIL import Image

    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    width, height = image.size
    assert (round(width / 60 * 72), round(height / 60 * 72)) == (596, 842)  # A4 at 60 dpi

    def count(box, test):
        data = image.crop(box).tobytes()
        return sum(1 for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True)
                   if test(*pixel))

    def is_red(r, g, b):
        return r > 180 and g < 110 and b < 110

    # The seal: red ink in the lower right quarter, where only the seal is red.
    assert count((width // 2, height // 2, width, height * 9 // 10), is_red) > 800
    # The red header and rule at the top, black body text in the middle.
    assert count((0, 0, width, height // 4), is_red) > 300
    assert count((0, height // 4, width, height // 2),
                 lambda r, g, b: r < 80 and g < 80 and b < 80) > 2000


def test_weasyprint_subsets_with_harfbuzz_not_fonttools(decision):
    """Without libharfbuzz-subset0 WeasyPrint falls back to fontTools and a page costs
    seconds (shared/docs/PDF.md)."""
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        document_render(document_pk=decision.pk, force=True)
    finally:
        logger.removeHandler(handler)
    assert not [m for m in messages if "fontTools instead of HarfBuzz-Subset" in m], messages
    assert not [m for m in messages if "HarfBuzz-Subset" in m], messages


def test_rerender_keeps_number_and_bytes(decision):
    first = rendered(decision)
    number, sha, rendered_at = first.number, first.pdf_sha256, first.rendered_at

    # A redelivered task finds the document ready and leaves it alone.
    again = document_render(document_pk=first.pk)
    assert again.rendered_at == rendered_at and again.pdf_sha256 == sha

    # A forced re-render prints the same document: same number, same bytes (no creation
    # date or random id in the PDF).
    forced = document_render(document_pk=first.pk, force=True)
    forced.refresh_from_db()
    assert forced.number == number
    assert forced.rendered_at != rendered_at  # rendered again ...
    assert forced.pdf_sha256 == sha
    assert hashlib.sha256(bytes(forced.pdf)).hexdigest() == sha


def test_render_failure_marks_document_failed_and_reraises(refusal, settings, tmp_path):
    """A template that prints the full ID number is refused: status failed, error kept."""
    template_dir = tmp_path / "print_templates"
    (template_dir / "temporary_relief").mkdir(parents=True)
    (template_dir / "temporary_relief" / "refusal.html").write_text(
        "<p>{{ document.case.applicant_id_number }}</p><p>{{ appeal }}</p>", encoding="utf-8")
    settings.PRINT_TEMPLATES_DIR = template_dir
    Document.objects.filter(pk=refusal.pk).update(status=DocumentStatus.PENDING, pdf=None,
                                                  pdf_sha256="")

    with pytest.raises(ValueError, match="完整身份证号码"):
        document_render(document_pk=refusal.pk)

    refusal.refresh_from_db()
    assert refusal.status == DocumentStatus.FAILED
    assert "完整身份证号码" in refusal.error
    assert refusal.number == "罗店政救告〔2026〕1号"


def test_refusal_template_without_appeal_sentence_is_refused(refusal, settings, tmp_path):
    template_dir = tmp_path / "print_templates"
    (template_dir / "temporary_relief").mkdir(parents=True)
    (template_dir / "temporary_relief" / "refusal.html").write_text(
        "<p>{{ title }} {{ number }}</p>", encoding="utf-8")
    settings.PRINT_TEMPLATES_DIR = template_dir

    with pytest.raises(ValueError, match="行政复议"):
        document_render(document_pk=refusal.pk, force=True)

    refusal.refresh_from_db()
    # It had been rendered before: the good PDF stays, the error is recorded.
    assert refusal.status == DocumentStatus.READY and refusal.pdf
    assert "行政复议" in refusal.error


def test_missing_stylesheet_fails_the_render(decision, settings, tmp_path):
    """WeasyPrint only logs a stylesheet it cannot load; an unstyled document is not issued."""
    template_dir = tmp_path / "print_templates"
    (template_dir / "temporary_relief").mkdir(parents=True)
    (template_dir / "temporary_relief" / "decision.html").write_text(
        '<link rel="stylesheet" href="missing.css"><p>{{ title }}</p>', encoding="utf-8")
    settings.PRINT_TEMPLATES_DIR = template_dir

    with pytest.raises(documents.DocumentRenderError, match="missing.css"):
        document_render(document_pk=decision.pk, force=True)


def test_verify_url_and_qr_code(decision, settings, tmp_path):
    document = rendered(decision)
    # The printed QR code, read off the rendered page by a real decoder (zbar), is the
    # document's verification address.
    path = pdf_file(bytes(document.pdf), tmp_path)
    poppler("pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", path, str(tmp_path / "page"))
    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg is missing: install zbar-tools (bin/setup does)")
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(next(tmp_path.glob("page*.png")))],  # noqa: S603, S607
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded == document_verify_url(document)
    settings.SITE_URL = "https://mz.example.gov.cn"
    checksum = document_checksum(document)
    assert len(checksum) == 12
    assert document_verify_url(document) == (
        f"https://mz.example.gov.cn/verify/{document.uuid}/?c={checksum}")


# ---------------------------------------------------------------------------------------------
# Printed values


@pytest.mark.parametrize(("amount", "words"), [
    (2500, "贰仟伍佰元整"),
    ("2500.00", "贰仟伍佰元整"),
    (Decimal("0.5"), "伍角整"),
    (0.07, "柒分"),
    (0, "零元整"),
    (10, "壹拾元整"),
    (15, "壹拾伍元整"),
    (105, "壹佰零伍元整"),
    (1001, "壹仟零壹元整"),
    (1000.05, "壹仟元零伍分"),
    (1234.56, "壹仟贰佰叁拾肆元伍角陆分"),
    (3000.3, "叁仟元叁角整"),
    (10010, "壹万零壹拾元整"),
    (20000, "贰万元整"),
    (100200.5, "壹拾万零贰佰元伍角整"),
    (1050000, "壹佰零伍万元整"),
    (100000001, "壹亿零壹元整"),
    (100010000, "壹亿零壹万元整"),
    (9999999999.99, "玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


@pytest.mark.parametrize("bad", [None, "", "abc", -1, 10**12])
def test_amount_in_words_rejects_bad_amounts(bad):
    with pytest.raises(ValueError):
        amount_in_words(bad)


def test_amount_in_figures_and_dates():
    assert amount_in_figures(2500) == "2500"
    assert amount_in_figures(2500.5) == "2500.50"
    assert amount_in_figures("800.25") == "800.25"
    assert date_in_chinese(date(2026, 3, 6)) == "2026年3月6日"
    assert date_in_chinese("2026-12-26") == "2026年12月26日"


@pytest.mark.parametrize(("name", "masked"), [
    ("张建国", "张*国"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("李", "李")])
def test_mask_person_name(name, masked):
    assert mask_person_name(name) == masked


def test_seal_is_a_deterministic_semi_transparent_red_disc():
    import io

    from PIL import Image

    png = seal_png("金华市婺城区民政局")
    assert png == seal_png.__wrapped__("金华市婺城区民政局")  # same bytes without the cache
    assert png != seal_png.__wrapped__("金华市金东区民政局")
    image = Image.open(io.BytesIO(png))
    size = SEAL_SIZE_PX
    assert image.mode == "RGBA" and image.size == (size, size)
    alpha = image.getchannel("A")
    low, high = alpha.getextrema()
    assert low == 0 and 150 < high < 255  # transparent outside, never fully opaque
    assert image.getpixel((5, 5))[3] == 0  # corners are outside the circle

    def at(x: float, y: float):  # a point given as a fraction of the seal's width
        return image.getpixel((round(x * size), round(y * size)))

    r, g, b, a = at(0.5, 0.5)  # the star in the middle
    assert a > 150 and r > 150 and g < 60 and b < 60
    # The ring: a point on the border circle, straight below the centre.
    assert at(0.5, 0.982)[3] > 150
    # Text along the upper arc puts ink between the ring and the star; the lower arc is empty.
    band = [round(f * size) for f in (0.12, 0.28, 0.30, 0.70, 0.73, 0.89)]
    upper = sum(1 for y in range(band[0], band[1]) for x in range(band[2], band[3])
                if image.getpixel((x, y))[3] > 100)
    lower = sum(1 for y in range(band[4], band[5]) for x in range(band[2], band[3])
                if image.getpixel((x, y))[3] > 100)
    upper = upper * (496 / size) ** 2  # the ink area measured at 496 px before
    assert upper > 2000 and lower == 0


# ---------------------------------------------------------------------------------------------
# Public verification page


def verify_response(client, document, checksum):
    """GET the public verification page as an anonymous visitor (the QR code's target)."""
    url = reverse("portal:verify", kwargs={"uuid": document.uuid})
    return client.get(url, {"c": checksum})


def test_verify_page_shows_masked_holder(decision, client):
    document = rendered(decision)
    response = verify_response(client, document, document_checksum(document))
    assert response.status_code == 200
    html = response.content.decode()
    for expected in ("罗店政救〔2026〕1号", "临时救助决定书", "2026年3月24日", "张*国",
                     "330***********1232", "金华市婺城区罗店镇人民政府",
                     document_checksum(document), "有效"):
        assert expected in html, expected
    assert "张建国" not in html
    assert VALID_ID not in html


def test_verify_page_accepts_lowercase_checksum(decision, client):
    document = rendered(decision)
    response = verify_response(client, document, document_checksum(document).lower())
    assert response.status_code == 200


@pytest.mark.parametrize("checksum", ["", "000000000000", "ABC"])
def test_verify_page_wrong_checksum_is_404(decision, client, checksum):
    document = rendered(decision)
    response = verify_response(client, document, checksum)
    assert response.status_code == 404
    assert VALID_ID.encode() not in response.content
