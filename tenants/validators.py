"""The one normaliser of an enterprise's name as compared for duplicates (E1)."""
from accounts.validators import visible_text


def enterprise_name_key(name) -> str:
    """`name` as two registrations are compared: NFKC (full-width letters and digits are ASCII),
    invisible characters dropped, case folded, every space removed, so "Acme Ltd", "ＡＣＭＥ ltd"
    and "acme　ltd" are one name."""
    return "".join(visible_text(name).casefold().split())
