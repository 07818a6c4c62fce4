import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


# Characters that change nothing a reader sees but make two spellings of one value differ:
# zero-width spaces and joiners, bidi marks and overrides (U+200B–U+200F, U+202A–U+202E,
# U+2066–U+2069), the BOM (U+FEFF), soft hyphens — Unicode's whole "format" category (Cf) —
# and control characters (Cc) other than whitespace, which collapses like any other space.
def _is_invisible(character: str) -> bool:
    category = unicodedata.category(character)
    return category == "Cf" or (category == "Cc" and not character.isspace())


def visible_text(value) -> str:
    """`value` as NFKC text without invisible characters (full-width digits and letters become
    ASCII, the ideographic space an ordinary one); not trimmed."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    if text.isprintable():  # no Cc or Cf character at all: the common case, checked in C
        return text
    return "".join(character for character in text if not _is_invisible(character))


def clean_name_text(value) -> str:
    """The one normaliser of names and other free text (people's names, department names,
    positions, job levels, titles, addresses): NFKC, invisible and bidi control characters
    removed, runs of whitespace collapsed to one space, trimmed. May be empty."""
    return " ".join(visible_text(value).split())


def normalize_name(value, *, max_length: int) -> str:
    """The one validator of a required name: `clean_name_text`, then refuses a name that is empty
    after cleaning (e.g. only zero-width characters) or longer than `max_length`."""
    text = clean_name_text(value)
    if not text:
        raise ValidationError(_("Enter a name with at least one visible character."), code="empty_name")
    if len(text) > max_length:
        raise ValidationError(_("Use at most %(count)d characters.") % {"count": max_length}, code="too_long")
    return text


# What people type between the digits of a phone number (after NFKC: full-width brackets are ASCII;
# the Unicode hyphens and dashes U+2010–U+2015 and the minus sign U+2212 stay as they are).
_MOBILE_SEPARATORS = re.compile(r"[\s\-.()\[\]\u2010-\u2015\u2212]")
_MOBILE_SHAPE = re.compile(r"\+?[0-9]{1,20}", flags=re.ASCII)


def normalize_mainland_mobile(value: str) -> str:
    """Return the 11-digit form of a mainland China mobile number, or raise ValidationError.

    The one normaliser of mobile numbers (console, API, import, sign-in, blind index): NFKC
    (full-width digits and ＋), invisible characters, spaces, hyphens, dots and brackets removed,
    then the prefixes +86, 0086 and 86 understood. Refuses anything that is not then a mainland
    mobile number (other countries, landlines, digits of other scripts, letters).
    """
    raw = _MOBILE_SEPARATORS.sub("", visible_text(value))
    if not _MOBILE_SHAPE.fullmatch(raw):
        raise ValidationError(_("Enter a valid mainland China mobile number."), code="invalid_mobile")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid mainland China mobile number."), code="invalid_mobile")
    is_mobile = phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    )
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed) or not is_mobile:
        raise ValidationError(_("Enter a valid mainland China mobile number."), code="invalid_mobile")
    return str(parsed.national_number)


class CharacterClassValidator:
    """X3: a password mixes at least `min_classes` of lower case, upper case, digits, symbols."""

    _classes = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        present = sum(1 for pattern in self._classes if re.search(pattern, password))
        if present < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "Your password must mix at least %(count)d kind of character: lower case, upper case, digits, symbols.",
            "Your password must mix at least %(count)d kinds of characters: lower case, upper case, digits, symbols.",
            self.min_classes,
        ) % {"count": self.min_classes}
