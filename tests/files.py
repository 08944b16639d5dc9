"""Real small files for upload tests: content checks read the bytes, so fakes will not do."""
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


PDF = pdf_bytes()
PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


def pdf_upload(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


def png_upload(name: str = "照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, "image/png")


def jpeg_upload(name: str = "照片.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG, "image/jpeg")
