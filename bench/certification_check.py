"""E4: what the worker's document check costs (certification.documents.clean), per document, on
this machine's CPU: the largest image the request lets through (a 600 dpi A4 scan, 4,960 × 7,016
pixels, JPEG with EXIF) decoded and re-encoded without metadata, and a 20-page PDF re-written
without its metadata. Median of 5 runs each; the last line is the image's median.
"""
import io
import statistics
import time

import _setup  # noqa: F401  (Django settings)
from PIL import Image
from pypdf import PdfWriter

from certification import documents

RUNS = 5


def _scan() -> bytes:
    image = Image.effect_noise((4960, 7016), 10).convert("RGB")  # about 6.6 MB: under the 10 MB limit
    exif = image.getexif()
    exif[0x010F] = "Scanner"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75, exif=exif)
    return out.getvalue()


def _pdf() -> bytes:
    writer = PdfWriter()
    for _page in range(documents.MAX_PDF_PAGES):
        writer.add_blank_page(595, 842)
    writer.add_metadata({"/Author": "bench"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _median_seconds(content: bytes, content_type: str) -> float:
    timings = []
    for _run in range(RUNS):
        started = time.perf_counter()
        documents.clean(content, content_type)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


if __name__ == "__main__":
    scan = _scan()
    print(f"scan: {len(scan) / 1_000_000:.1f} MB JPEG, 4960x7016 pixels")
    pdf_seconds = _median_seconds(_pdf(), documents.PDF)
    print(f"certification_check_pdf_20_pages={pdf_seconds:.3f} s")
    image_seconds = _median_seconds(scan, documents.JPEG)
    print(f"certification_check_a4_scan={image_seconds:.3f} s")
