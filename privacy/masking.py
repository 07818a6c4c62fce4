"""Masking helpers: what a masked value looks like. Which field is shown masked to whom is the one
policy in privacy.disclosure (surfaces ask it, not these helpers); log redaction uses them directly."""


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


def mask_name(value: str | None) -> str:
    """`张三丰` → `张**`, `Li Lei` → `L*****`: the first character only."""
    if not value:
        return ""
    text = str(value)
    return text[0] + "*" * (len(text) - 1)


def mask_email(value: str | None) -> str:
    """`zhang.san@example.com` → `z***@example.com`."""
    if not value:
        return ""
    local, at, domain = str(value).partition("@")
    if not at:
        return mask_name(local)
    return f"{local[:1]}***@{domain}"


def mask_location(value) -> str:
    """Whereabouts are sensitive (C2): nothing of a place is shown masked, only that one exists."""
    return "***" if value else ""


def mask_landline(value: str | None) -> str:
    """`021-12345678` → `021-****5678`."""
    if not value:
        return ""
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    return text[:-8] + "****" + text[-4:] if len(text) > 8 else "*" * (len(text) - 4) + text[-4:]
