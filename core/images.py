"""The one image cleaner: a PNG or JPEG decoded and re-encoded without any of its metadata.

Runs in Celery workers only (certification's documents, field work's photos and attachments):
an upload is never decoded inside a web request, where a decoder bug or a decompression bomb
would take the web process down. The request checks the header only
(orgdata.validators.validate_image_upload / sniff_image); the worker calls `clean_image`.

What comes out is only pixels: EXIF (which can carry a GPS position), XMP, ICC profiles, comments,
text chunks and thumbnails are dropped, after the EXIF orientation is applied so the picture stays
upright. The size is checked again from the decoder's own reading, before any pixel is decoded.
"""
from __future__ import annotations

import io
import warnings

from django.utils.translation import gettext_noop

PNG, JPEG = "image/png", "image/jpeg"
_FORMATS = {PNG: "PNG", JPEG: "JPEG"}


class ImageRefused(Exception):
    """The image cannot be cleaned; `reason` is a translatable message (gettext_noop)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def clean_image(content: bytes, content_type: str, *, max_side: int, max_pixels: int) -> tuple[bytes, int, int]:
    """`content` (PNG or JPEG, as `content_type` says) re-encoded without metadata: (bytes, width,
    height). Refuses (ImageRefused) another type, an image wider or taller than `max_side` or over
    `max_pixels` pixels by its decoder's reading, and anything the decoder cannot read whole
    (a truncated file, a corrupt EXIF block, a chunk that inflates beyond Pillow's limits: a
    decompression bomb behind a small header)."""
    from PIL import ImageFile

    if content_type not in _FORMATS:
        raise ImageRefused(gettext_noop("Upload a PNG or JPEG image."))
    # face_recognition (imported by the same workers) switches Pillow to loading truncated images,
    # process-wide, which also lets an oversized text chunk through: the cleaner never does.
    tolerates_truncation, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _reencoded(content, content_type, max_side=max_side, max_pixels=max_pixels)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerates_truncation


def _reencoded(content: bytes, content_type: str, *, max_side: int, max_pixels: int) -> tuple[bytes, int, int]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what Pillow only warns about (a corrupt EXIF block) is refused too
        try:
            with Image.open(io.BytesIO(content), formats=[_FORMATS[content_type]]) as image:
                width, height = image.size
                if max(width, height) > max_side or width * height > max_pixels:
                    raise ImageRefused(gettext_noop("The image is too large."))
                image.load()  # the whole file is decoded here: a truncated one fails now
                upright = ImageOps.exif_transpose(image)
                pixels = upright.convert("L" if upright.mode in ("1", "L", "LA", "I", "I;16") else "RGB")
        except ImageRefused:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, KeyError, Image.DecompressionBombError,
                Warning):
            raise ImageRefused(gettext_noop("The image could not be read; upload it again.")) from None
    pixels.info = {}  # nothing of the original's metadata reaches the encoder
    out = io.BytesIO()
    if content_type == JPEG:
        pixels.save(out, "JPEG", quality=90, optimize=True)
    else:
        pixels.save(out, "PNG", optimize=True)
    return out.getvalue(), pixels.width, pixels.height
