"""The real-world rules for address-book values (E7)."""
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import normalize_mainland_mobile
from orgdata.validators import birth_date_of_resident_id, normalize_resident_id, normalize_uscc, uscc_check_character
from tests.orgdata.factories import resident_id


def test_a_resident_id_number_with_the_right_check_digit_is_accepted_and_normalised():
    # The GB 11643 standard's own example: 11010519491231002X.
    assert normalize_resident_id("11010519491231002x") == "11010519491231002X"
    assert birth_date_of_resident_id("11010519491231002X") == date(1949, 12, 31)


@pytest.mark.parametrize("value, reason", [
    ("110105194912310021", "check digit"),
    ("11010519491331002X", "birth date"),
    ("99010519491231002X", "region"),
    ("1101051949123100", "17 digits"),
])
def test_resident_id_numbers_breaking_a_rule_are_refused_with_the_reason(value, reason):
    with pytest.raises(ValidationError) as refused:
        normalize_resident_id(value)
    assert reason in refused.value.messages[0]


def test_a_future_birth_date_inside_an_id_number_is_refused():
    with pytest.raises(ValidationError):
        normalize_resident_id(resident_id(birth=date(2099, 1, 1)))


@pytest.mark.parametrize("value", ["+86 138 1234 5678", "13812345678", "138-1234-5678"])
def test_mainland_mobile_numbers_are_normalised(value):
    assert normalize_mainland_mobile(value) == "13812345678"


@pytest.mark.parametrize("value", ["12345678901", "1381234567", "+1 415 555 0100"])
def test_numbers_that_are_not_mainland_mobiles_are_refused(value):
    with pytest.raises(ValidationError):
        normalize_mainland_mobile(value)


@pytest.mark.parametrize("value, normalised", [
    ("91350100M000100Y43", "91350100M000100Y43"),
    ("91350100m000100y43", "91350100M000100Y43"),  # letters are case-folded
    ("９１１１００００８０２１００４３３Ｂ", "91110000802100433B"),  # full-width forms, as typed with a Chinese IME
    ("9144 0300-7152 6726XG", "9144030071526726XG"),  # spaces and hyphens people copy along
])
def test_a_unified_social_credit_code_with_the_right_check_character_is_accepted(value, normalised):
    assert normalize_uscc(value) == normalised


@pytest.mark.parametrize("first_17, check", [
    ("91350100M000100Y4", "3"), ("91110000802100433", "B"), ("9144030071526726X", "G"),
])
def test_the_uscc_check_character_follows_gb_32100(first_17, check):
    assert uscc_check_character(first_17) == check


@pytest.mark.parametrize("value, reason", [
    ("91350100M000100Y44", "uscc_check_character"),
    ("91350100M000100Y4", "uscc_length"),
    ("91350100M000100I43", "uscc_characters"),  # I, O, S, V, Z are not in GB 32100's set
    ("9135A100M000100Y43", "uscc_characters"),  # characters 3–8: the administrative division, digits
])
def test_a_unified_social_credit_code_breaking_a_rule_is_refused_with_the_reason(value, reason):
    with pytest.raises(ValidationError) as refused:
        normalize_uscc(value)
    assert refused.value.code == reason
