"""Real-world rules for address-book values (E7): resident ID numbers, dates, landlines, QQ,
WeChat IDs, choices, images; and the enterprise's unified social credit code (E4).

Each normaliser returns the canonical form of a value or raises a translated ValidationError;
the console forms, the API and the bulk import all call these (through
`orgdata.services.employees.clean_employee_values`), so a value accepted by one interface is
accepted by all of them. Mobile numbers and names have theirs in `accounts.validators` (the
account holds them); they are re-exported here so that every kind of value is found in one place.
"""
from __future__ import annotations

import functools
import re
from datetime import date, datetime

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.validators import clean_name_text, normalize_mainland_mobile, normalize_name, visible_text

__all__ = [
    "birth_date_of_resident_id", "canonical_mainland_mobile", "choice_refusal", "clean_name_text",
    "normalize_email", "normalize_employee_number", "normalize_landline", "normalize_mainland_mobile",
    "normalize_name", "normalize_qq", "normalize_resident_id", "normalize_uscc", "normalize_wechat_id", "parse_date",
    "resident_id_check_character", "sniff_image", "uscc_check_character", "validate_image_upload", "validate_not_in_future", "visible_text",
    "age_on", "is_child", "is_minor", "is_under_working_age", "eighteenth_birthday",
]

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
    if len(first_17) == 17 and first_17.isdecimal():
        # The weights are 2**17 ... 2**1 mod 11, and 13 ≡ 2 (mod 11): read in base 13 and doubled,
        # the digits give the weighted sum mod 11 in one C call (an import checks 100,000 twice).
        return _ID_CHECK[int(first_17, 13) * 2 % 11]
    return _ID_CHECK[sum(int(digit) * weight for digit, weight in zip(first_17, _ID_WEIGHTS)) % 11]


_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def normalize_resident_id(value: str) -> str:
    """Return an 18-character mainland resident ID number (upper-case X), or raise.

    The one normaliser of ID numbers (console, API, import, and the blind index that keeps them
    unique): NFKC (full-width digits and Ｘ), invisible characters and every space removed, x
    upper-cased. Then refuses a wrong shape, an unknown province code, a birth date inside it
    that is not a real date, in the future or before 1900, and a wrong GB 11643 check character.
    """
    text = "".join(visible_text(value).split()).upper()
    if not _RESIDENT_ID_SHAPE.fullmatch(text):
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


# GB 32100-2015: the unified social credit code has 18 characters from these 31 (no I, O, S, V, Z),
# each worth its index; weights of the first 17 and the check character for 31 - (sum mod 31).
USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(f"[{USCC_CHARACTERS}]{{2}}[0-9]{{6}}[{USCC_CHARACTERS}]{{10}}")


def uscc_check_character(first_17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a unified social credit code."""
    total = sum(USCC_CHARACTERS.index(character) * weight for character, weight in zip(first_17, _USCC_WEIGHTS))
    return USCC_CHARACTERS[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """Return an 18-character unified social credit code (upper case), or raise.

    E4: the one normaliser of USCCs (the certification form, the Django admin, anything else that
    takes one): NFKC (full-width letters and digits), invisible characters, spaces and hyphens
    removed, letters upper-cased. Then refuses a wrong length, a character outside GB 32100's set
    (I, O, S, V, Z never occur), an administrative-division part (characters 3–8) that is not six
    digits, and a wrong check character.
    """
    text = re.sub(r"[\s-]", "", visible_text(value)).upper()
    if len(text) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length")
    if not _USCC_SHAPE.fullmatch(text):
        raise ValidationError(
            _("A unified social credit code uses digits and the capital letters A–Y except I, O, S, V and Z; "
              "characters 3 to 8 are digits."), code="uscc_characters")
    if uscc_check_character(text[:17]) != text[17]:
        raise ValidationError(_("The check character of this unified social credit code is wrong."),
                              code="uscc_check_character")
    return text


def birth_date_of_resident_id(text: str) -> date | None:
    """The birth date digits 7–14 of an 18-character resident ID number state (YYYYMMDD), or None."""
    try:
        return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None


# M2: information of children under 14 is never collected (and deleted as soon as found). M1: under
# 16, the legal working age, nobody gets an account, even with a guardian's consent; 16 and 17 only
# with a guardian's consent. Ages are whole years on the enterprise's day.
CHILD_AGE_LIMIT = 14
WORKING_AGE = 16
ADULT_AGE = 18


def age_on(birth: date, day: date) -> int:
    """Whole years from `birth` to `day` (someone born on 29 February turns a year older on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_child(birth: date | None, *, today: date | None = None) -> bool:
    """M2: whether a person born on `birth` is under 14 today (None: nothing is known)."""
    return birth is not None and age_on(birth, today or timezone.localdate()) < CHILD_AGE_LIMIT


def is_under_working_age(birth: date | None, *, today: date | None = None) -> bool:
    """M1: whether a person born on `birth` is under 16 today, children under 14 included."""
    return birth is not None and age_on(birth, today or timezone.localdate()) < WORKING_AGE


def is_minor(birth: date | None, *, today: date | None = None) -> bool:
    """M2: whether a person born on `birth` is under 18 today, children under 14 included."""
    return birth is not None and age_on(birth, today or timezone.localdate()) < ADULT_AGE


def eighteenth_birthday(birth: date | None) -> date | None:
    """M1: the first day on which a person born on `birth` is 18 (`age_on` counts 29 February as
    1 March in other years), or None when nothing is known."""
    if birth is None:
        return None
    try:
        return birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:  # born on 29 February, and the 18th year is not a leap year
        return date(birth.year + ADULT_AGE, 3, 1)


# A mainland mobile number already in its canonical 11-digit form, minus the prefixes the
# national-prefix rule of CN treats as carrier codes (11x, 12x, 179: those go the long way).
_CANONICAL_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only: "１３８…" takes the long way


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


# Plain ASCII addresses (a dot-atom local part, host-name labels, a top-level domain of letters): a
# strict subset of what Django's validate_email accepts, so a match needs none of its checks; every
# other address is decided by validate_email. tests/orgdata prove the subset.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
                          r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def normalize_email(value: str) -> str:
    text = str(value or "").strip()
    if len(text) > 320 or not _PLAIN_EMAIL.fullmatch(text):
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


# The date spellings a Chinese HR administrator types, for console, API and import alike:
# 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日 (full-width digits too, after NFKC); spreadsheet
# date cells arrive as date objects. Nothing else: a compact 20240301 or a bare serial number is
# ambiguous, and what the console refuses the import refuses too.
_DATE_PATTERNS = (
    re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})"),
    re.compile(r"([0-9]{4})(年)([0-9]{1,2})月([0-9]{1,2})日?"),
)
OLDEST_DATE = date(1900, 1, 1)


def parse_date(value) -> date:
    """The one date parser. Returns the date, or refuses anything but the spellings above, an
    impossible date (2024-02-30) and a date before 1900."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        text = "".join(visible_text(value).split()) if isinstance(value, str) else ""
        parsed = None
        for pattern in _DATE_PATTERNS:
            match = pattern.fullmatch(text)
            if match:
                year, _separator, month, day = match.groups()
                try:
                    parsed = date(int(year), int(month), int(day))
                except ValueError:
                    pass
                break
        if parsed is None:
            raise ValidationError(_invalid_date_message(), code="invalid_date")
    if parsed < OLDEST_DATE:
        raise ValidationError(_invalid_date_message(), code="invalid_date")
    return parsed


def _invalid_date_message() -> str:
    return _("Enter a valid date, e.g. 2024-03-01, 2024/3/1 or 2024年3月1日.")


def validate_not_in_future(value: date) -> None:
    if value and value > date.today():
        raise ValidationError(_("This date is in the future."), code="future_date")


def choice_refusal(choices) -> str:
    """The message refusing a value outside `choices` ((value, label) pairs), naming the accepted
    labels in the current language."""
    return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(label) for _value, label in choices)}


# Avatars and seal images are checked by their content, never their name or declared type: PNG or
# JPEG by the first bytes, then the header that states the size (PNG IHDR, JPEG SOFn) is read
# here, so nothing else ever parses an image we refused.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4), JPG (C8), DAC (CC).
_JPEG_FRAME_MARKERS = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))


def validate_image_upload(upload) -> str | None:
    """Check an uploaded image by its content; return the extension of its real type ("png" or
    "jpg"), or None for no upload.

    Refuses a file over 2 MB, anything that is not a PNG or JPEG by content, an image whose header
    cannot be read, and one wider or taller than 4096 pixels.
    """
    if upload is None:
        return None
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is larger than 2 MB."), code="image_too_large")
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    content = upload.read(MAX_IMAGE_BYTES + 1)
    upload.seek(position)
    if len(content) > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is larger than 2 MB."), code="image_too_large")
    sniffed = sniff_image(content)
    if sniffed is None:
        raise ValidationError(_("Upload a PNG or JPEG image."), code="not_an_image")
    extension, size = sniffed
    if size is None or not all(size):
        raise ValidationError(_("This image is damaged; upload it again."), code="damaged_image")
    if max(size) > MAX_IMAGE_SIDE:
        raise ValidationError(_("The image is larger than %(side)d × %(side)d pixels.") % {"side": MAX_IMAGE_SIDE},
                              code="image_too_wide")
    return extension


def sniff_image(content: bytes) -> tuple[str, tuple[int, int] | None] | None:
    """The real type of an image by its first bytes ("png" or "jpg") and the size its header states
    (None when the header cannot be read), or None for anything but PNG and JPEG. Reads headers
    only: the one place that tells an image's type and size before any decoder sees it."""
    if content.startswith(_PNG_SIGNATURE):
        return "png", _png_size(content)
    if content.startswith(_JPEG_SIGNATURE):
        return "jpg", _jpeg_size(content)
    return None


def _png_size(content: bytes) -> tuple[int, int] | None:
    # Signature (8), then the IHDR chunk first: length (4) = 13, type "IHDR", width (4), height (4).
    if len(content) < 24 or content[12:16] != b"IHDR" or int.from_bytes(content[8:12], "big") != 13:
        return None
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    at = 2  # after SOI
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            return None
        marker = content[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD8 or 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length field
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        length = int.from_bytes(content[at + 2:at + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_FRAME_MARKERS:
            # length (2), precision (1), height (2), width (2)
            if at + 9 > len(content):
                return None
            return int.from_bytes(content[at + 7:at + 9], "big"), int.from_bytes(content[at + 5:at + 7], "big")
        at += 2 + length
    return None
