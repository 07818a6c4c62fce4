"""Masking helpers: the one way personal identifiers are shown unless unmasking is permitted."""


def mask_mobile(value: str | None) -> str:
    """`13812345678` → `138****5678`."""
    if not value:
        return ""
    digits = str(value)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(value: str | None) -> str:
    """Resident ID `110101199003071234` → `1101**********1234`."""
    if not value:
        return ""
    text = str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return f"{text[:4]}{'*' * (len(text) - 8)}{text[-4:]}"


def mask_bank_card(value: str | None) -> str:
    """`6222021234567890123` → `6222 **** **** 0123`: first and last four digits only."""
    if not value:
        return ""
    digits = str(value).replace(" ", "")
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"
