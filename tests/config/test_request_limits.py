"""No input causes a 500: hostile queries and bodies are refused with a clear 4xx, in the API's
error shape on API paths and as a plain page on console paths; the refusals are in the access log."""
import json

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from audit.models import AccessLogEntry
from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (fixtures)
from tests.orgdata.factories import make_employee

LOGIN = "/api/v1/auth/login"


def _is_error_shape(response, code: str) -> dict:
    body = response.json()
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def employee_api(in_a, api_as, manager):
    """An API client signed in as an employee (directory), and one as the manager (admin list)."""
    return api_as(make_employee().account), api_as(manager)


@pytest.mark.parametrize("query", ["search=a%00b", "search=a%0Db", "se%00arch=x", "search=a%01"])
def test_a_control_character_in_a_search_is_a_400_naming_the_parameter(employee_api, query):
    employee, manager = employee_api
    for client, path in ((employee, "/api/v1/directory"), (manager, "/api/v1/admin/employees")):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, response.content
        body = _is_error_shape(response, "invalid")
        assert list(body["fields"]) == [query.split("=")[0].replace("%00", "?")]
        assert "\x00" not in response.content.decode()


def test_a_tab_in_a_search_is_an_ordinary_search(employee_api):
    employee, _manager = employee_api
    assert employee.get("/api/v1/directory?search=a%09b").status_code == 200


@pytest.mark.promise("X4")
def test_a_nul_in_the_path_is_a_400_and_still_in_the_access_log(enterprises, api_client_for):
    response = api_client_for(enterprises.a).get("/api/v1/me%00x", HTTP_USER_AGENT="nul-path-test")
    assert response.status_code == 400
    assert _is_error_shape(response, "invalid")["fields"] == {"path": [response.json()["fields"]["path"][0]]}
    with schema_context(enterprises.a.schema_name):
        row = AccessLogEntry.objects.get(user_agent="nul-path-test")
    assert (row.status, row.path) == (400, "/api/v1/me\ufffdx")


def test_the_console_search_refuses_a_nul_with_a_plain_page(enterprises, console_as, in_a, manager):
    client = console_as(manager)
    assert client.get("/console/organisation/employees/?q=ok").status_code == 200
    response = client.get("/console/organisation/employees/?q=a%00b", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and "Control characters (such as NUL) are not allowed" in page


def test_a_nul_reaching_a_filter_is_still_a_400(in_a, api_as, settings):
    """Last resort: even without the middleware, PostgreSQL's refusal of NUL is no 500."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "config.request_limits.RequestLimitsMiddleware"]
    employee = api_as(make_employee().account)  # a new client: its handler loads the changed middleware
    response = employee.get("/api/v1/directory?search=a%00b")
    assert response.status_code == 400
    _is_error_shape(response, "invalid")


def test_a_nul_in_a_json_body_is_a_400_naming_the_field(employee_api):
    employee, _manager = employee_api
    response = employee.patch("/api/v1/me/profile", {"email": "a\x00@example.com"}, format="json")
    assert response.status_code == 400
    assert _is_error_shape(response, "invalid")["fields"].keys() == {"email"}


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_a_400_even_on_the_unauthenticated_login(enterprises, api_client_for, depth):
    body = "[" * depth + "]" * depth
    response = api_client_for(enterprises.a).post(LOGIN, body, content_type="application/json")
    assert response.status_code == 400
    _is_error_shape(response, "parse_error")


def test_nesting_within_the_limit_reaches_the_view(enterprises, api_client_for):
    body = {"mobile": "13800000000", "password": "x", "device_id": "d", "extra": json.loads("[" * 30 + "]" * 30)}
    response = api_client_for(enterprises.a).post(LOGIN, body, format="json")
    assert response.status_code in (400, 401) and response.json()["code"] != "parse_error"


def test_a_body_over_the_limit_is_a_413_on_the_login(enterprises, api_client_for):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    client = api_client_for(enterprises.a)
    as_json = client.post(LOGIN, {"mobile": "13800000000", "password": padding, "device_id": "d"}, format="json")
    as_form = client.post(LOGIN, {"mobile": "13800000000", "password": padding, "device_id": "d"}, format="multipart")
    as_urlencoded = client.post(LOGIN, f"mobile=1&password={padding}",
                                content_type="application/x-www-form-urlencoded")
    for response in (as_json, as_form, as_urlencoded):
        assert response.status_code == 413
        _is_error_shape(response, "too_large")


def test_a_json_body_over_the_limit_is_a_413_before_drf_reads_it(employee_api):
    employee, _manager = employee_api
    response = employee.patch("/api/v1/me/profile", {"qq": "1" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}, format="json")
    assert response.status_code == 413
    _is_error_shape(response, "too_large")


def test_more_than_a_thousand_fields_is_a_400_on_the_login(enterprises, api_client_for):
    fields = {f"f{index}": "1" for index in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    client = api_client_for(enterprises.a)
    for response in (client.post(LOGIN, fields), client.post(LOGIN, fields, format="multipart"),
                     client.get("/api/v1/directory", fields)):
        assert response.status_code == 400
        _is_error_shape(response, "bad_request")


def test_the_console_login_refuses_big_and_crowded_bodies_with_a_page(enterprises, client):
    client.defaults["HTTP_HOST"] = enterprises.a.host
    too_big = client.post("/console/login/", {"username": "1", "password": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    crowded = client.post("/console/login/", {f"f{index}": "1" for index in range(1001)})
    assert (too_big.status_code, crowded.status_code) == (413, 400)
    for response in (too_big, crowded):
        assert response["Content-Type"].startswith("text/html") and b"<h1>" in response.content


def test_form_fields_may_hold_line_breaks_but_no_nul(enterprises, client):
    client.defaults["HTTP_HOST"] = enterprises.a.host
    with_lines = client.post("/console/login/", {"username": "13800000000", "password": "line\r\nbreak"})
    with_nul = client.post("/console/login/", {"username": "138\x0000000000", "password": "x"})
    urlencoded_nul = client.post("/console/login/", "username=138%0000000000&password=x",
                                 content_type="application/x-www-form-urlencoded")
    assert with_lines.status_code == 200  # the form's own answer: wrong credentials
    for response in (with_nul, urlencoded_nul):
        assert response.status_code == 400 and b"<h1>" in response.content


def test_an_unknown_api_address_is_a_404_in_the_error_shape_on_every_host(enterprises, api_client_for, client):
    response = api_client_for(enterprises.a).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    _is_error_shape(response, "not_found")
    platform = client.get("/api/v1/no-such-thing", HTTP_HOST=settings.PLATFORM_DOMAIN)
    assert platform.status_code == 404
    _is_error_shape(platform, "not_found")
    assert client.get("/console/no-such-page/", HTTP_HOST=enterprises.a.host)["Content-Type"].startswith("text/html")


def test_a_cookie_holding_a_nul_is_dropped_not_a_500(enterprises, console_as, in_a, manager, api_client_for):
    client = console_as(manager)
    assert client.get("/console/").status_code == 200
    client.cookies["sessionid"] = client.cookies["sessionid"].value + "\x00x"
    response = client.get("/console/")
    assert response.status_code == 302 and "/login" in response["Location"]  # signed out, not a server error
    api = api_client_for(enterprises.a)
    api.cookies["sessionid"] = "abc\x00def"
    assert api.get("/api/v1/me").status_code == 401
