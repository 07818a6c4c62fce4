"""The certification documents' content checks (E4): only real images and PDFs, bounded, cleaned.

Two stages. In the request, `sniff_upload` reads only what no decoder needs: the size, the first
bytes (PNG, JPEG or PDF, whatever the file is called) and, for an image, the dimensions its header
states (orgdata.validators.sniff_image, the one header reader), so a 60,000-pixel-wide "image" of
a few kilobytes (a decompression bomb) is refused before any decoder sees it. In the Celery worker,
`clean` really parses the file and stores only what it re-wrote: an image decoded and re-encoded
by core.images (the one image cleaner) without EXIF, XMP, ICC or text chunks, upright; a PDF read
by pypdf within tight decompression limits, refused when encrypted, and rewritten page by page without its
document information, XMP metadata, scripts, actions, annotations or attachments.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import images
from orgdata.validators import sniff_image

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_IMAGE_SIDE = 10_000
MAX_IMAGE_PIXELS = 40_000_000  # a 600 dpi A4 scan is about 35 million
MAX_PDF_PAGES = 20
# pypdf's decompression limits while the worker reads a PDF (its defaults allow 75 MB per stream).
MAX_PDF_STREAM_BYTES = 20_000_000
PDF_SIGNATURE = b"%PDF-"

PNG, JPEG, PDF = images.PNG, images.JPEG, "application/pdf"
_IMAGE_TYPES = {"png": PNG, "jpg": JPEG}


@dataclass(frozen=True)
class Sniffed:
    content: bytes
    content_type: str


def sniff_upload(upload) -> Sniffed:
    """The upload's bytes and real type, or a ValidationError naming what is wrong with it.

    Refuses an empty file, one over 10 MB, anything that is not a PNG, JPEG or PDF by its content,
    an image whose header cannot be read, and one wider or taller than 10,000 pixels or over
    40 million pixels. Reads at most 10 MB + 1 byte.
    """
    if upload is None:
        raise ValidationError(_("Upload the file."), code="required")
    too_large = ValidationError(_("The file is larger than 10 MB."), code="file_too_large")
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise too_large
    upload.seek(0)
    content = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise too_large
    if not content:
        raise ValidationError(_("The file is empty."), code="empty_file")
    if content.startswith(PDF_SIGNATURE):
        return Sniffed(content, PDF)
    sniffed = sniff_image(content)
    if sniffed is None:
        raise ValidationError(_("Upload a PNG or JPEG image or a PDF file."), code="unsupported_file")
    extension, size = sniffed
    if size is None or not all(size):
        raise ValidationError(_("This image is damaged; upload it again."), code="damaged_image")
    _refuse_oversized_image(*size)
    return Sniffed(content, _IMAGE_TYPES[extension])


def _refuse_oversized_image(width: int, height: int) -> None:
    if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            _("The image is too large: at most %(side)s pixels a side and %(megapixels)s million pixels.")
            % {"side": f"{MAX_IMAGE_SIDE:,}", "megapixels": MAX_IMAGE_PIXELS // 1_000_000}, code="image_too_large")


class DocumentRefused(Exception):
    """The worker's check refused a document; `reason` is a translatable message (gettext_noop)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Cleaned:
    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def clean(content: bytes, content_type: str) -> Cleaned:
    """The document re-written without metadata, or DocumentRefused. Runs in the worker only."""
    if content_type == PDF:
        return _clean_pdf(content)
    if content_type in (PNG, JPEG):
        return _clean_image(content, content_type)
    raise DocumentRefused(gettext_noop("Upload a PNG or JPEG image or a PDF file."))


def _clean_image(content: bytes, content_type: str) -> Cleaned:
    try:
        cleaned, width, height = images.clean_image(content, content_type, max_side=MAX_IMAGE_SIDE,
                                                    max_pixels=MAX_IMAGE_PIXELS)
    except images.ImageRefused as refusal:
        raise DocumentRefused(refusal.reason) from None
    return Cleaned(cleaned, content_type, width=width, height=height)


# Page entries that carry scripts, actions, attachments or metadata: never copied.
_DROPPED_PAGE_KEYS = ("/AA", "/Annots", "/Metadata", "/PieceInfo", "/B", "/Thumb")


def _clean_pdf(content: bytes) -> Cleaned:
    from pypdf import PdfReader, PdfWriter
    from pypdf import apply_configuration
    from pypdf.errors import PyPdfError

    limits = dict(zlib_maximum_output_length=MAX_PDF_STREAM_BYTES, lzw_maximum_output_length=MAX_PDF_STREAM_BYTES,
                  run_length_maximum_output_length=MAX_PDF_STREAM_BYTES,
                  array_based_stream_maximum_output_length=MAX_PDF_STREAM_BYTES,
                  maximum_declared_stream_length=MAX_DOCUMENT_BYTES,
                  stream_decoding_work_maximum_length=4 * MAX_PDF_STREAM_BYTES,
                  page_tree_maximum_entries=MAX_PDF_PAGES * 10)
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                raise DocumentRefused(gettext_noop("The PDF is password-protected; upload it without a password."))
            pages = len(reader.pages)
            if not 1 <= pages <= MAX_PDF_PAGES:
                raise DocumentRefused(gettext_noop("The PDF must have between 1 and 20 pages."))
            writer = PdfWriter()
            for page in reader.pages:
                # A real parse: every page's content is decoded (within the limits above).
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
                added = writer.add_page(page)
                for key in _DROPPED_PAGE_KEYS:
                    added.pop(key, None)
            writer.metadata = None  # no /Info (author, creator, producer, dates)
            out = io.BytesIO()
            writer.write(out)
    except DocumentRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError, MemoryError):
        raise DocumentRefused(gettext_noop("The PDF could not be read; upload it again.")) from None
    return Cleaned(out.getvalue(), PDF, pages=pages)
