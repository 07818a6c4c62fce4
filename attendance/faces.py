"""Face embeddings for facial check-in (A2): the one place the face model runs.

The model is dlib's face detector (HOG) and its ResNet face encoder, with the weights the
`face-recognition-models` package ships, used through `face-recognition` (nothing is downloaded
at run time). A face becomes 128 numbers; two photos show the same person when their embeddings
lie within MATCH_DISTANCE of each other (Euclidean distance, the model's own scale).

MATCH_DISTANCE = 0.6 is the model authors' recommended threshold. Measured on the tests' photos
(scikit-image's astronaut and cameraman, and copies altered in light, angle, size, colour,
compression and focus): genuine pairs lie at 0.06–0.33, different people at 0.80–0.85, so no
false accept and no false reject at 0.6 (tests/attendance/test_faces.py prints the counts,
bench/face_check_in.py too).

Runs in Celery workers only (the enrolment task, and the check-in's
tasks.compute_check_in_embedding the request waits for): a decoder crash or hang kills a worker
child, never a web process. Bounds: a photo has passed orgdata.validators.validate_image_upload
(PNG or JPEG by content, ≤ 2 MB, ≤ 4096 px a side; in the request, by its header) before it is
decoded, and is decoded at most FACE_IMAGE_SIDE pixels on its longer side (a JPEG straight at a reduced scale), so one embedding costs a bounded fraction
of a second on one core whatever the upload (bench/face_check_in.py measures a whole check-in).
The model (about 100 MB) is loaded on first use: processes that never see a face never load it.
"""
from __future__ import annotations

import functools
import io
import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdata.validators import validate_image_upload

FACE_IMAGE_SIDE = 640
EMBEDDING_SIZE = 128
# A2: the largest distance between two embeddings still taken for the same person.
MATCH_DISTANCE = 0.6
# Upsampling the photo once finds faces down to about 40 pixels in a FACE_IMAGE_SIDE image; a photo
# where none is found is searched once more, upsampled twice (about four times the cost).
_UPSAMPLES = (1, 2)
NO_FACE_FOUND = gettext_lazy("No face was found in this photo. Face the camera in good light.")


@functools.cache
def _model():
    import face_recognition  # loads the weights (face-recognition-models) on import

    return face_recognition


def _pixels(upload):
    """The upload decoded to RGB pixels, at most FACE_IMAGE_SIDE on its longer side, upright."""
    import numpy
    from PIL import Image, ImageOps, UnidentifiedImageError

    upload.seek(0)
    try:
        image = Image.open(io.BytesIO(upload.read()))
        image.draft("RGB", (FACE_IMAGE_SIDE, FACE_IMAGE_SIDE))  # JPEG: decode at a reduced scale
        image = ImageOps.exif_transpose(image)  # phones store portraits sideways with an orientation tag
        image = image.convert("RGB")
        image.thumbnail((FACE_IMAGE_SIDE, FACE_IMAGE_SIDE))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"photo": [ValidationError(_("This image is damaged; upload it again."),
                                                         code="damaged_image")]}) from None
    return numpy.ascontiguousarray(numpy.asarray(image, dtype=numpy.uint8))


def embedding_of(upload) -> list[float]:
    """The 128-number embedding of the clearest face in `upload` (an uploaded or in-memory file).

    Refuses (ValidationError on `photo`) what validate_image_upload refuses, an image that cannot
    be decoded, and a photo in which no face is found.
    """
    try:
        validate_image_upload(upload)
    except ValidationError as error:
        raise ValidationError({"photo": [error]}) from None
    pixels = _pixels(upload)
    model = _model()
    # The detector's own confidence picks the face: a badge or a drawing may be found too, weaker.
    for upsample in _UPSAMPLES:
        detections, scores, _kinds = model.api.face_detector.run(pixels, upsample, 0)
        if len(detections):
            break
    else:
        raise ValidationError({"photo": [ValidationError(NO_FACE_FOUND, code="no_face")]})
    best = max(range(len(detections)), key=lambda index: scores[index])
    box = detections[best]
    height, width = pixels.shape[:2]
    face = (max(box.top(), 0), min(box.right(), width), min(box.bottom(), height), max(box.left(), 0))
    embedding = model.face_encodings(pixels, [face])[0]
    return [round(float(value), 6) for value in embedding]


def distance(enrolled: list[float], probe: list[float]) -> float:
    """Euclidean distance between two embeddings."""
    if len(enrolled) != EMBEDDING_SIZE or len(probe) != EMBEDDING_SIZE:
        raise ValueError("an embedding has 128 numbers")
    return math.dist(enrolled, probe)


def is_same_face(enrolled: list[float], probe: list[float]) -> bool:
    """A2: whether `probe` shows the person whose embedding is `enrolled`."""
    return distance(enrolled, probe) <= MATCH_DISTANCE
