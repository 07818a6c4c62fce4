"""X4: each request an enterprise serves is logged in its own schema: IP, browser, language, time."""
import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from audit import access_log
from accounts.models import User
from audit.models import AccessLogEntry
from audit_anchors.models import PlatformAccessLogEntry
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.committing import in_a_thread
from tests.accounts.signing_in import api_login

BROWSER = "Mozilla/5.0 (iPhone) AccessLogTest/2.0"


def _latest(schema: str, **filters) -> AccessLogEntry:
    with schema_context(schema):
        return AccessLogEntry.objects.filter(**filters).order_by("-id").first()


@pytest.mark.promise("X4")
def test_a_signed_in_request_is_logged_without_its_query_string(enterprises, api_client_for):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13655560001")
    client = api_client_for(enterprises.a)
    token = api_login(client, {"mobile": "13655560001", "password": FACTORY_PASSWORD,
                                               "device_id": "access-dev-1"}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID="access-dev-1")
    before = timezone.now()

    response = client.get("/api/v1/me?mobile=13655560001", HTTP_USER_AGENT=BROWSER,
                          HTTP_ACCEPT_LANGUAGE="zh-Hans,zh;q=0.8", REMOTE_ADDR="198.51.100.23")

    assert response.status_code == 200
    row = _latest(enterprises.a.schema_name, path="/api/v1/me")
    assert (row.method, row.path, row.status, row.user_id) == ("GET", "/api/v1/me", 200, person.pk)
    assert (row.ip, row.user_agent, row.language) == ("198.51.100.23", BROWSER, "zh-Hans")
    assert before <= row.occurred_at <= timezone.now() and row.duration_ms >= 0


@pytest.mark.promise("X4")
def test_anonymous_and_refused_requests_are_logged_too(enterprises, api_client_for):
    response = api_client_for(enterprises.b).get("/api/v1/me", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 401
    row = _latest(enterprises.b.schema_name, path="/api/v1/me")
    assert (row.status, row.user_id, row.user_agent, row.language) == (401, None, BROWSER, "en")


def test_each_enterprise_logs_into_its_own_schema_and_the_platform_host_into_the_public_one(
    enterprises, api_client_for, platform_client, caplog
):
    with schema_context(enterprises.b.schema_name):
        b_before = AccessLogEntry.objects.count()
    api_client_for(enterprises.a).get("/api/v1/me", HTTP_USER_AGENT="only-in-a")
    platform_client.get("/api/v1/enterprises/lookup", {"code": "alpha-test"}, HTTP_USER_AGENT="platform-only")

    assert not [r for r in caplog.records if r.name.startswith("audit")]  # no "could not write"
    assert _latest(enterprises.a.schema_name, user_agent="only-in-a") is not None
    with schema_context(enterprises.b.schema_name):
        assert AccessLogEntry.objects.count() == b_before
    for each in (enterprises.a, enterprises.b):
        assert _latest(each.schema_name, user_agent="platform-only") is None
    connection.set_schema_to_public()
    row = PlatformAccessLogEntry.objects.filter(user_agent="platform-only").get()
    assert (row.method, row.path, row.status, row.user_id) == ("GET", "/api/v1/enterprises/lookup", 200, None)


@pytest.mark.promise("X4")
def test_platform_staff_in_the_django_admin_are_greeted_by_name_and_logged(enterprises, client, settings, caplog):
    connection.set_schema_to_public()
    staff = User.objects.create_user(mobile="13800005151", display_name="Wang Support", password="Supp0rt-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(staff)

    page = client.get("/admin/", HTTP_USER_AGENT="staff-browser", REMOTE_ADDR="198.51.100.77")

    assert page.status_code == 200
    assert "Wang Support" in page.content.decode() and staff.mobile_index not in page.content.decode()
    assert not [r for r in caplog.records if r.name.startswith("audit")]
    connection.set_schema_to_public()
    row = PlatformAccessLogEntry.objects.filter(user_agent="staff-browser").get()
    assert (row.method, row.path, row.status, row.user_id, row.ip) == ("GET", "/admin/", 200, staff.pk,
                                                                       "198.51.100.77")


def test_logging_a_request_costs_one_insert_and_no_audit_read(enterprises, api_client_for):
    client = api_client_for(enterprises.a)
    client.get("/api/v1/me")  # warm: routing facts cached
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/me", HTTP_USER_AGENT=BROWSER)
    touching_logs = [q["sql"] for q in queries.captured_queries if "audit_" in q["sql"]]
    assert len(touching_logs) == 1 and touching_logs[0].startswith(f'INSERT INTO "{enterprises.a.schema_name}".audit_access_log')


@pytest.mark.promise("X4")
def test_outside_a_transaction_rows_are_written_by_the_background_writer(session_enterprises, django_db_blocker):
    """Production path: requests in autocommit hand their rows to the writer thread, which commits
    them (many rows per INSERT) on its own connection."""
    schema, marker = session_enterprises.b.schema_name, "writer-path-test"

    def serve_and_look():  # its connection is in autocommit, like a server's
        client = Client(HTTP_HOST=session_enterprises.b.host)
        for index in range(5):
            client.get(f"/api/v1/me?attempt={index}", HTTP_USER_AGENT=marker, REMOTE_ADDR="192.0.2.50")
        flushed = access_log.writer.flush()
        with schema_context(schema):
            return flushed, list(AccessLogEntry.objects.filter(user_agent=marker).values_list("path", "status", "ip"))

    def clean_up():
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_access_log WHERE user_agent = %s", [marker])
        connection.set_schema_to_public()
        connections.close_all()

    with django_db_blocker.unblock():
        try:
            flushed, rows = in_a_thread(serve_and_look, cleanup=clean_up)
        finally:
            access_log.writer.stop()  # and close its connection: the test database is dropped at the end
    assert flushed
    assert rows == [("/api/v1/me", 401, "192.0.2.50")] * 5


@pytest.mark.promise("X4")
def test_rows_wait_while_writes_fail_and_arrive_after_recovery(session_enterprises, django_db_blocker, monkeypatch):
    """The writer keeps rows while the database refuses them (a trigger fails every INSERT into the
    enterprise's access log as a read-only server would, e.g. during a fail-over), retries with back-off,
    and writes them once the database accepts them again; beyond MAX_QUEUED the oldest give way."""
    schema, marker = session_enterprises.b.schema_name, "writer-outage-test"
    monkeypatch.setattr(access_log, "MAX_QUEUED", 4)
    outcome = {}

    def refuse_inserts(cursor, refuse: bool):
        if refuse:
            cursor.execute("CREATE OR REPLACE FUNCTION public.refuse_access_log_test() RETURNS trigger "
                           "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'closed for a test' "
                           "USING ERRCODE = 'read_only_sql_transaction'; END $$")
            cursor.execute(f'CREATE TRIGGER refuse_for_test BEFORE INSERT ON "{schema}".audit_access_log '
                           "FOR EACH ROW EXECUTE FUNCTION public.refuse_access_log_test()")
        else:
            cursor.execute(f'DROP TRIGGER IF EXISTS refuse_for_test ON "{schema}".audit_access_log')
            cursor.execute("DROP FUNCTION IF EXISTS public.refuse_access_log_test()")

    def rows():
        with schema_context(schema):
            return list(AccessLogEntry.objects.filter(user_agent=marker).order_by("id").values_list("path", flat=True))

    def outage_and_recovery():
        try:
            with connection.cursor() as cursor:
                refuse_inserts(cursor, True)
            client = Client(HTTP_HOST=session_enterprises.b.host)
            dropped_before = access_log.writer._dropped
            for index in range(6):
                client.get(f"/api/v1/me/{index}", HTTP_USER_AGENT=marker)
            outcome["flushed_during_outage"] = access_log.writer.flush(timeout=1.5)
            outcome["rows_during_outage"] = rows()
            outcome["dropped"] = access_log.writer._dropped - dropped_before
            with connection.cursor() as cursor:
                refuse_inserts(cursor, False)
            started = time.monotonic()
            outcome["flushed_after_recovery"] = access_log.writer.flush(timeout=access_log.RETRY_MAX_SECONDS)
            outcome["recovery_seconds"] = time.monotonic() - started
            outcome["rows_after_recovery"] = rows()
        except Exception as error:  # re-raised below
            outcome["error"] = error
        finally:
            with connection.cursor() as cursor:
                refuse_inserts(cursor, False)
                cursor.execute(f'DELETE FROM "{schema}".audit_access_log WHERE user_agent = %s', [marker])
            connection.set_schema_to_public()
            connections.close_all()

    with django_db_blocker.unblock():
        thread = threading.Thread(target=outage_and_recovery)
        thread.start()
        thread.join()
        access_log.writer.stop()
    if "error" in outcome:
        raise outcome["error"]
    assert not outcome["flushed_during_outage"] and outcome["rows_during_outage"] == []
    assert outcome["dropped"] == 2  # six rows, room for four: the two oldest gave way
    assert outcome["flushed_after_recovery"], outcome
    assert outcome["rows_after_recovery"] == [f"/api/v1/me/{index}" for index in range(2, 6)]
