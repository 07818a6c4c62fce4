"""The login lockout counts every spelling of a mobile number as one identifier, and client
addresses too, on the API, the console and the admin alike; its rows keep only a keyed digest
and expire (cool-off, then retention) like the other login records."""
import re
import unicodedata
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User, normalized_mobile
from accounts.throttling import login_identifier_digest
from audit import retention
from audit import services as audit_services
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.accounts.signing_in import api_login

WRONG = "Wrong-Pass-123"
FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")


def spellings(number: str) -> list[str]:
    """23 ways a person (or an attacker) may type one mainland mobile number."""
    a, b, c = number[:3], number[3:7], number[7:]
    wide = number.translate(FULL_WIDTH)
    return [
        number, f" {number} ", f"{a} {b} {c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"({a}) {b}-{c}",
        f"+86{number}", f"+86 {number}", f"+86-{number}", f"+86 {a} {b} {c}", f"+86-{a}-{b}-{c}",
        f"(+86){number}", f"0086{number}", f"0086 {a} {b} {c}", f"86{number}", f"86 {number}",
        wide, f"＋８６{wide}", f"＋８６\u3000{wide}", f"{a}\u3000{b}\u3000{c}".translate(FULL_WIDTH),
        f"{a}\u00a0{b}\u00a0{c}", f"{a}\u2010{b}\u2010{c}", f"+86 {a}-{b}-{c}".translate(FULL_WIDTH),
    ]


def test_the_spellings_are_distinct_and_all_one_number():
    typed = spellings("13612348000")
    assert len(typed) == len(set(typed)) == 23
    assert {normalized_mobile(spelling) for spelling in typed} == {"13612348000"}


def _api_login(client, mobile, password, **extra):
    return api_login(client, {"mobile": mobile, "password": password, "device_id": "device-lock-01"}, **extra)


def test_api_lockout_counts_every_spelling_as_one_identifier(enterprises, api_client_for, settings):
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13612348001")
    typed = spellings("13612348001")
    client = api_client_for(enterprises.a)
    # Every spelling is a real login: the full-width one with "+86" signs in.
    assert _api_login(client, typed[-1], FACTORY_PASSWORD).status_code == 200

    answers = [_api_login(client, typed[i], WRONG).status_code for i in range(settings.AXES_FAILURE_LIMIT)]

    assert answers == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    for other_spelling in (typed[7], typed[16], typed[18]):  # "+86 …", full-width, "＋８６　…"
        locked = _api_login(client, other_spelling, FACTORY_PASSWORD)
        assert locked.status_code == 429
        assert locked.json()["code"] == "login_locked"


def test_console_lockout_counts_every_spelling_as_one_identifier(enterprises, client, settings):
    host = {"HTTP_HOST": enterprises.a.host}
    typed = spellings(enterprises.a.admin_mobile)
    for spelling in typed[1:settings.AXES_FAILURE_LIMIT + 1]:
        client.post("/console/login/", {"username": spelling, "password": WRONG}, **host)

    locked = client.post("/console/login/", {"username": typed[17], "password": enterprises.a.admin_password}, **host)

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_lockout_counts_every_spelling_as_one_identifier(db, client, settings):
    with schema_context("public"):
        UserFactory(mobile="13612348002", is_staff=True, is_superuser=True, role=User.Role.PLATFORM_STAFF)
    host = {"HTTP_HOST": settings.PLATFORM_DOMAIN}
    typed = spellings("13612348002")
    signed_in = client.post("/admin/login/", {"username": typed[12], "password": FACTORY_PASSWORD, "next": "/admin/"},
                            **host)
    assert signed_in.status_code == 302  # "0086 …" is a real login
    client.post("/admin/logout/", **host)

    for spelling in typed[2:settings.AXES_FAILURE_LIMIT + 2]:
        client.post("/admin/login/", {"username": spelling, "password": WRONG}, **host)
    locked = client.post("/admin/login/", {"username": typed[19], "password": FACTORY_PASSWORD}, **host)

    assert locked.status_code == 429


def test_many_identifiers_from_one_address_lock_that_address_but_not_others(enterprises, api_client_for, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = settings.AXES_FAILURE_LIMIT + 1
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13612348003")
    attacker, elsewhere = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.9"}
    client = api_client_for(enterprises.a)
    for n in range(settings.AXES_FAILURE_LIMIT):  # one guess each: no identifier reaches its limit
        assert _api_login(client, f"1361235{n:04d}", WRONG, **attacker).status_code == 401

    # The attacker's own account signs in, which does not clear the address's failures.
    assert _api_login(client, "13612348003", FACTORY_PASSWORD, **attacker).status_code == 200
    assert _api_login(client, "13612359999", WRONG, **attacker).status_code == 429

    assert _api_login(client, "13612348003", FACTORY_PASSWORD, **attacker).status_code == 429
    assert _api_login(client, "13612348003", FACTORY_PASSWORD, **elsewhere).status_code == 200


def test_a_successful_sign_in_clears_the_identifiers_failures(enterprises, api_client_for, settings):
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13612348004")
    typed = spellings("13612348004")
    client = api_client_for(enterprises.a)
    for spelling in typed[:settings.AXES_FAILURE_LIMIT - 1]:
        assert _api_login(client, spelling, WRONG).status_code == 401
    assert _api_login(client, typed[20], FACTORY_PASSWORD).status_code == 200

    # The count starts again: as many failures as before are not yet a lockout.
    for spelling in typed[:settings.AXES_FAILURE_LIMIT - 1]:
        assert _api_login(client, spelling, WRONG).status_code == 401


def _digit_runs(value) -> str:
    return " ".join(re.findall(r"\d+", unicodedata.normalize("NFKC", str(value))))


@pytest.mark.promise("S2")
def test_failure_counters_store_only_the_keyed_digest(enterprises, api_client_for, client):
    mobile = enterprises.a.admin_mobile
    typed = spellings(mobile)
    client.post("/console/login/", {"username": typed[3], "password": WRONG}, HTTP_HOST=enterprises.a.host)
    client.post("/console/login/?mobile=" + typed[0], {"username": typed[16], "password": WRONG},
                HTTP_HOST=enterprises.a.host)
    api = api_client_for(enterprises.a)
    api.post("/api/v1/auth/login", {"mobile": typed[8], "password": WRONG, "device_id": "device-lock-02"})  # a form
    _api_login(api, typed[18], WRONG, HTTP_USER_AGENT="another-agent")

    with schema_context(enterprises.a.schema_name):
        rows = list(AccessAttempt.objects.values())
    assert rows and {row["username"] for row in rows} == {login_identifier_digest(mobile)}
    assert sum(row["failures_since_start"] for row in rows) == 4
    for row in rows:
        assert row["get_data"] == "" and row["post_data"] == ""
        for value in row.values():
            assert mobile[1:] not in _digit_runs(value).replace(" ", "")


def test_a_lockout_ends_when_the_cool_off_has_passed(enterprises, api_client_for, settings):
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13612348005")
    client = api_client_for(enterprises.a)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _api_login(client, "13612348005", WRONG)
    assert _api_login(client, "13612348005", FACTORY_PASSWORD).status_code == 429

    with schema_context(enterprises.a.schema_name):
        AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=5))

    assert _api_login(client, "+86 136 1234 8005", FACTORY_PASSWORD).status_code == 200


@pytest.mark.promise("S2")
def test_failure_counters_are_deleted_by_the_retention_job_like_other_login_records(enterprises, api_client_for):
    now = timezone.now()
    client = api_client_for(enterprises.b)
    for number in ("13612348006", "13612348007"):
        _api_login(client, number, WRONG)
    old, young = login_identifier_digest("13612348006"), login_identifier_digest("13612348007")
    with schema_context(enterprises.b.schema_name):
        AccessAttempt.objects.filter(username=old).update(attempt_time=retention.months_before(now, 7))
        AccessAttempt.objects.filter(username=young).update(attempt_time=retention.months_before(now, 5))

        summary = audit_services.apply_retention(actor=audit_services.RETENTION, now=now)

        assert summary["rows"]["axes login failure counters"] == 1
        assert list(AccessAttempt.objects.values_list("username", flat=True)) == [young]
