"""What an uploaded file really is: its type read from its content (not from the name or the
browser's ``Content-Type``), and whether it opens. Used by the upload form field for a friendly
message and again by ``services.attachments_add``, the one path every upload takes."""
import io

import filetype
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from .errors import ActionRefused

# MIME type → (label, extensions a file of that type may carry).
FILE_KINDS = {
    "application/pdf": ("PDF", (".pdf",)),
    "image/jpeg": ("JPG", (".jpg", ".jpeg")),
    "image/png": ("PNG", (".png",)),
}
DOCUMENTS = tuple(FILE_KINDS)  # PDF and images: bills, certificates, scans
IMAGES = ("image/jpeg", "image/png")  # photos
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class FileRefused(ActionRefused):
    """The file is not of an allowed type, does not open, or is too large."""


def allowed_labels(allowed) -> str:
    return "、".join(FILE_KINDS[mime][0] for mime in allowed)


def file_check(*, name: str, content: bytes, allowed=DOCUMENTS) -> str:
    """The file's real MIME type, or ``FileRefused`` with a Chinese message naming the file.

    The type comes from the content's signature; the name's extension must agree with it (a
    PNG named .pdf is refused, so what staff download is what the name says). Images must
    decode (Pillow's ``verify``, which also refuses decompression bombs) and PDFs must open
    with at least one readable page and no encryption."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileRefused(f"文件“{name}”超过{MAX_UPLOAD_BYTES // (1024 * 1024)}MB")
    if not content:
        raise FileRefused(f"文件“{name}”是空文件")
    kind = filetype.guess(content[:8192])
    mime = kind.mime if kind else None
    if mime not in allowed:
        found = f"（实际内容为 {kind.extension.upper()}）" if kind else "（无法识别文件内容）"
        raise FileRefused(f"文件“{name}”格式不支持{found}，请上传 {allowed_labels(allowed)}")
    label, extensions = FILE_KINDS[mime]
    if not name.lower().endswith(extensions):
        raise FileRefused(f"文件“{name}”的扩展名与内容（{label}）不符，请核对后重新上传")
    if mime in IMAGES:
        _check_image(name, content)
    else:
        _check_pdf(name, content)
    return mime


def _check_image(name: str, content: bytes) -> None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise FileRefused(f"图片“{name}”已损坏或无法打开，请重新上传") from exc


def _check_pdf(name: str, content: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise FileRefused(f"PDF“{name}”已加密，请上传未加密的文件")
        if len(reader.pages) < 1:
            raise FileRefused(f"PDF“{name}”没有页面")
        reader.pages[0].mediabox  # noqa: B018 - touching the first page parses it
    except FileRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise FileRefused(f"PDF“{name}”已损坏或无法打开，请重新上传") from exc
