"""Real face photographs for the facial check-in tests and benchmark, from a package, never
downloaded: scikit-image's sample images `astronaut` (Eileen Collins) and `camera` (the
cameraman), and copies derived from them as a phone might take them (mirrored, darker, brighter,
flatter, tilted, smaller, grey, heavily compressed, out of focus).

The cameraman's face is small in his photograph: `cameraman()` is a crop around it, enlarged, as
a selfie would show it.
"""
from __future__ import annotations

import functools
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageEnhance, ImageFilter, ImageOps


@functools.cache
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@functools.cache
def cameraman() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.camera()).convert("RGB").crop((171, 85, 311, 225)).resize((600, 600), Image.LANCZOS)


def _recompressed(image: Image.Image) -> Image.Image:
    return Image.open(io.BytesIO(jpeg(image, quality=35)))


VARIANTS = {
    "as taken": lambda image: image,
    "mirrored": ImageOps.mirror,
    "darker": lambda image: ImageEnhance.Brightness(image).enhance(0.6),
    "brighter": lambda image: ImageEnhance.Brightness(image).enhance(1.3),
    "less contrast": lambda image: ImageEnhance.Contrast(image).enhance(0.7),
    "tilted left": lambda image: image.rotate(8, resample=Image.BICUBIC),
    "tilted right": lambda image: image.rotate(-8, resample=Image.BICUBIC),
    "smaller": lambda image: image.resize((image.width * 2 // 3, image.height * 2 // 3)),
    "grey": lambda image: image.convert("L").convert("RGB"),
    "compressed": _recompressed,
    "out of focus": lambda image: image.filter(ImageFilter.GaussianBlur(1.5)),
}


def variants(image: Image.Image) -> dict[str, Image.Image]:
    return {name: make(image) for name, make in VARIANTS.items()}


def jpeg(image: Image.Image, *, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_taken_at(image: Image.Image, *, latitude: float) -> bytes:
    """A JPEG whose EXIF says where it was taken (a GPS block), as a phone camera writes it."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (float(int(latitude)), 0.0, 0.0)})  # GPSInfo: latitude
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def upload(image: Image.Image, name: str = "face.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(image), content_type="image/jpeg")


def no_face() -> Image.Image:
    """A real photograph without a face (scikit-image's coffee cup)."""
    from skimage import data

    return Image.fromarray(data.coffee())
