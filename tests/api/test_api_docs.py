"""The API documentation a client developer reads at /api/docs/: grouped by domain, the two headers
declared so Swagger's "Try it out" signs in, and every refusal documented with the body it has
(config.openapi). The refusals are provoked for real and compared with what the schema says."""
from __future__ import annotations

import pytest
import requests
from django_tenants.utils import schema_context

from config.openapi import API_TAGS
from tests.accounts.signing_in import api_login, latest_code
from tests.accounts.factories import FACTORY_PASSWORD
from tests.orgdata.factories import make_employee

DEVICE = "docs-device-0001"


def _schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_is_grouped_under_its_domain(enterprises, api_client_for):
    schema = _schema(api_client_for(enterprises.a))
    known = [name for name, _, _ in API_TAGS]
    assert [tag["name"] for tag in schema["tags"]] == known
    untagged = [f"{method} {path}: {operation.get('tags')}" for path, method, operation in _operations(schema)
                if len(operation.get("tags", [])) != 1 or operation["tags"][0] not in known]
    assert untagged == []
    tags = {path: operation["tags"][0] for path, _, operation in _operations(schema)}
    assert (tags["/api/v1/auth/login"], tags["/api/v1/me/profile"], tags["/api/v1/directory"],
            tags["/api/v1/consent/purposes"], tags["/api/v1/attendance/check-ins"], tags["/api/v1/rights/requests"],
            tags["/api/v1/admin/employees"]) == ("auth", "profile", "directory", "consent", "attendance", "rights",
                                                 "admin")


@pytest.mark.promise("X6")
def test_signed_in_operations_require_the_token_and_its_device_together(enterprises, api_client_for):
    schema = _schema(api_client_for(enterprises.a))
    schemes = schema["components"]["securitySchemes"]
    assert schemes["deviceToken"] == {**schemes["deviceToken"], "type": "apiKey", "in": "header",
                                      "name": "Authorization"}
    assert schemes["deviceId"] == {**schemes["deviceId"], "type": "apiKey", "in": "header", "name": "X-Device-Id"}
    me = schema["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"deviceToken": [], "deviceId": []}]
    assert "security" not in schema["paths"]["/api/v1/auth/login"]["post"]


@pytest.fixture
def person(enterprises, api_client_for):
    with schema_context(enterprises.a.schema_name):
        account = make_employee(name="Docs Reader", mobile="13612345601").account
        account.set_password(FACTORY_PASSWORD)
        account.save(update_fields=["password"])
    client = api_client_for(enterprises.a)
    login = api_login(client, {"mobile": "13612345601", "password": FACTORY_PASSWORD, "device_id": DEVICE})
    assert login.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}", HTTP_X_DEVICE_ID=DEVICE)
    return account, client


def _documented(schema, path, method, response) -> bool:
    """The response's status is documented on the operation, with its code, and its body has the
    documented error shape."""
    documented = schema["paths"][path][method]["responses"].get(str(response.status_code))
    if documented is None:
        return False
    body = response.json()
    error = schema["components"]["schemas"]["Error"]
    return (f"`{body['code']}`" in documented["description"] and set(error["required"]) <= set(body)
            and "content" in documented)


def test_the_refusals_clients_meet_are_documented_with_their_bodies(enterprises, api_client_for, person):
    account, client = person
    schema = _schema(client)

    invalid = client.patch("/api/v1/me/profile", {"email": "not an address"}, format="json")
    assert invalid.status_code == 400 and "email" in invalid.json()["fields"]
    assert _documented(schema, "/api/v1/me/profile", "patch", invalid)

    other_device = api_client_for(enterprises.a, device_id="another-device")
    other_device.credentials(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"],
                             HTTP_X_DEVICE_ID="another-device")
    unauthenticated = other_device.get("/api/v1/me")
    assert unauthenticated.status_code == 401 and _documented(schema, "/api/v1/me", "get", unauthenticated)

    not_permitted = client.get("/api/v1/admin/employees")
    assert not_permitted.status_code == 403 and _documented(schema, "/api/v1/admin/employees", "get", not_permitted)

    missing = client.get("/api/v1/rights/requests/999999")
    assert missing.status_code == 404 and _documented(schema, "/api/v1/rights/requests/{id}", "get", missing)

    with schema_context(enterprises.a.schema_name):
        account.must_change_password = True
        account.save(update_fields=["must_change_password"])
    must_change = client.get("/api/v1/directory")
    assert must_change.json()["code"] == "password_change_required"
    assert _documented(schema, "/api/v1/directory", "get", must_change)
    # The exempt routes do not claim a refusal they never make.
    assert "password_change_required" not in str(schema["paths"]["/api/v1/auth/password"]["post"]["responses"])

    wrong = [api_client_for(enterprises.a).post("/api/v1/auth/login", {
        "mobile": "13612345601", "password": "wrong-Passw0rd!", "device_id": DEVICE}, format="json")
        for _ in range(6)]
    assert wrong[0].status_code == 401 and _documented(schema, "/api/v1/auth/login", "post", wrong[0])
    assert wrong[-1].status_code == 429 and _documented(schema, "/api/v1/auth/login", "post", wrong[-1])


def test_the_collection_stop_is_documented_on_the_writes_it_refuses(enterprises, api_client_for):
    schema = _schema(api_client_for(enterprises.a))
    profile = schema["paths"]["/api/v1/me/profile"]
    assert "collection_stopped" in profile["patch"]["responses"]["403"]["description"]
    assert "collection_stopped" not in str(profile["get"]["responses"])
    withdraw = schema["paths"]["/api/v1/consent/purposes/{code}/withdraw"]["post"]
    assert "collection_stopped" not in str(withdraw["responses"])  # withdrawing is never stopped (C6)


@pytest.mark.browser
def test_swagger_try_it_out_signs_in_with_the_token_and_the_device(session_enterprises, live_server_port, browser):
    enterprise = session_enterprises.a
    base = f"http://{enterprise.host}:{live_server_port}"
    # requests does not resolve *.localhost as browsers do: the loopback address, with the Host.
    direct, host = f"http://127.0.0.1:{live_server_port}", {"Host": f"{enterprise.host}:{live_server_port}"}
    credentials = {"mobile": enterprise.admin_mobile, "password": enterprise.admin_password,
                   "device_id": "swagger-browser"}
    login = requests.post(f"{direct}/api/v1/auth/login", timeout=30, headers=host, json=credentials)
    if login.status_code == 403 and login.json()["code"] == "device_verification_required":  # X6: a new device
        code = latest_code(enterprise.schema_name, enterprise.admin_mobile)
        login = requests.post(f"{direct}/api/v1/auth/login", timeout=30, headers=host, json={**credentials, "code": code})
    assert login.status_code == 200
    token = login.json()["token"]
    page = browser.new_page()
    try:
        page.goto(f"{base}/api/docs/")
        page.get_by_role("button", name="Authorize").first.click()
        dialog = page.locator(".dialog-ux")
        for scheme, value in (("deviceToken", f"Token {token}"), ("deviceId", "swagger-browser")):
            form = dialog.locator("form", has_text=f"{scheme} (apiKey)")
            form.locator("input").fill(value)
            form.get_by_label("Apply credentials").click()
        dialog.locator("button.btn-done").first.click()

        operation = page.locator("#operations-profile-v1_me_retrieve")
        operation.locator(".opblock-summary").click()
        operation.get_by_role("button", name="Try it out").click()
        operation.get_by_role("button", name="Execute").click()
        status = operation.locator(".live-responses-table tr.response .response-col_status").first
        status.wait_for()
        assert status.inner_text().strip() == "200"
        assert enterprise.admin_mobile[-4:] in operation.locator(".live-responses-table").inner_text()
    finally:
        page.close()
        requests.post(f"{direct}/api/v1/auth/logout", timeout=30,
                      headers={**host, "Authorization": f"Token {token}", "X-Device-Id": "swagger-browser"})
