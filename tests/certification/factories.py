"""Enterprise certification (E4) for tests: documents made by Pillow and pypdf, and a certified
enterprise without the review round trip (for tests about what certification unlocks)."""
from __future__ import annotations

import io
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from access.actors import SystemActor

# A real unified social credit code (GB 32100 check character 3) and a valid resident ID number.
USCC = "91350100M000100Y43"
LEGAL_REPRESENTATIVE_ID = "11010519491231002X"
CERTIFIED_IN_TEST = SystemActor("certified in a test")


def jpeg_with_exif(*, width: int = 320, height: int = 200, secret: str = "Zhang San's phone") -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = image.getexif()
    exif[0x010F] = secret  # Make
    exif[0x013B] = secret  # Artist
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(*, width: int = 200, height: int = 120, text: str = "") -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Author", text)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def pdf_with_metadata(*, author: str = "Li Si") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Author": author, "/Title": "Licence scan"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def huge_pixel_png(side: int = 60_000) -> bytes:
    """A decompression bomb: a PNG whose header claims side × side pixels, a few hundred bytes long."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10_000)) + chunk(b"IEND", b"")


def pdf_flate_bomb(expanded_bytes: int = 300_000_000) -> bytes:
    """A one-page PDF whose content stream inflates to `expanded_bytes` (a zip bomb, ~300 KB)."""
    compressor = zlib.compressobj(9)
    chunk = b" " * 1_000_000
    stream = b"".join(compressor.compress(chunk) for _ in range(expanded_bytes // len(chunk))) + compressor.flush()
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]/Contents 4 0 R>>endobj\n"
            b"4 0 obj<</Length " + str(len(stream)).encode() + b"/Filter/FlateDecode>>stream\n" + stream
            + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def certify(enterprise) -> None:
    """Mark `enterprise` certified inside the test's transaction (an approved submission, as the
    review leaves it); tests of the review itself go through the console and the admin."""
    from certification.models import Submission

    with schema_context("public"):
        submission = Submission(enterprise=enterprise, certificate_type=Submission.CertificateType.BUSINESS_LICENCE,
                                uscc=USCC, enterprise_name=enterprise.name, enterprise_address="上海市浦东新区",
                                legal_representative_name="张三", legal_representative_id_number=LEGAL_REPRESENTATIVE_ID,
                                status=Submission.Status.APPROVED, submitted_by=str(CERTIFIED_IN_TEST),
                                reviewed_by=str(CERTIFIED_IN_TEST))
        submission.save()
