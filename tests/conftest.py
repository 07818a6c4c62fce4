"""Shared test fixtures.

Two enterprises are provisioned once per session through the real provisioning service and
committed (a schema per test would cost ~0.5 s each); every test then runs in a transaction that
is rolled back. A third, cancelling enterprise lets tests prove that periodic work skips it.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants import routing_cache

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "Adm1n-" + secrets.token_urlsafe(8)


@dataclass(frozen=True)
class SessionEnterprise:
    enterprise: object
    host: str
    admin_mobile: str
    admin_password: str

    @property
    def schema_name(self) -> str:
        return self.enterprise.schema_name


@dataclass(frozen=True)
class SessionEnterprises:
    a: SessionEnterprise
    b: SessionEnterprise
    cancelling: SessionEnterprise


def _provision(code: str, name: str, mobile: str) -> SessionEnterprise:
    from tenants import services as tenant_services
    from tests.tenants.factories import TEST_PROVISIONING

    provisioned = tenant_services.provision_enterprise(
        actor=TEST_PROVISIONING, code=code, name=name, location="Shanghai", industry="Software",
        personnel_size="21-100",
        administrator_mobile=mobile, administrator_name=f"{name} manager", administrator_password=ADMIN_PASSWORD,
    )
    return SessionEnterprise(provisioned.enterprise, provisioned.domain, mobile, ADMIN_PASSWORD)


def pytest_collection_modifyitems(items):
    # pytest-django creates the test database only for tests it knows need one; tests that use
    # only the committed session enterprises (browser, worker) must count too, or they would run
    # against the development database.
    for item in items:
        if "session_enterprises" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session")
def session_enterprises(django_db_setup, django_db_blocker) -> SessionEnterprises:
    from tenants.models import Enterprise
    from tenants import services as tenant_services
    from tests.tenants.factories import platform_operator

    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            raise RuntimeError("refusing to provision session enterprises outside a test database")
        a = _provision("alpha-test", "Alpha Test Co", "13711110001")
        b = _provision("bravo-test", "Bravo Test Co", "13722220001")
        leaving = _provision("leaving-test", "Leaving Test Co", "13733330001")
        tenant_services.change_enterprise_status(actor=platform_operator(), enterprise=leaving.enterprise,
                                                 status=Enterprise.Status.CANCELLING)
        connection.set_schema_to_public()
    return SessionEnterprises(a, b, leaving)


@pytest.fixture
def enterprises(session_enterprises, db) -> SessionEnterprises:
    """The session enterprises, inside this test's rolled-back transaction."""
    return session_enterprises


@pytest.fixture(autouse=True)
def _back_to_public_and_fresh_routes(request):
    yield
    connection.set_schema_to_public()
    if "session_enterprises" in request.fixturenames or "enterprises" in request.fixturenames:
        # Status changes made inside a rolled-back test must not survive in the shared cache.
        enterprises = request.getfixturevalue("session_enterprises")
        for each in (enterprises.a, enterprises.b, enterprises.cancelling):
            routing_cache.forget_host(each.host)


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # A page served in Chinese leaves its language active in this thread (LocaleMiddleware); the
    # next test must read messages in the default language whatever ran before it.
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _forget_memos_of_rolled_back_tests(request):
    # Policy versions and purpose revisions changed in a test vanish with its transaction; so must
    # the in-process policy memo and the cached purpose catalogue (the cache is not transactional).
    from consent.state_cache import forget_catalogue
    from policies.selectors import forget_timeline
    from tenants.cessation import forget_cessation

    forget_timeline()
    forget_cessation()
    yield
    forget_timeline()
    forget_cessation()
    if "enterprises" in request.fixturenames or "session_enterprises" in request.fixturenames:
        enterprises = request.getfixturevalue("session_enterprises")
        for each in (enterprises.a, enterprises.b):
            with schema_context(each.schema_name):
                forget_catalogue()


@pytest.fixture
def api_client_for():
    def make(enterprise: SessionEnterprise, device_id: str | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=enterprise.host)
        if device_id:
            client.credentials(HTTP_X_DEVICE_ID=device_id)
        return client

    return make


@pytest.fixture
def console_as(client, enterprises):
    """The Django test client signed in to enterprise A's console as `account`."""

    def sign_in(account):
        client.force_login(account)
        client.defaults["HTTP_HOST"] = enterprises.a.host
        return client

    return sign_in


@pytest.fixture
def platform_client():
    return APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN)


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{quote(db['USER'] or 'postgres', safe='')}{password}@{quote(db['HOST'] or '', safe='')}{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(session_enterprises, django_db_blocker):
    """A real Celery worker process on this test run's own queue, against the test database."""
    from config.celery import app

    with django_db_blocker.unblock():
        database_url = _test_database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        # A task for an enterprise being upgraded retries within the test's patience.
        "ENTERPRISE_UPGRADING_RETRY_SECONDS": "1",
    }
    worker_name = f"test-{settings.CELERY_TASK_DEFAULT_QUEUE}@{socket.gethostname()}"
    log = open(ROOT / ".data" / "test-worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO",
         "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", worker_name],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[worker_name], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError("test Celery worker did not start; see .data/test-worker.log")
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a warm shutdown waits for the task in hand: never leave it running
        worker.kill()
        worker.wait()
    log.close()


@pytest.fixture(scope="session")
def live_server_port(session_enterprises, django_db_blocker):
    """A real HTTP server thread for browser tests; it sees committed data only."""
    from django.test.testcases import LiveServerThread, _StaticFilesHandler

    django_db_blocker.unblock()
    server = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield server.port
    server.terminate()
    # Request threads keep persistent connections; end them so the test database can be dropped.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    django_db_blocker.restore()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used)."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    # Playwright's sync API keeps an event loop on this thread; Django would then refuse the
    # test's own (synchronous) database work, which is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield chromium
        chromium.close()
