"""Real-world rules for address-book values (E7): resident ID numbers, landlines, QQ, WeChat IDs.

Each normaliser returns the canonical form of a value or raises a translated ValidationError;
the console forms, the API and the bulk import all call these, so a value accepted by one
interface is accepted by all of them.
"""
from __future__ import annotations

import functools
import re
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# GB 11643-1999: weights of the first 17 digits and the check character for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits: the province-level division (GB/T 2260), incl. Hong Kong, Macao, Taiwan.
_PROVINCE_CODES = {
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
}


def resident_id_check_character(first_17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(digit) * weight for digit, weight in zip(first_17, _ID_WEIGHTS)) % 11]


def normalize_resident_id(value: str) -> str:
    """Return an 18-character mainland resident ID number (upper-case X), or raise.

    Checks the shape, the province code, the birth date inside it (a real date, not in the future,
    not before 1900) and the GB 11643 check character.
    """
    text = re.sub(r"\s", "", str(value or "")).upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValidationError(_("A resident ID number has 17 digits followed by a digit or X."), code="id_shape")
    if int(text[:2]) not in _PROVINCE_CODES:
        raise ValidationError(_("This resident ID number has an unknown region code."), code="id_region")
    birth = birth_date_of_resident_id(text)
    if birth is None or birth > date.today() or birth.year < 1900:
        raise ValidationError(_("The birth date inside this resident ID number is not a valid date."),
                              code="id_birth_date")
    if resident_id_check_character(text[:17]) != text[17]:
        raise ValidationError(_("The check digit of this resident ID number is wrong."), code="id_check_digit")
    return text


def birth_date_of_resident_id(text: str) -> date | None:
    try:
        return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None


# A mainland mobile number already in its canonical 11-digit form, minus the prefixes the
# national-prefix rule of CN treats as carrier codes (11x, 12x, 179: those go the long way).
_CANONICAL_MOBILE = re.compile(r"1[3-9]\d{9}")


def canonical_mainland_mobile(text: str) -> str | None:
    """`text` if it is an 11-digit mainland mobile number in canonical form, else None.

    Bulk imports call this before `accounts.validators.normalize_mainland_mobile` (the rule's
    one definition) and fall back to it on None. For these inputs `phonenumbers.parse(text, "CN")`
    strips nothing (no country code, no IDD, no national or carrier prefix), so the parsed
    national number is `text` itself and the number is valid and a mobile exactly when CN's own
    metadata types it MOBILE or FIXED_LINE_OR_MOBILE: the same test `normalize_mainland_mobile`
    makes, without the parsing. tests/orgdata prove they agree.
    """
    if not _CANONICAL_MOBILE.fullmatch(text) or text.startswith("179"):
        return None
    general, blockers, fixed_line, mobile, same_patterns = _cn_number_rules()
    # phonenumbers' _number_type_helper(text, CN metadata), asking only "MOBILE or FIXED_LINE_OR_MOBILE?"
    if not general(text) or any(blocker(text) for blocker in blockers):
        return None
    if fixed_line(text):
        return text if same_patterns or mobile(text) else None
    return text if not same_patterns and mobile(text) else None


@functools.cache
def _cn_number_rules():
    """CN's number descriptions from phonenumbers' metadata, compiled for 11-digit numbers."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")

    def matcher(desc):
        # phonenumbers._is_number_matching_desc: the length must be possible, the pattern must match whole.
        if desc is None or not desc.national_number_pattern or (desc.possible_length
                                                                and 11 not in desc.possible_length):
            return lambda text: False
        return re.compile(desc.national_number_pattern).fullmatch

    blockers = [matcher(getattr(metadata, name)) for name in (
        "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")]
    return (matcher(metadata.general_desc), blockers, matcher(metadata.fixed_line), matcher(metadata.mobile),
            bool(metadata.same_mobile_and_fixed_line_pattern))

def normalize_landline(value: str) -> str:
    """Return a mainland landline as `0AA-NNNNNNNN` (optionally `-ext`), or raise."""
    raw = str(value or "").strip()
    extension = ""
    match = re.fullmatch(r"(.+?)(?:\s*(?:-|转|ext\.?|x)\s*(\d{1,6}))?", raw, flags=re.IGNORECASE)
    if match and match.group(2) and len(re.sub(r"\D", "", match.group(1))) >= 10:
        raw, extension = match.group(1), match.group(2)
    try:
        parsed = phonenumbers.parse(re.sub(r"[\s()（）-]", "", raw), "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid mainland China landline number, e.g. 021-12345678."),
                              code="invalid_landline")
    kind = phonenumbers.number_type(parsed)
    if (parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed)
            or kind not in (phonenumbers.PhoneNumberType.FIXED_LINE,
                            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)):
        raise ValidationError(_("Enter a valid mainland China landline number, e.g. 021-12345678."),
                              code="invalid_landline")
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    area, _space, number = national.partition(" ")
    formatted = f"{area}-{number.replace(' ', '')}" if number else national
    return f"{formatted}-{extension}" if extension else formatted


def normalize_email(value: str) -> str:
    text = str(value or "").strip()
    validate_email(text)
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_qq(value: str) -> str:
    text = str(value or "").strip()
    if not re.fullmatch(r"[1-9]\d{4,11}", text):
        raise ValidationError(_("A QQ number has 5 to 12 digits and does not start with 0."), code="invalid_qq")
    return text


def normalize_wechat_id(value: str) -> str:
    text = str(value or "").strip()
    if not re.fullmatch(r"[A-Za-z][-_A-Za-z0-9]{5,19}", text):
        raise ValidationError(
            _("A WeChat ID has 6 to 20 letters, digits, hyphens or underscores and starts with a letter."),
            code="invalid_wechat_id",
        )
    return text


def normalize_employee_number(value: str) -> str:
    text = str(value or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][-_A-Za-z0-9]{0,31}", text):
        raise ValidationError(
            _("An employee number has up to 32 letters, digits, hyphens or underscores."),
            code="invalid_employee_number",
        )
    return text


def validate_not_in_future(value: date) -> None:
    if value and value > date.today():
        raise ValidationError(_("This date is in the future."), code="future_date")


# Images are checked by their first bytes rather than their name: the console and the API
# accept only PNG and JPEG for avatars and seal images.
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def validate_image_upload(upload) -> None:
    if upload is None:
        return
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is larger than 2 MB."), code="image_too_large")
    position = upload.tell() if hasattr(upload, "tell") else 0
    head = upload.read(8)
    upload.seek(position)
    if not any(head.startswith(signature) for signature in _IMAGE_SIGNATURES):
        raise ValidationError(_("Upload a PNG or JPEG image."), code="not_an_image")
