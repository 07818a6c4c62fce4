"""Extra real Celery worker processes for tests that need more than the session's one.

Each consumes the test run's default queue plus a queue of its own test, against the test
database, with the settings the session worker gets (tests/conftest.py). Stopped on exit.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

from django.conf import settings

from tests.conftest import ROOT, _test_database_url


@contextmanager
def real_workers(count: int, queue: str, django_db_blocker):
    """`count` worker processes (solo pool, one message at a time each) on `queue` and the
    default queue; yields their node names."""
    from config.celery import app

    with django_db_blocker.unblock():
        database_url = _test_database_url()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url,
           "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
           "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]}
    workers, logs, names = [], [], []
    try:
        for number in range(count):
            name = f"{queue}-{number}@{socket.gethostname()}"
            log = open(ROOT / ".data" / f"test-worker-{queue}-{number}.log", "w")
            logs.append(log)
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO",
                 "-Q", f"{queue},{settings.CELERY_TASK_DEFAULT_QUEUE}", "-n", name],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
            names.append(name)
        deadline = time.monotonic() + 90
        while len(app.control.ping(destination=names, timeout=0.5)) < count:
            if any(worker.poll() is not None for worker in workers) or time.monotonic() > deadline:
                raise RuntimeError(f"test Celery workers did not start; see .data/test-worker-{queue}-*.log")
        yield names
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        for log in logs:
            log.close()


def received_by(names: list[str], queue: str, task_name: str) -> list[int]:
    """How many messages of `task_name` each worker's log says it received."""
    counts = []
    for number in range(len(names)):
        lines = (ROOT / ".data" / f"test-worker-{queue}-{number}.log").read_text().splitlines()
        counts.append(sum(1 for line in lines if f"Task {task_name}[" in line and line.endswith("received")))
    return counts


def retries_logged(names: list[str], queue: str, task_name: str) -> int:
    """How many retries of `task_name` the workers' logs record (Celery's "… retry: Retry in …")."""
    return sum(sum(1 for line in (ROOT / ".data" / f"test-worker-{queue}-{number}.log").read_text().splitlines()
                   if f"Task {task_name}[" in line and " retry: Retry in " in line)
               for number in range(len(names)))


def queue_is_drained(names: list[str], queue: str) -> bool:
    """Nothing waits on `queue` and no worker named is busy."""
    from config.celery import app

    # The Redis client of Celery's own connection: the broker URL may be one only kombu reads (the
    # embedded Redis's redis+socket://).
    with app.connection_for_read() as connection:
        if connection.default_channel.client.llen(queue):
            return False
    active = app.control.inspect(destination=names, timeout=1.0).active() or {}
    return len(active) == len(names) and not any(active.values())


def wait_until(condition, timeout: float, step: float = 0.2):
    """What `condition()` returns once it is truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")
