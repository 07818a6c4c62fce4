"""One-time codes by SMS (accounts.verification): X6's first sign-in from a new device, and the
code behind R8's rights requests. Codes are read from the local SMS outbox, as a developer would."""
import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts import verification
from accounts.errors import CodeRefused, PasswordRefused, VerificationThrottled
from accounts.models import KnownDevice, SmsOutboxMessage, User, VerificationCode
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.accounts.signing_in import LOGIN, api_login, latest_code
from tests.tenants.factories import TEST_PROVISIONING

MOBILE = "13612347700"
PHONE, TABLET = "device-verify-phone", "device-verify-tablet"


@pytest.fixture
def person(enterprises):
    with schema_context(enterprises.a.schema_name):
        return UserFactory(mobile=MOBILE, display_name="Lin Wei")


def _login(client, device_id=PHONE, **extra):
    return client.post(LOGIN, {"mobile": MOBILE, "password": FACTORY_PASSWORD, "device_id": device_id, **extra},
                       format="json")


def _code(enterprises) -> str:
    return latest_code(enterprises.a.schema_name, MOBILE)


def _time_passes(enterprises, person, **delta):
    """Every code of `person` was sent (and expires) `delta` earlier."""
    with schema_context(enterprises.a.schema_name):
        for record in VerificationCode.objects.filter(person=person):
            VerificationCode.objects.filter(pk=record.pk).update(
                sent_at=record.sent_at - timedelta(**delta), expires_at=record.expires_at - timedelta(**delta))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.promise("X6")
def test_the_first_sign_in_from_a_device_needs_the_code_sent_to_the_mobile_number(enterprises, person, api_client_for):
    client = api_client_for(enterprises.a)

    first = _login(client)

    assert first.status_code == 403
    assert first.json()["code"] == "device_verification_required"
    assert first.json()["mobile_masked"] == "136****7700"
    assert "token" not in first.json()
    with schema_context(enterprises.a.schema_name):
        [message] = SmsOutboxMessage.objects.filter(person=person)
        assert message.mobile == MOBILE and message.message_kind == "verification_code"
        assert not KnownDevice.objects.filter(person=person).exists()
    code = _code(enterprises)
    assert code in message.body

    wrong = _login(client, code=_wrong(code))
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "code_incorrect" and "code" in wrong.json()["fields"]

    signed_in = _login(client, code=code)
    assert signed_in.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}", HTTP_X_DEVICE_ID=PHONE)
    assert client.get("/api/v1/me").json()["display_name"] == "Lin Wei"

    # The device is now known: it signs in with the password alone, as before X6's check.
    again = _login(api_client_for(enterprises.a))
    assert again.status_code == 200 and again.json()["token"] != signed_in.json()["token"]
    # The code was used up by the sign-in: it opens nothing else.
    assert _login(api_client_for(enterprises.a), device_id=TABLET, code=code).status_code in (400, 403)


@pytest.mark.promise("X6")
def test_a_code_sent_for_one_device_does_not_sign_in_another(enterprises, person, api_client_for):
    assert _login(api_client_for(enterprises.a), device_id=PHONE).status_code == 403
    code_for_phone = _code(enterprises)

    on_tablet = _login(api_client_for(enterprises.a), device_id=TABLET, code=code_for_phone)

    assert on_tablet.status_code == 400
    assert on_tablet.json()["code"] == "code_missing"
    assert _login(api_client_for(enterprises.a), device_id=PHONE, code=code_for_phone).status_code == 200


@pytest.mark.promise("X6")
def test_the_wrong_password_sends_no_code(enterprises, person, api_client_for):
    response = api_client_for(enterprises.a).post(
        LOGIN, {"mobile": MOBILE, "password": "Not-The-Password-1", "device_id": PHONE}, format="json")
    assert response.status_code == 401
    with schema_context(enterprises.a.schema_name):
        assert not SmsOutboxMessage.objects.filter(person=person).exists()
        assert not VerificationCode.objects.filter(person=person).exists()


@pytest.mark.promise("X6")
def test_an_expired_code_is_refused_and_a_new_one_can_be_asked_for(enterprises, person, api_client_for):
    client = api_client_for(enterprises.a)
    assert _login(client).status_code == 403
    code = _code(enterprises)
    with schema_context(enterprises.a.schema_name):
        record = VerificationCode.objects.get(person=person)
        assert record.expires_at - record.sent_at == settings.VERIFICATION_CODE_TTL
    _time_passes(enterprises, person, minutes=6)

    expired = _login(client, code=code)

    assert expired.status_code == 400
    assert expired.json()["code"] == "code_expired" and "code" in expired.json()["fields"]
    assert _login(client).status_code == 403  # a new code is sent
    assert _login(client, code=code).json()["code"] == "code_incorrect"  # only the newest code answers
    assert _login(client, code=_code(enterprises)).status_code == 200


@pytest.mark.promise("X6")
def test_a_code_takes_a_few_wrong_answers_then_it_is_dead(enterprises, person, api_client_for):
    client = api_client_for(enterprises.a)
    assert _login(client).status_code == 403
    code = _code(enterprises)
    for _ in range(settings.VERIFICATION_MAX_ATTEMPTS):
        assert _login(client, code=_wrong(code)).json()["code"] == "code_incorrect"

    dead = _login(client, code=code)

    assert dead.status_code == 400
    assert dead.json()["code"] == "code_attempts_exhausted" and "code" in dead.json()["fields"]
    # Asking for another at once is throttled; a minute later it is sent.
    throttled = _login(client)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "verification_throttled" and 0 < throttled.json()["retry_after"] <= 61
    _time_passes(enterprises, person, seconds=61)
    assert _login(client).status_code == 403
    assert _login(client, code=_code(enterprises)).status_code == 200


@pytest.mark.promise("X6")
def test_a_new_login_number_must_be_verified_on_every_device(enterprises, person, api_client_for):
    assert api_login(api_client_for(enterprises.a), {"mobile": MOBILE, "password": FACTORY_PASSWORD,
                                                     "device_id": PHONE}).status_code == 200
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        account_services.correct_account_identity(actor=manager, person=person, mobile="13612347701")

    response = api_client_for(enterprises.a).post(
        LOGIN, {"mobile": "13612347701", "password": FACTORY_PASSWORD, "device_id": PHONE}, format="json")

    assert response.status_code == 403 and response.json()["mobile_masked"] == "136****7701"


@pytest.mark.promise("R8")
def test_a_signed_in_person_asks_for_a_code_for_a_rights_request(enterprises, person, api_client_for):
    client = api_client_for(enterprises.a)
    token = api_login(client, {"mobile": MOBILE, "password": FACTORY_PASSWORD, "device_id": PHONE}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=PHONE)

    sent = client.post("/api/v1/me/verification-codes", {"purpose": "rights_request"}, format="json")

    assert sent.status_code == 201, sent.content
    assert sent.json()["purpose"] == "rights_request" and sent.json()["mobile_masked"] == "136****7700"
    code = _code(enterprises)
    with schema_context(enterprises.a.schema_name):
        record = VerificationCode.objects.get(person=person, purpose="rights_request")
        # Only an HMAC of the code is stored.
        assert record.code_digest != code and code not in record.code_digest and len(record.code_digest) == 64
    again = client.post("/api/v1/me/verification-codes", {"purpose": "rights_request"}, format="json")
    assert again.status_code == 429 and again.json()["code"] == "verification_throttled"
    for bad in ({"purpose": "new_device"}, {"purpose": "x" * 5000}, {}, {"purpose": ["rights_request"]}):
        refused = client.post("/api/v1/me/verification-codes", bad, format="json")
        assert refused.status_code == 400 and "purpose" in refused.json()["fields"], bad
    assert api_client_for(enterprises.a).post("/api/v1/me/verification-codes", {"purpose": "rights_request"},
                                              format="json").status_code == 401

    # The rights request then checks the password and the code (accounts.verification.check).
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(PasswordRefused) as wrong_password:
            verification.check(person=person, purpose="rights_request", password="Not-The-Password-1", code=code)
        assert wrong_password.value.extra["fields"].keys() == {"password"}
        with pytest.raises(CodeRefused) as wrong_code:
            verification.check(person=person, purpose="rights_request", password=FACTORY_PASSWORD, code=_wrong(code))
        assert wrong_code.value.code == "code_incorrect" and wrong_code.value.extra["fields"].keys() == {"code"}
        assert VerificationCode.objects.get(pk=record.pk).attempts == 2  # both wrong answers counted
        verification.check(person=person, purpose="rights_request", password=FACTORY_PASSWORD, code=f" {code} ")
        # Used once: a repeated request needs a new code.
        with pytest.raises(CodeRefused) as reused:
            verification.check(person=person, purpose="rights_request", password=FACTORY_PASSWORD, code=code)
        assert reused.value.code == "code_missing"


def test_sending_is_limited_per_day_per_person(enterprises, person):
    with schema_context(enterprises.a.schema_name):
        for _ in range(settings.VERIFICATION_DAILY_LIMIT):
            verification.send_code(actor=person, person=person, purpose="rights_request")
            _time_passes(enterprises, person, minutes=2)
        with pytest.raises(VerificationThrottled) as limited:
            verification.send_code(actor=person, person=person, purpose="rights_request")
        assert limited.value.status_code == 429
        # Another check (a new device) is the same person's phone: counted too.
        with pytest.raises(VerificationThrottled):
            verification.send_code(actor=person, person=person, purpose="new_device", context=TABLET)
        _time_passes(enterprises, person, hours=24)
        verification.send_code(actor=person, person=person, purpose="rights_request")


def test_sending_is_limited_per_mobile_number_across_accounts(enterprises, person):
    """A number released from a disabled account and given to a new one keeps its day's count."""
    with schema_context(enterprises.a.schema_name):
        for _ in range(settings.VERIFICATION_DAILY_LIMIT):
            verification.send_code(actor=person, person=person, purpose="rights_request")
            _time_passes(enterprises, person, minutes=2)
        User.objects.filter(pk=person.pk).update(is_active=False)
        account_services.release_login_of_disabled_accounts(actor=TEST_PROVISIONING, mobiles=[MOBILE])
        successor = UserFactory(mobile=MOBILE)

        with pytest.raises(VerificationThrottled):
            verification.send_code(actor=successor, person=successor, purpose="rights_request")


def test_neither_the_code_nor_the_number_is_logged(enterprises, person, api_client_for, caplog):
    client = api_client_for(enterprises.a)
    with caplog.at_level(logging.DEBUG):
        assert _login(client).status_code == 403
        code = _code(enterprises)
        assert _login(client, code=_wrong(code)).status_code == 400
        assert _login(client, code=code).status_code == 200
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert "verification code sent" in logged  # the sending is logged ...
    assert code not in logged and MOBILE not in logged and MOBILE[-4:] + " " not in logged  # ... not what was sent


def test_old_codes_and_outbox_messages_are_purged(enterprises, person):
    with schema_context(enterprises.a.schema_name):
        verification.send_code(actor=person, person=person, purpose="rights_request")
        _time_passes(enterprises, person, hours=25)
        SmsOutboxMessage.objects.filter(person=person).update(created_at=timezone.now() - timedelta(hours=25))
        verification.send_code(actor=person, person=person, purpose="new_device", context=PHONE)

        purged = account_services.purge_verification_records(actor=account_services.VERIFICATION_PURGE)

        assert purged == 2  # the day-old code and its message
        assert list(VerificationCode.objects.filter(person=person).values_list("purpose", flat=True)) == ["new_device"]
        assert SmsOutboxMessage.objects.filter(person=person).count() == 1
        assert account_services.purge_verification_records(actor=account_services.VERIFICATION_PURGE) == 0
