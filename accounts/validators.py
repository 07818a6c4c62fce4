import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def normalize_mainland_mobile(value: str) -> str:
    """Return the 11-digit form of a mainland China mobile number, or raise ValidationError."""
    raw = re.sub(r"[\s-]", "", str(value or ""))
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
