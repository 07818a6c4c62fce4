"""E5: after an administrator resets a password, the person must change it before anything else —
on the mobile API (403 `password_change_required`) and in the console (sent to the change page)."""
import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from orgdata.services import administrators as administrator_services
from tests.policies.factories import PolicyVersionFactory
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree
from tests.accounts.signing_in import api_login

CONFIRMED = {"confirmed": "yes"}  # sent by the confirmation page (core.confirmation)

NEW_PASSWORD = "Harbour-Lights-42"
DEVICE = "device-forced-0001"


@pytest.fixture
def reset_employee(enterprises):
    """An employee of enterprise A whose password the manager has just reset: (account, temporary)."""
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        person = make_employee(name="王芳")
        temporary = administrator_services.reset_employee_password(actor=manager, employee=person)
    return person.account, temporary


def _signed_in_api(api_client_for, enterprise, account, password):
    client = api_client_for(enterprise)
    login = api_login(client, {"mobile": account.mobile, "password": password, "device_id": DEVICE})
    assert login.status_code == 200, login.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}", HTTP_X_DEVICE_ID=DEVICE)
    return client, login.json()


@pytest.mark.promise("E5")
def test_after_a_reset_the_api_refuses_everything_until_the_password_is_changed(enterprises, api_client_for,
                                                                                reset_employee):
    account, temporary = reset_employee
    client, login = _signed_in_api(api_client_for, enterprises.a, account, temporary)
    assert login["user"]["must_change_password"] is True

    for path in ("/api/v1/me", "/api/v1/directory", "/api/v1/auth/devices", "/api/v1/consent/purposes"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "password_change_required", path
        assert refused.json()["detail"]
    # Reading the privacy policy stays open (C8 may require accepting it first).
    assert client.get("/api/v1/policy").status_code == 200

    # Keeping the temporary password is not a change.
    same = client.post("/api/v1/auth/password", {"old_password": temporary, "new_password": temporary}, format="json")
    assert same.status_code == 400 and "new_password" in same.json()["fields"]
    assert client.get("/api/v1/me").json()["code"] == "password_change_required"

    changed = client.post("/api/v1/auth/password", {"old_password": temporary, "new_password": NEW_PASSWORD},
                          format="json")
    assert changed.status_code == 204

    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["must_change_password"] is False
    assert client.get("/api/v1/directory").status_code == 200
    _again, relogin = _signed_in_api(api_client_for, enterprises.a, account, NEW_PASSWORD)
    assert relogin["user"]["must_change_password"] is False


@pytest.mark.promise("E5")
def test_a_person_with_a_reset_password_can_still_sign_out(enterprises, api_client_for, reset_employee):
    account, temporary = reset_employee
    client, _login = _signed_in_api(api_client_for, enterprises.a, account, temporary)

    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401  # the token is gone, not merely blocked


def test_unauthenticated_calls_get_the_authentication_error_not_the_password_one(enterprises, api_client_for,
                                                                                 reset_employee):
    anonymous = api_client_for(enterprises.a, device_id=DEVICE)
    response = anonymous.get("/api/v1/me")
    assert response.status_code in (401, 403) and response.json()["code"] != "password_change_required"


def test_someone_whose_password_was_not_reset_is_not_held_up(enterprises, api_client_for):
    with schema_context(enterprises.a.schema_name):
        account = make_employee(name="李雷").account
        account.set_password(NEW_PASSWORD)
        account.save(update_fields=["password"])
    client, _login = _signed_in_api(api_client_for, enterprises.a, account, NEW_PASSWORD)
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.promise("E5")
def test_a_person_who_owes_both_a_policy_acceptance_and_a_password_change_can_do_both(
        enterprises, api_client_for, reset_employee):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.9", days_ago=8, is_significant=True, significant_reasons=["processing"])
    account, temporary = reset_employee
    client, _login = _signed_in_api(api_client_for, enterprises.a, account, temporary)

    assert client.get("/api/v1/me").status_code == 403
    assert client.post("/api/v1/auth/password", {"old_password": temporary, "new_password": NEW_PASSWORD},
                       format="json").status_code == 204
    assert client.get("/api/v1/me").json()["code"] == "policy_acceptance_required"
    assert client.post("/api/v1/policy/accept", {"version": "2026.9"}, format="json").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


# --- console ----------------------------------------------------------------------------------

def _console_for(enterprise) -> Client:
    return Client(HTTP_HOST=enterprise.host)


@pytest.fixture
def reset_sub_administrator(enterprises):
    """A sub-administrator whose password the manager reset in the console: (account, temporary)."""
    manager_console = _console_for(enterprises.a)
    assert manager_console.post("/console/login/", {"username": enterprises.a.admin_mobile,
                                                    "password": enterprises.a.admin_password}).status_code == 302
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager)
        employee_pk = deputy.employee.pk
    page = manager_console.post(f"/console/organisation/employees/{employee_pk}/reset-password/", CONFIRMED)
    assert page.status_code == 200
    temporary = re.search(r'data-testid="temporary-password">([^<]+)<', page.content.decode()).group(1)
    return deputy, temporary


@pytest.mark.promise("E5")
def test_after_a_reset_the_console_sends_the_administrator_to_change_the_password(enterprises,
                                                                                 reset_sub_administrator):
    deputy, temporary = reset_sub_administrator
    console = _console_for(enterprises.a)
    signed_in = console.post("/console/login/", {"username": deputy.mobile, "password": temporary})
    assert signed_in.status_code == 302

    for path in ("/console/", "/console/organisation/employees/", "/console/privacy/"):
        blocked = console.get(path)
        assert blocked.status_code == 302 and blocked["Location"] == "/console/password/", path
    page = console.get("/console/password/")
    assert page.status_code == 200
    assert 'data-testid="password-change-required"' in page.content.decode()

    mismatch = console.post("/console/password/", {"old_password": temporary, "new_password": NEW_PASSWORD,
                                                   "new_password_again": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 200 and 'data-field="new_password_again"' in mismatch.content.decode()
    weak = console.post("/console/password/", {"old_password": temporary, "new_password": "password",
                                               "new_password_again": "password"})
    assert weak.status_code == 200 and 'data-field="new_password"' in weak.content.decode()
    wrong = console.post("/console/password/", {"old_password": "not-it", "new_password": NEW_PASSWORD,
                                                "new_password_again": NEW_PASSWORD})
    assert wrong.status_code == 200 and 'data-field="old_password"' in wrong.content.decode()
    assert console.get("/console/")["Location"] == "/console/password/"

    changed = console.post("/console/password/", {"old_password": temporary, "new_password": NEW_PASSWORD,
                                                  "new_password_again": NEW_PASSWORD}, follow=True)
    assert changed.redirect_chain[-1][0] == "/console/"
    assert changed.status_code == 200 and 'data-testid="employee-count"' in changed.content.decode()
    assert console.get("/console/organisation/employees/").status_code == 200  # still signed in
    with schema_context(enterprises.a.schema_name):
        deputy.refresh_from_db()
        assert deputy.check_password(NEW_PASSWORD) and not deputy.must_change_password


@pytest.mark.promise("E5")
def test_the_console_does_not_loop_when_a_policy_acceptance_is_also_pending(enterprises, reset_sub_administrator):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.10", days_ago=8, is_significant=True, significant_reasons=["contact"])
    deputy, temporary = reset_sub_administrator
    console = _console_for(enterprises.a)
    console.post("/console/login/", {"username": deputy.mobile, "password": temporary})

    landing = console.get("/console/", follow=True)  # the test client raises on a redirect loop
    assert landing.status_code == 200 and landing.redirect_chain[-1][0] == "/console/password/"
    after_change = console.post("/console/password/", {"old_password": temporary, "new_password": NEW_PASSWORD,
                                                       "new_password_again": NEW_PASSWORD}, follow=True)
    assert after_change.redirect_chain[-1][0] == "/console/privacy/policy/"
    assert console.post("/console/privacy/policy/", follow=True).redirect_chain[-1][0] == "/console/"
