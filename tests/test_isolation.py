"""Data written in one enterprise is invisible from another: ORM, API and console."""
from django_tenants.utils import schema_context

from accounts.models import User
from orgdata.models import Department
from orgdata.services import departments as department_services
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.orgdata.factories import TEST_SETUP
from tests.accounts.signing_in import api_login


def test_rows_written_in_a_are_invisible_to_the_orm_in_b(enterprises):
    with schema_context(enterprises.a.schema_name):
        department_services.create_department(name="Only in A", actor=TEST_SETUP)
        UserFactory(display_name="Person of A")
    with schema_context(enterprises.b.schema_name):
        assert not Department.objects.filter(name="Only in A").exists()
        assert not User.objects.filter(display_name="Person of A").exists()
    with schema_context(enterprises.a.schema_name):
        assert Department.objects.filter(name="Only in A").exists()


def test_an_account_of_a_cannot_sign_in_or_use_its_token_at_b(enterprises, api_client_for):
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13698760001")
    credentials = {"mobile": "13698760001", "password": FACTORY_PASSWORD, "device_id": "device-iso-01"}
    token = api_login(api_client_for(enterprises.a), credentials).json()["token"]

    at_b = api_client_for(enterprises.b)
    assert at_b.post("/api/v1/auth/login", credentials, format="json").status_code == 401
    at_b.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID="device-iso-01")
    assert at_b.get("/api/v1/me").status_code == 401

    at_a = api_client_for(enterprises.a)
    at_a.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID="device-iso-01")
    assert at_a.get("/api/v1/me").status_code == 200


def test_a_console_session_of_a_is_not_a_session_at_b(enterprises, client):
    signed_in = client.post("/console/login/", {"username": enterprises.a.admin_mobile,
                                                "password": enterprises.a.admin_password},
                            HTTP_HOST=enterprises.a.host)
    assert signed_in.status_code == 302
    with schema_context(enterprises.a.schema_name):
        department_services.create_department(name="Secret department of A", actor=TEST_SETUP)

    at_a = client.get("/console/", HTTP_HOST=enterprises.a.host)
    assert at_a.status_code == 200
    assert enterprises.a.enterprise.name in at_a.content.decode()
    assert enterprises.b.enterprise.name not in at_a.content.decode()

    # The test client sends A's session cookie to B's host (a browser would not even do that):
    # B's schema has no such session, so it is a stranger there.
    at_b = client.get("/console/", HTTP_HOST=enterprises.b.host)
    assert at_b.status_code == 302 and "/console/login/" in at_b["Location"]
