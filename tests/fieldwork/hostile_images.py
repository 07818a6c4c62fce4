"""Hostile images whose headers pass the request's check (orgdata.validators.validate_image_upload:
PNG or JPEG by content, small, a few pixels) but which no decoder should read whole."""
from __future__ import annotations

import io
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb() -> bytes:
    """A 64 × 64 PNG (as its header says) carrying a compressed text chunk that inflates to 200 MB."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, "PNG")
    raw = buffer.getvalue()
    bomb = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\0" * 200_000_000, 9))
    at = raw.index(b"IDAT") - 4
    return raw[:at] + bomb + raw[at:]


def truncated_jpeg() -> bytes:
    """A 256 × 256 JPEG cut in the middle of its scan data (the header is whole)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(buffer, "JPEG")
    raw = buffer.getvalue()
    return raw[:len(raw) // 2]


def bad_exif_jpeg() -> bytes:
    """A whole JPEG whose EXIF block claims 65,535 entries and an orientation stored beyond its end."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    raw = buffer.getvalue()
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\xff\xff" + b"\x01\x12\x00\x03\xff\xff\xff\xff\x7f\xff\xff\xff"
    payload = b"Exif\x00\x00" + tiff
    return raw[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + raw[2:]
