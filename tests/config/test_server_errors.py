"""Unexpected errors: the client gets the API's JSON (never the server's bare HTML page), the operator
gets the traceback in the server log, masked; an error report never needs the database."""
import logging
import socket
import sys

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.views.debug import get_exception_reporter_class
from django_tenants.utils import schema_context

from accounts.models import User
from audit import access_log
from orgdata.selectors import directory as directory_selectors
from tests.committing import in_a_thread
from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (fixtures)
from tests.orgdata.factories import make_employee

MOBILE = "13812345678"


def _port_where_nothing_listens() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again at once: connections to it are refused


def _with_the_database_unreachable(work):
    """Run `work()` in a thread whose database connection points where no server listens: every
    query fails as it would during an outage (connection refused). Returns what `work` returned."""

    def unreachable():
        connection.close()
        connection.settings_dict = {**connection.settings_dict, "HOST": "127.0.0.1",
                                    "PORT": _port_where_nothing_listens()}
        return work()

    # Requests served there (autocommit) hand their access-log rows to the background writer,
    # which has a working connection of its own: write them and close it.
    return in_a_thread(unreachable, cleanup=access_log.writer.stop)


@pytest.mark.promise("X1")
def test_with_the_database_down_api_clients_get_json_and_the_console_a_page(enterprises, api_client_for):
    assert api_client_for(enterprises.a).get("/api/v1/me").status_code == 401  # routing facts now cached
    host = enterprises.a.host

    def requests_during_the_outage():
        client = Client(HTTP_HOST=host, raise_request_exception=False)
        client.cookies["sessionid"] = "s" * 32  # a signed-in console user's session, read from the database
        return [
            client.get("/api/v1/me", HTTP_AUTHORIZATION="Token " + "t" * 40, HTTP_X_DEVICE_ID="outage"),
            client.post("/api/v1/auth/login", {"mobile": MOBILE, "password": "Pa55word-outage",
                                               "device_id": "outage-device"}, content_type="application/json"),
            client.get("/console/organisation/employees/"),
        ]

    me, login, console = _with_the_database_unreachable(requests_during_the_outage)
    for response in (me, login):
        assert response.status_code == 503 and response["Content-Type"] == "application/json"
        assert response.json()["code"] == "unavailable"
        assert "Traceback" not in response.content.decode() and "5432" not in response.content.decode()
    assert console.status_code == 500 and console["Content-Type"].startswith("text/html")


@pytest.mark.promise("X1")
def test_an_error_report_about_an_unreachable_database_needs_no_database(enterprises, django_db_blocker):
    with schema_context(enterprises.a.schema_name):
        someone = User.objects.first()

    def report():
        request = RequestFactory().get(f"/console/organisation/employees/?q={MOBILE}")
        people = User.objects.filter(display_name__startswith="Zhang")  # noqa: F841  (the report shows it)
        person = someone  # noqa: F841
        try:
            list(User.objects.all())
        except Exception:
            exc_info = sys.exc_info()
        reporter = get_exception_reporter_class(request)(request, *exc_info)  # as Django's DEBUG page
        return reporter.get_traceback_html(), reporter.get_traceback_text()

    html, text = _with_the_database_unreachable(report)
    assert "QuerySet of User (not evaluated)" in html and f"User pk={someone.pk}" in html
    assert MOBILE not in html and MOBILE not in text and "138****5678" in text


@pytest.mark.promise("X1")
def test_an_unhandled_api_error_is_logged_with_its_traceback_masked(in_a, api_as, monkeypatch, caplog):
    api = api_as(make_employee().account)

    def failing_directory(**_kwargs):
        raise RuntimeError(f"directory index broken near {MOBILE}")

    monkeypatch.setattr(directory_selectors, "directory", failing_directory)
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = api.get("/api/v1/directory")

    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "detail": "Something went wrong on our side."}
    formatter = next(h for h in logging.getLogger().handlers if h.formatter is not None).formatter
    [record] = [r for r in caplog.records if r.name == "api.errors"]
    line = formatter.format(record)
    assert "Traceback (most recent call last)" in line and "failing_directory" in line
    assert "138****5678" in line and MOBILE not in line
