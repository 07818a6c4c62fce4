"""X1: plaintext identifiers never reach logs or error reports; unmasking is a permission, audited."""
import logging
import re
import sys
import unicodedata
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from accounts.models import User
from core.errors import NotPermitted
from privacy import masking
from privacy.redaction import redact
from privacy.signals import sensitive_value_revealed
from privacy.unmask import may_unmask, reveal
from tests.accounts.factories import UserFactory
from tests.accounts.test_login_throttling import spellings

ID_NUMBER = "11010119900307123X"


def test_masks_show_only_what_identifies_nobody():
    assert masking.mask_mobile("13812345678") == "138****5678"
    assert masking.mask_id_number("110101199003071234") == "1101**********1234"
    assert masking.mask_bank_card("6222021234567890123") == "6222 **** **** 0123"
    assert masking.mask_name("张三丰") == "张**"
    assert masking.mask_email("zhang.san@example.com") == "z***@example.com"
    assert masking.mask_location({"lat": 31.2, "lng": 121.5}) == "***"
    assert masking.mask_mobile("") == ""


@pytest.mark.promise("X1")
def test_log_lines_and_tracebacks_are_written_masked():
    handler = next(h for h in logging.getLogger().handlers if h.formatter is not None)
    try:
        raise ValueError(f"duplicate ID number {ID_NUMBER} for 13812345678")
    except ValueError:
        record = logging.LogRecord("orgdata", logging.ERROR, __file__, 1, "import of %s failed (card %s)",
                                   ("13812345678", "6222021234567890123"), sys.exc_info())
    line = handler.formatter.format(record)
    for plaintext in ("13812345678", ID_NUMBER, "6222021234567890123"):
        assert plaintext not in line
    assert "138****5678" in line and "1101**********123X" in line and "6222 **** **** 0123" in line


@pytest.mark.promise("X1")
def test_error_reports_show_masked_variables_and_post_data():
    request = RequestFactory().post("/console/employees/", {"id_number": ID_NUMBER, "note": "call 13812345678"})
    try:
        id_number = ID_NUMBER  # noqa: F841  (a local variable the report would show)
        raise RuntimeError("boom")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert ID_NUMBER not in report and "13812345678" not in report
    assert "1101**********123X" in report


def test_redaction_leaves_ordinary_numbers_alone():
    assert redact("order 20261123 took 1500 ms") == "order 20261123 took 1500 ms"


def test_only_the_manager_or_a_holder_of_the_permission_may_unmask(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    manager = User.objects.with_mobile(enterprises.a.admin_mobile).get()
    employee = UserFactory()
    trusted = UserFactory(role=User.Role.SUB_ADMIN)
    trusted.user_permissions.add(Permission.objects.get(codename="unmask_sensitive"))
    trusted = User.objects.get(pk=trusted.pk)  # permission caches are per instance

    assert may_unmask(manager) and may_unmask(trusted)
    assert not may_unmask(employee)
    assert not may_unmask(UserFactory(role=User.Role.SUB_ADMIN))


@pytest.mark.promise("X1")
def test_reveal_refuses_without_permission_and_announces_every_reveal(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    manager = User.objects.with_mobile(enterprises.a.admin_mobile).get()
    person = UserFactory(mobile="13812349999")
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    sensitive_value_revealed.connect(receiver)
    try:
        with pytest.raises(NotPermitted):
            reveal(actor=UserFactory(), instance=person, field="mobile")
        assert seen == []
        assert reveal(actor=manager, instance=person, field="mobile") == "13812349999"
    finally:
        sensitive_value_revealed.disconnect(receiver)
    assert len(seen) == 1
    assert seen[0]["actor"] == manager and seen[0]["object_id"] == person.pk and seen[0]["field"] == "mobile"
    assert "13812349999" not in repr(seen[0])


@pytest.mark.promise("X1")
def test_numbers_right_after_a_percent_escape_are_masked_too():
    line = redact("GET /api/v1/directory?search=%2013812345678&id=%2011010119900307123X&tel=%2B8613812345678")
    assert "13812345678" not in line and ID_NUMBER not in line
    assert line.count("138****5678") == 2 and "%201101**********123X" in line


# --- every spelling the product accepts is masked; ordinary log content is not -------------------

_TYPED_SEPARATORS = re.compile(r"[\s\-.+()\u2010-\u2015]")


def _digits_a_reader_sees(line: str) -> str:
    """What someone reading the log recovers: escapes decoded, full-width folded, separators gone."""
    return _TYPED_SEPARATORS.sub("", unicodedata.normalize("NFKC", unquote_plus(line)))


def _as_sent(spelling: str) -> list[str]:
    """A spelling as it reaches a log: typed, in a URL (percent-encoded) and in a form ("+"); one
    already percent-encoded as it is."""
    return [spelling] if "%" in spelling else [spelling, quote(spelling, safe=""), quote_plus(spelling)]


MOBILE_SPELLINGS = [*spellings("13812345678"), "138%201234%205678", "(138)1234-5678", "%2B8613812345678",
                    "0086-138-1234-5678"]
ID_SPELLINGS = ["110105 19491231 002X", "110105-19491231-002x", "11010519491231002x",
                "１１０１０５１９４９１２３１００２Ｘ", "１１０１０５ １９４９１２３１ ００２ｘ", "110105+19491231+002X"]
CARD_SPELLINGS = ["6222 0212 3456 7890 123", "6222-0212-3456-7890-123", "６２２２０２１２３４５６７８９０１２３",
                  "6222 0212 3456 7890"]


@pytest.mark.parametrize("sent", [sent for spelling in MOBILE_SPELLINGS for sent in _as_sent(spelling)])
def test_every_spelling_of_a_mobile_number_is_masked(sent):
    line = redact(f'10.0.0.7 - - [30/Nov/2026:08:45:01 +0000] "GET /api/v1/directory?search={sent}&page=2 HTTP/1.1" 401 52')
    assert "13812345678" not in _digits_a_reader_sees(line), line
    assert "138****5678" in line and "&page=2 HTTP/1.1\" 401 52" in line


@pytest.mark.parametrize("sent", [sent for spelling in ID_SPELLINGS for sent in _as_sent(spelling)])
def test_every_spelling_of_an_id_number_is_masked(sent):
    line = redact(f"GET /api/v1/directory?id={sent}&page=2")
    assert "11010519491231002" not in _digits_a_reader_sees(line), line
    assert "1101**********002X" in line


@pytest.mark.parametrize("sent", [sent for spelling in CARD_SPELLINGS for sent in _as_sent(spelling)])
def test_every_spelling_of_a_bank_card_number_is_masked(sent):
    line = redact(f"GET /api/v1/payroll?card={sent}&page=2")
    assert "6222021234567890" not in _digits_a_reader_sees(line), line
    assert "6222 **** **** " in line


def test_several_identifiers_in_one_line_are_each_masked():
    line = redact("ip 192.168.1.10 mobile 139 1234 5678, id 110105-19491231-002X card 6222+0212+3456+7890+123 "
                  "tel +86 (138) 1234-5678")
    assert line == ("ip 192.168.1.10 mobile 139****5678, id 1101**********002X card 6222 **** **** 0123 "
                    "tel 138****5678")


@pytest.mark.parametrize("line", [
    '127.0.0.1 - - [30/Nov/2026:08:45:01 +0000] "GET /api/v1/directory?page=2 HTTP/1.1" 200 15342 "-" '
    '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.108 Safari/537.36"',
    "2026-11-30 08:45:01,123 INFO [pid 13812] celery.worker: Task orgdata.tasks.run_import"
    "[3f1c2e9a-1234-4cde-8abc-123456789012] succeeded in 13.123456789s",
    "139.224.123.45:51234 -> 127.0.0.1:6379 after 1732953901.123456 (1732953901123 ms) timeout=3.141592653589793",
    "request 12345678-1234-4123-8123-123456789012 and 550e8400-e29b-41d4-a716-446655440000 took 1500 ms",
    "2026-11-30T08:45:01.123456+08:00 worker[13812]: 200 1534 0.012345 rows 1 2 3 4 5 6 7 8 9 10 11 12",
    "order 20261123 took 1500 ms; landline 021-12345678; version 13.12.1234.5678; 138123456789 is 12 digits",
    "check-in at lng 134.28512345 lat 47.12345678 after 153.12345678 s",
])
def test_ordinary_log_content_is_left_unchanged(line):
    assert redact(line) == line
