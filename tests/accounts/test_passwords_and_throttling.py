import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from access.actors import SystemActor
from accounts import services as account_services
from accounts.models import User
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.accounts.signing_in import api_login


@pytest.mark.promise("X3")
@pytest.mark.parametrize("weak", ["short1!A", "passwordpassword", "abcdefghijkl", "1234567890123", "ALLUPPER1234"])
def test_simple_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak, User(mobile="13600001111", display_name="Test"))


@pytest.mark.promise("X3")
def test_a_complex_password_is_accepted_and_stored_with_argon2(enterprises):
    validate_password("Harbour-Lights-42", User(mobile="13600001111", display_name="Test"))
    with schema_context(enterprises.a.schema_name):
        user = UserFactory()
        user.set_password("Harbour-Lights-42")
        user.save()
        assert user.password.startswith("argon2")


@pytest.mark.promise("X3")
def test_password_change_through_the_api_reports_weak_passwords_field_by_field(enterprises, api_client_for):
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13612345000")
    client = api_client_for(enterprises.a, device_id="device-000001")
    token = api_login(client, {"mobile": "13612345000", "password": FACTORY_PASSWORD,
                               "device_id": "device-000001"}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID="device-000001")

    weak = client.post("/api/v1/auth/password", {"old_password": FACTORY_PASSWORD, "new_password": "password"}, format="json")
    assert weak.status_code == 400
    assert "new_password" in weak.json()["fields"]

    wrong_old = client.post("/api/v1/auth/password", {"old_password": "nope", "new_password": "Harbour-Lights-42"}, format="json")
    assert wrong_old.status_code == 400
    assert "old_password" in wrong_old.json()["fields"]

    ok = client.post("/api/v1/auth/password", {"old_password": FACTORY_PASSWORD, "new_password": "Harbour-Lights-42"}, format="json")
    assert ok.status_code == 204
    relogin = client.post("/api/v1/auth/login", {"mobile": "13612345000", "password": "Harbour-Lights-42",
                                                 "device_id": "device-000001"}, format="json")
    assert relogin.status_code == 200


def test_api_login_is_locked_after_repeated_failures_even_with_the_right_password(enterprises, api_client_for, settings):
    with schema_context(enterprises.a.schema_name):
        UserFactory(mobile="13612346000")
    client = api_client_for(enterprises.a)
    attempt = {"mobile": "13612346000", "password": "Wrong-Pass-123", "device_id": "device-000002"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/api/v1/auth/login", attempt, format="json").status_code == 401

    assert client.post("/api/v1/auth/login", attempt, format="json").status_code == 429  # the limit-th failure locks
    locked = client.post("/api/v1/auth/login", {**attempt, "password": FACTORY_PASSWORD}, format="json")

    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"


def test_console_login_is_locked_after_repeated_failures(enterprises, client, settings):
    host = {"HTTP_HOST": enterprises.a.host}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/console/login/", {"username": enterprises.a.admin_mobile, "password": "Wrong-1x!"}, **host)
        assert response.status_code == 200  # the form again, with an error
    client.post("/console/login/", {"username": enterprises.a.admin_mobile, "password": "Wrong-1x!"}, **host)

    locked = client.post("/console/login/", {"username": enterprises.a.admin_mobile,
                                             "password": enterprises.a.admin_password}, **host)
    assert locked.status_code == 429


def test_admin_login_is_locked_after_repeated_failures(enterprises, client, settings):
    host = {"HTTP_HOST": settings.PLATFORM_DOMAIN}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/admin/login/", {"username": "13800009999", "password": "Wrong-1x!"}, **host)
    locked = client.post("/admin/login/", {"username": "13800009999", "password": "Wrong-1x!"}, **host)
    assert locked.status_code == 429


def test_failed_login_throttling_is_per_enterprise(enterprises, api_client_for, settings):
    attempt = {"mobile": "13612347000", "password": "Wrong-Pass-123", "device_id": "device-000003"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        api_client_for(enterprises.a).post("/api/v1/auth/login", attempt, format="json")
    with schema_context(enterprises.b.schema_name):
        UserFactory(mobile="13612347000")

    in_b = api_login(api_client_for(enterprises.b), {**attempt, "password": FACTORY_PASSWORD})

    assert in_b.status_code == 200


@pytest.mark.django_db
def test_a_password_hashed_ahead_is_stored_only_for_the_password_it_was_started_for(enterprises):
    # Provisioning hashes the manager's password while the schema is copied (tenants.services).
    actor = SystemActor("password test")
    hashing = account_services.hash_password_ahead("Harbour-Lights-42")
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(ValueError):
            account_services.create_account(actor=actor, mobile="13600001112", display_name="Wrong Hash",
                                            password="Other-Lights-43", hashing=hashing)
        assert not User.objects.with_mobile("13600001112").exists()
        person = account_services.create_account(actor=actor, mobile="13600001113", display_name="Ahead",
                                                 password="Harbour-Lights-42", hashing=hashing)
        person.refresh_from_db()
        assert person.password.startswith("argon2")
        assert person.check_password("Harbour-Lights-42")
        assert not person.check_password("Other-Lights-43")
