"""Progress and heartbeats of a running import, kept in the cache: the writing transaction is
invisible to everyone else until it commits. While the cache Redis is unreachable
(core.process_cache.redis_breaker) neither is written and reads say UNKNOWN, never "nothing".
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.process_cache import redis_breaker
from orgdata.models import ImportJob

logger = logging.getLogger("orgdata.services.imports")

HEARTBEAT_SECONDS = 3
HEARTBEAT_STALE_SECONDS = 15
BATCH = 2000  # rows between two progress reports


def _progress_key(job_id: int) -> str:
    # The default cache prefixes every key with the schema, so job ids of two enterprises differ.
    return f"orgdata:import-progress:{job_id}"


# What a cache read returns while the cache Redis is unreachable: not "nothing stored", but "unknown".
UNKNOWN = object()


def _cache_write(operation) -> None:
    """Progress and heartbeats are skipped while the cache Redis is unreachable: an import does not
    depend on them, and the breaker keeps each write from waiting for a timeout."""
    redis_breaker.call(operation)


def read_progress(job: ImportJob):
    """What the attempt running `job` last reported (a dict), None, or UNKNOWN (cache unreachable)."""
    return _cache_read(_progress_key(job.pk))


def _cache_read(key: str):
    """The cached value (None when nothing is stored), or UNKNOWN while the cache Redis is unreachable."""
    return redis_breaker.call(lambda: cache.get(key), on_failure=UNKNOWN)


def report_progress(job: ImportJob, phase: str, done: int, total: int) -> None:
    _cache_write(lambda: cache.set(_progress_key(job.pk), {
        "phase": phase, "done": done, "total": total, "attempt": job.attempt, "at": timezone.now().isoformat()}, 3600))


def last_phase(job: ImportJob, live) -> str | None:
    """The phase the attempt last reported; without it (cache unreachable or emptied) the database
    knows one thing: `total_rows` is committed once the file was read in full."""
    phase = live.get("phase") if isinstance(live, dict) else None
    return phase or ("validating" if job.total_rows else None)


def _heartbeat_key(job_id: int) -> str:
    return f"orgdata:import-heartbeat:{job_id}"


def has_heartbeat(job: ImportJob) -> bool | None:
    """Whether the attempt running the job reported itself alive within HEARTBEAT_STALE_SECONDS;
    None while the cache is unreachable (unknown, which is not stale)."""
    beat = _cache_read(_heartbeat_key(job.pk))
    if beat is UNKNOWN:
        return None
    return bool(beat) and beat.get("attempt") == job.attempt and time.time() - beat.get("at", 0) <= HEARTBEAT_STALE_SECONDS


@contextmanager
def heartbeat(job: ImportJob):
    """A thread that tells the cache every HEARTBEAT_SECONDS that this attempt is alive; it dies
    with the process, so a killed worker stops beating at once. Beats are skipped while the cache
    is unreachable (the import goes on)."""
    schema, key, attempt = connection.schema_name, _heartbeat_key(job.pk), job.attempt
    stopped = threading.Event()

    def beat():
        try:
            with schema_context(schema):  # the cache key carries the schema of the thread's connection
                while True:
                    _cache_write(lambda: cache.set(key, {"attempt": attempt, "at": time.time()},
                                                   HEARTBEAT_STALE_SECONDS * 4))
                    if stopped.wait(HEARTBEAT_SECONDS):
                        break
                _cache_write(lambda: cache.delete(key))
        except Exception as error:  # a missing heartbeat only changes what the console says
            logger.warning("import %s heartbeat stopped: %s", job.pk, type(error).__name__)
        finally:
            connection.close()  # the thread's own connection

    _cache_write(lambda: cache.set(key, {"attempt": attempt, "at": time.time()}, HEARTBEAT_STALE_SECONDS * 4))
    thread = threading.Thread(target=beat, name=f"import-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=HEARTBEAT_SECONDS + 5)
