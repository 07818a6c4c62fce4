import pytest
from django_tenants.utils import schema_context

from accounts.models import DeviceToken, User
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.accounts.signing_in import api_login

PHONE = "device-phone-0001"
TABLET = "device-tablet-0002"


@pytest.fixture
def employee(enterprises):
    with schema_context(enterprises.a.schema_name):
        return UserFactory(mobile="13612340001", display_name="Chen Jing")


def _login(client, mobile="13612340001", password=FACTORY_PASSWORD, device_id=PHONE):
    return api_login(client, {"mobile": mobile, "password": password, "device_id": device_id, "device_name": "Phone"})


@pytest.mark.promise("X6")
def test_a_token_is_bound_to_the_device_it_was_issued_to(enterprises, employee, api_client_for):
    response = _login(api_client_for(enterprises.a))
    assert response.status_code == 200
    token = response.json()["token"]

    same_device = api_client_for(enterprises.a, device_id=PHONE)
    same_device.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=PHONE)
    me = same_device.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["display_name"] == "Chen Jing"
    assert me.json()["mobile_masked"] == "136****0001"

    other_device = api_client_for(enterprises.a)
    other_device.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=TABLET)
    assert other_device.get("/api/v1/me").status_code == 401

    no_device = api_client_for(enterprises.a)
    no_device.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert no_device.get("/api/v1/me").status_code == 401


def test_only_a_digest_of_the_token_is_stored(enterprises, employee, api_client_for):
    token = _login(api_client_for(enterprises.a)).json()["token"]
    with schema_context(enterprises.a.schema_name):
        stored = DeviceToken.objects.get(user=employee)
    assert stored.digest != token and token not in stored.digest
    assert stored.device_id == PHONE


def test_wrong_password_is_a_clear_401_and_bad_input_is_field_level_400(enterprises, employee, api_client_for):
    client = api_client_for(enterprises.a)
    wrong = _login(client, password="Not-The-Password-1")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"

    bad = client.post("/api/v1/auth/login", {"mobile": "", "device_id": "x"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"mobile", "password", "device_id"}


def test_logout_revokes_only_the_current_device(enterprises, employee, api_client_for):
    phone_token = _login(api_client_for(enterprises.a), device_id=PHONE).json()["token"]
    tablet_token = _login(api_client_for(enterprises.a), device_id=TABLET).json()["token"]
    phone = api_client_for(enterprises.a)
    phone.credentials(HTTP_AUTHORIZATION=f"Token {phone_token}", HTTP_X_DEVICE_ID=PHONE)
    tablet = api_client_for(enterprises.a)
    tablet.credentials(HTTP_AUTHORIZATION=f"Token {tablet_token}", HTTP_X_DEVICE_ID=TABLET)
    assert len(tablet.get("/api/v1/auth/devices").json()) == 2

    assert phone.post("/api/v1/auth/logout").status_code == 204

    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 200


def test_log_out_everywhere_revokes_every_device(enterprises, employee, api_client_for):
    tokens = {device: _login(api_client_for(enterprises.a), device_id=device).json()["token"]
              for device in (PHONE, TABLET)}
    phone = api_client_for(enterprises.a)
    phone.credentials(HTTP_AUTHORIZATION=f"Token {tokens[PHONE]}", HTTP_X_DEVICE_ID=PHONE)

    response = phone.post("/api/v1/auth/logout-all")

    assert response.json() == {"revoked": 2}
    for device, token in tokens.items():
        client = api_client_for(enterprises.a)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=device)
        assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_account_can_no_longer_use_its_token(enterprises, employee, api_client_for):
    token = _login(api_client_for(enterprises.a)).json()["token"]
    with schema_context(enterprises.a.schema_name):
        User.objects.filter(pk=employee.pk).update(is_active=False)
    client = api_client_for(enterprises.a)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=PHONE)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.promise("E2")
def test_there_is_no_self_registration_into_an_enterprise(enterprises, api_client_for):
    client = api_client_for(enterprises.a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert not [path for path in schema["paths"] if "register" in path or "signup" in path]
    assert client.post("/api/v1/auth/register", {"mobile": "13612349999"}, format="json").status_code == 404
    # An unknown mobile number cannot sign in, whatever it sends.
    assert _login(client, mobile="13612349999").status_code == 401


def test_the_api_is_documented_in_openapi(enterprises, api_client_for):
    client = api_client_for(enterprises.a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/logout-all", "/api/v1/me"} <= set(schema["paths"])
    assert "deviceToken" in schema["components"]["securitySchemes"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
