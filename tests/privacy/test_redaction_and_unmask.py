"""X1: plaintext identifiers never reach logs or error reports; unmasking is a permission, audited."""
import logging
import sys

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from accounts.models import User
from config.api_errors import NotPermitted
from privacy import masking
from privacy.redaction import redact
from privacy.signals import sensitive_value_revealed
from privacy.unmask import may_unmask, reveal
from tests.accounts.factories import UserFactory

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
            reveal(user=UserFactory(), instance=person, field="mobile")
        assert seen == []
        assert reveal(user=manager, instance=person, field="mobile") == "13812349999"
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
