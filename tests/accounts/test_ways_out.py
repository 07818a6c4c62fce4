"""Every way out closes at once: password change, "log out everywhere", token expiry and leaving
the company end every other token and console session on their next request."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import DeviceToken, User
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.accounts.signing_in import api_login

PHONE, TABLET = "device-phone-9001", "device-tablet-9002"
NEW_PASSWORD = "Harbour-Lights-42"
MOBILE = "13612349100"


@pytest.fixture
def administrator(enterprises):
    """A sub-administrator: a person who uses both the console and the mobile API."""
    with schema_context(enterprises.a.schema_name):
        return UserFactory(mobile=MOBILE, role=User.Role.SUB_ADMIN)


def _device(enterprises, api_client_for, device_id, password=FACTORY_PASSWORD):
    client = api_client_for(enterprises.a)
    response = api_login(client, {"mobile": MOBILE, "password": password, "device_id": device_id})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_X_DEVICE_ID=device_id)
    return client


def _console(enterprises, password=FACTORY_PASSWORD):
    client = Client(HTTP_HOST=enterprises.a.host)
    signed_in = client.post("/console/login/", {"username": MOBILE, "password": password})
    assert signed_in.status_code == 302
    assert client.get("/console/").status_code == 200
    return client


def _is_signed_out_of_console(client) -> bool:
    response = client.get("/console/")
    return response.status_code == 302 and response["Location"].startswith("/console/login/")


@pytest.mark.promise("X6")
def test_a_password_change_through_the_api_signs_out_every_other_device_and_console(
        enterprises, administrator, api_client_for):
    phone, tablet = _device(enterprises, api_client_for, PHONE), _device(enterprises, api_client_for, TABLET)
    console = _console(enterprises)

    changed = phone.post("/api/v1/auth/password", {"old_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD},
                         format="json")

    assert changed.status_code == 204
    assert phone.get("/api/v1/me").status_code == 200  # the device that changed it stays signed in
    refused = tablet.get("/api/v1/me")
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    assert _is_signed_out_of_console(console)


@pytest.mark.promise("X3")
def test_a_weak_new_password_is_refused_and_signs_nobody_out(enterprises, administrator, api_client_for):
    phone, tablet = _device(enterprises, api_client_for, PHONE), _device(enterprises, api_client_for, TABLET)
    console = _console(enterprises)

    refused = phone.post("/api/v1/auth/password", {"old_password": FACTORY_PASSWORD, "new_password": "harbour42"},
                         format="json")

    assert refused.status_code == 400 and "new_password" in refused.json()["fields"]
    assert tablet.get("/api/v1/me").status_code == 200  # nothing half-done: no way out was closed
    assert not _is_signed_out_of_console(console)
    _device(enterprises, api_client_for, "device-laptop-9003")  # the old password still signs in


@pytest.mark.promise("X6")
def test_a_password_change_in_the_console_signs_out_every_device_and_other_console(
        enterprises, administrator, api_client_for):
    phone = _device(enterprises, api_client_for, PHONE)
    this_console, other_console = _console(enterprises), _console(enterprises)

    changed = this_console.post("/console/password/", {"old_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD,
                                                       "new_password_again": NEW_PASSWORD})

    assert changed.status_code == 302
    assert this_console.get("/console/").status_code == 200  # the session that changed it goes on
    assert _is_signed_out_of_console(other_console)
    assert phone.get("/api/v1/me").status_code == 401


@pytest.mark.promise("X6")
def test_log_out_everywhere_ends_console_sessions_too(enterprises, administrator, api_client_for):
    phone, tablet = _device(enterprises, api_client_for, PHONE), _device(enterprises, api_client_for, TABLET)
    console = _console(enterprises)

    assert phone.post("/api/v1/auth/logout-all").json() == {"revoked": 2}

    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 401
    assert _is_signed_out_of_console(console)
    # Signing in again works: it ended sessions, it did not lock the person out.
    assert _console(enterprises).get("/console/").status_code == 200


@pytest.mark.promise("X6")
def test_an_expired_token_is_refused(enterprises, administrator, api_client_for):
    phone = _device(enterprises, api_client_for, PHONE)
    with schema_context(enterprises.a.schema_name):
        token = DeviceToken.objects.get(user=administrator, device_id=PHONE)
        DeviceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    assert phone.get("/api/v1/me").status_code == 200

    with schema_context(enterprises.a.schema_name):
        DeviceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = phone.get("/api/v1/me")

    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert refused.json()["detail"]


def test_leaving_the_company_ends_console_sessions_and_tokens(enterprises, administrator, api_client_for):
    phone = _device(enterprises, api_client_for, PHONE)
    console = _console(enterprises)
    with schema_context(enterprises.a.schema_name):
        administrator.is_active = False
        administrator.save(update_fields=["is_active"])

    assert phone.get("/api/v1/me").status_code == 401
    assert _is_signed_out_of_console(console)
