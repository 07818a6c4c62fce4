"""The bulk import's shortcuts give exactly what the one normaliser or lookup of each kind of value
gives (issue 19: speed from doing less, never from deciding differently), over many generated values."""
import random
import string

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection

from accounts.validators import normalize_mainland_mobile
from core.bulk_rows import text_array
from orgdata import validators
from privacy.crypto import blind_index, blind_indexer

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _outcome(function, value):
    try:
        return "ok", function(value)
    except ValidationError as error:
        return "refused", error.messages


def test_every_canonical_mobile_the_fast_path_accepts_is_what_the_normaliser_answers():
    randomiser = random.Random(19)
    accepted = 0
    for prefix in range(1000, 2000):  # every four-digit start, the mainland's and others
        for _ in range(3):
            text = f"{prefix}{randomiser.randrange(10 ** 7):07d}"
            fast = validators.canonical_mainland_mobile(text)
            expected = _outcome(normalize_mainland_mobile, text)
            # None means "take the long way"; otherwise it is what the long way answers.
            assert fast is None or expected == ("ok", fast), text
            accepted += fast is not None
    assert accepted > 1000  # the shortcut does carry the common shape


def _email_by_django(value):
    text = str(value or "").strip()
    validate_email(text)
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def _generated_addresses(count: int):
    randomiser = random.Random(2026)
    pieces = [*string.ascii_letters, *string.digits, ".", "-", "_", "+", "@", "..", "-.", ".-", "'", "\"",
              " ", "é", "中", "\u200b", "xn--", "com", "cn", "[1.2.3.4]", "localhost", "1", "a" * 64]
    yield from ("e12@example.com", "Zhang.San@Example.COM", "a@b.c", "a@b.cn", "x@-a.com", "x@a-.com",
                "x@a.c-m", "x@a.123", ".a@b.com", "a.@b.com", "a..b@c.com", "a@b@c.com", "a" * 310 + "@example.com",
                "a@" + "b" * 64 + ".com", "a@" + "b" * 63 + ".com", "a@b." + "c" * 64, "a@b." + "c" * 63)
    for _ in range(count):
        local = "".join(randomiser.choice(pieces) for _ in range(randomiser.randrange(1, 6)))
        domain = "".join(randomiser.choice(pieces) for _ in range(randomiser.randrange(1, 8)))
        yield f"{local}@{domain}"
        yield f"{local}@{domain}.{randomiser.choice(('com', 'cn', 'c', 'co1', 'xn--fiqs8s', '中国'))}"


def test_the_email_normaliser_decides_every_address_as_django_does():
    shortcut_taken = 0
    for address in _generated_addresses(20_000):
        assert _outcome(validators.normalize_email, address) == _outcome(_email_by_django, address), address
        shortcut_taken += bool(validators._PLAIN_EMAIL.fullmatch(address))
    assert shortcut_taken > 1000


def test_the_id_number_check_character_is_gb_11643s_over_many_numbers():
    randomiser = random.Random(11643)
    for _ in range(20_000):
        first_17 = f"{randomiser.randrange(10 ** 17):017d}"
        expected = "10X98765432"[sum(int(digit) * weight for digit, weight in zip(first_17, _ID_WEIGHTS)) % 11]
        assert validators.resident_id_check_character(first_17) == expected
        assert validators.resident_id_check_character(first_17.translate(str.maketrans(
            "0123456789", "０１２３４５６７８９"))) == expected  # full-width digits count as digits too


def test_the_bulk_blind_indexer_gives_the_blind_index():
    randomiser = random.Random(7)
    for kind in ("mobile", "id_number"):
        index_of = blind_indexer(kind)
        for _ in range(2000):
            value = "".join(randomiser.choice("0123456789Xab中\"\\ ") for _ in range(randomiser.randrange(1, 20)))
            assert index_of(value) == blind_index(kind, value)
        assert index_of("") is None and index_of(None) is None


@pytest.mark.django_db
def test_a_text_array_literal_reaches_postgresql_as_the_same_values():
    values = ["E0000001", "NULL", "null", "", " spaced ", "a,b", "{braces}", 'quo"te', "back\\slash", '\\"',
              "中文", "x" * 500]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [text_array(values)])
        assert cursor.fetchone()[0] == values
        cursor.execute("SELECT %s::text[]", [text_array([])])
        assert cursor.fetchone()[0] == []
        cursor.execute("SELECT %s::text[]", [text_array(["plain", "only"])])
        assert cursor.fetchone()[0] == ["plain", "only"]
