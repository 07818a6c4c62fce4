"""Issue 14 in real Chromium: the administrator adds a person and copies the activation link; the
person opens it, chooses a password, and then signs in through the app's API."""
import pytest

from accounts.models import SmsOutboxMessage, User
from tests.accounts.signing_in import latest_code
from tests.committing import committed

pytestmark = pytest.mark.browser

MOBILE = "13912348851"
CHOSEN = "My-own-Passw0rd!"


def _post_json(page, path: str, body: dict) -> dict:
    # As the app would: a JSON POST to the enterprise's host (from the page, which resolves it).
    return page.evaluate("""async ([path, body]) => {
        const answer = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify(body)});
        return {status: answer.status, json: await answer.json()};
    }""", [path, body])


def test_an_added_person_activates_their_account_and_signs_in_in_the_app(own_enterprise, live_server_port,
                                                                         browser):
    base = f"http://{own_enterprise.host}:{live_server_port}"
    admin = browser.new_page()
    admin.goto(f"{base}/console/login/")
    admin.get_by_label("Mobile number").fill(own_enterprise.admin_mobile)
    admin.get_by_label("Password").fill(own_enterprise.admin_password)
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url(f"{base}/console/")
    admin.goto(f"{base}/console/organisation/employees/add/")
    admin.locator("#id_display_name").fill("浏览器新人")
    admin.locator("#id_mobile").fill(MOBILE)
    admin.locator("#id_employee_number").fill("BR-1")
    admin.get_by_role("button", name="Save").click()
    admin.wait_for_url(f"{base}/console/organisation/employees/*/")
    link = admin.get_by_test_id("activation-link").input_value()
    assert link.startswith(f"https://{own_enterprise.host}:{live_server_port}/activate/")
    admin.reload()  # shown once
    assert admin.get_by_test_id("activation-link").count() == 0
    admin.close()

    person = browser.new_context().new_page()  # another browser, no session
    person.goto(base + "/activate/" + link.rsplit("/", 1)[1])
    assert person.get_by_test_id("activate-name").inner_text() == "浏览器新人"
    assert person.get_by_test_id("activate-mobile").inner_text() == "139****8851"
    person.get_by_label("Choose a password").fill(CHOSEN)
    person.get_by_label("The password again").fill(CHOSEN)
    person.get_by_test_id("activate-submit").click()
    assert "you can now sign in in the app" in person.get_by_test_id("activated").inner_text()

    # The app signs in with the mobile number and the new password; X6's new-device code applies.
    login = {"mobile": MOBILE, "password": CHOSEN, "device_id": "browser-invited-phone"}
    first = _post_json(person, "/api/v1/auth/login", login)
    assert first["status"] == 403 and first["json"]["code"] == "device_verification_required"
    code = committed(own_enterprise.schema_name, lambda: latest_code(own_enterprise.schema_name, MOBILE))
    signed_in = _post_json(person, "/api/v1/auth/login", {**login, "code": code})
    assert signed_in["status"] == 200 and signed_in["json"]["token"]
    again = person.goto(base + "/activate/" + link.rsplit("/", 1)[1])
    assert again.status == 410
    person.close()
    assert committed(own_enterprise.schema_name, lambda: User.objects.with_mobile(MOBILE).get().check_password(
        CHOSEN)) and committed(own_enterprise.schema_name, lambda: not SmsOutboxMessage.objects.filter(
            message_kind="invitation").exists())
