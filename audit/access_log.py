"""X4: writing access-log rows off the request path.

A request served outside any transaction (production: autocommit) hands its row to this process's
writer thread and returns; the thread writes whatever has queued up since its last write as one
multi-row INSERT per enterprise schema, on a connection of its own, committed asynchronously
(`synchronous_commit = off` for that INSERT's transaction only). A request therefore pays neither
a database round trip nor a disk sync for its log row, and under load one INSERT carries many rows.

What may be lost: rows still queued when the process is killed outright (a clean exit writes them
first), and, if the database server itself crashes, the rows of its last fraction of a second.
Rows are never half-written. While writes fail (database unreachable, restarting, refusing), the
rows stay in the writer's backlog and are retried with back-off (RETRY_FIRST_SECONDS doubling up
to RETRY_MAX_SECONDS); at most MAX_QUEUED rows wait, the oldest are dropped beyond that and
counted in the server log (never their content: it is personal data). Rows that can never be
written (their schema or table no longer exists) are dropped and counted at once.

A request inside a transaction (a caller's atomic block, the test suite) writes its row in that
transaction instead, so that it commits or rolls back with it.
"""
from __future__ import annotations

import atexit
import collections
import logging
import os
import queue
import threading
import time

from django.db import DatabaseError, InterfaceError, InternalError, OperationalError, connection, transaction
from django_tenants.utils import get_public_schema_name

logger = logging.getLogger(__name__)

COLUMNS = ("occurred_at", "method", "path", "status", "user_id", "ip", "user_agent", "language", "duration_ms")
MAX_QUEUED = 10_000  # rows waiting in the writer's backlog while writes fail
# Rows handed over by requests and not yet taken by the writer: full only if the writer thread
# itself is stuck (then new rows are dropped and counted).
HANDOVER_SIZE = 10_000
MAX_BATCH = 500
IDLE_SECONDS = 30  # the writer's connection is closed after this long without rows
# Rows are gathered this long before each write: under load one INSERT then carries many rows,
# and the writer wakes a few times a second instead of once per request.
GATHER_SECONDS = 0.25
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
# Failures of the database rather than of the rows (unreachable, restarting, read-only, refusing
# for now): worth a retry. Any other error (no such schema or table, a value it cannot store) would
# fail again, so those rows are dropped and counted.
_RETRIED_ERRORS = (OperationalError, InterfaceError, InternalError)


# The platform host's requests (the Django admin, the enterprise lookup) go to the public schema's
# own table (audit_anchors.PlatformAccessLogEntry): platform staff reaching personal data is logged too.
PLATFORM_TABLE = "platform_access_log"


def _table_of(schema: str) -> str:
    return PLATFORM_TABLE if schema == get_public_schema_name() else "audit_access_log"


def _insert_sql(schema: str, rows: int) -> str:
    values = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * rows)
    return f'INSERT INTO "{schema}".{_table_of(schema)} ({", ".join(COLUMNS)}) VALUES {values}'


def write_now(schema: str, row: tuple) -> None:
    """Write one row on the current connection, inside its current transaction."""
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a failure poisons nothing
        cursor.execute(_insert_sql(schema, 1), row)


class _Writer:
    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._queue: queue.Queue = queue.Queue(HANDOVER_SIZE)
        self._dropped = 0

    def put(self, schema: str, row: tuple) -> None:
        if self._pid != os.getpid():  # first row in this process (after a fork, too)
            self._start()
        try:
            self._queue.put_nowait((schema, row))
        except queue.Full:
            self._count_dropped(1)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every row queued so far is written; False if that took longer than `timeout`."""
        if self._pid != os.getpid():
            return True
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, close the writer's connection and end its thread."""
        if self._pid != os.getpid():
            return
        done = threading.Event()
        self._queue.put(("stop", done))
        done.wait(timeout)
        self._pid = None

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue = queue.Queue(HANDOVER_SIZE)  # never a parent's queue after a fork
            threading.Thread(target=self._run, args=(self._queue,), name="access-log-writer", daemon=True).start()
            self._pid = os.getpid()

    def _run(self, pending: queue.Queue) -> None:
        from django.db import connections

        backlog: collections.deque = collections.deque()  # (schema, row) taken from the queue, not yet written
        waiting: list[tuple[str, threading.Event]] = []  # flushes and stops, answered once the backlog is written
        retry_delay, retry_at = 0.0, 0.0
        while True:
            wait = IDLE_SECONDS if not backlog else max(0.0, retry_at - time.monotonic())
            try:
                item = pending.get(timeout=wait) if wait else pending.get_nowait()
            except queue.Empty:
                item = None
                if not backlog:
                    connections.close_all()  # idle: give the connection back
                    continue
            if item is not None:
                if not backlog and not isinstance(item[1], threading.Event):
                    time.sleep(GATHER_SECONDS)
                self._take(item, pending, backlog, waiting)
            is_stopping = any(kind == "stop" for kind, _ in waiting)
            if backlog and (time.monotonic() >= retry_at or is_stopping):
                if self._write_backlog(backlog):
                    if retry_delay:
                        logger.warning("access log writes resumed")
                    retry_delay = 0.0
                else:
                    if not retry_delay:
                        logger.error("access log writes fail; %d rows kept, retrying with back-off", len(backlog))
                    retry_delay = min(max(retry_delay * 2, RETRY_FIRST_SECONDS), RETRY_MAX_SECONDS)
                    retry_at = time.monotonic() + retry_delay
            if not backlog or is_stopping:
                if backlog:  # stopping while writes still fail
                    self._count_dropped(len(backlog))
                for kind, event in waiting:
                    if kind == "stop":
                        connections.close_all()
                    event.set()
                waiting.clear()
                if is_stopping:
                    return

    def _take(self, item, pending: queue.Queue, backlog: collections.deque, waiting: list) -> None:
        """Move `item` and whatever else is queued into the backlog (or the waiting signals)."""
        while item is not None:
            if isinstance(item[1], threading.Event):
                waiting.append(item)
            else:
                if len(backlog) >= MAX_QUEUED:  # bounded: the oldest row gives way
                    backlog.popleft()
                    self._count_dropped(1)
                backlog.append(item)
            try:
                item = pending.get_nowait()
            except queue.Empty:
                item = None

    def _count_dropped(self, rows: int) -> None:
        before, self._dropped = self._dropped, self._dropped + rows
        if before // 1000 != self._dropped // 1000 or before == 0:
            logger.error("access log: %d rows dropped so far", self._dropped)

    def _write_backlog(self, backlog: collections.deque) -> bool:
        """Write the backlog in batches, oldest first. At the first failed batch, its rows that
        were not written stay at the front of the backlog, and False is returned (retry later)."""
        while backlog:
            batch = [backlog[index] for index in range(min(MAX_BATCH, len(backlog)))]
            failed_schemas, unwritable = self._write(batch)
            for _ in batch:
                backlog.popleft()
            backlog.extendleft(reversed([item for item in batch if item[0] in failed_schemas]))
            if unwritable:
                self._count_dropped(unwritable)
            if failed_schemas:
                return False
        return True

    @staticmethod
    def _write(batch: list[tuple[str, tuple]]) -> tuple[set[str], int]:
        """One INSERT per schema. Returns the schemas whose rows should be retried, and the number
        of rows that can never be written."""
        by_schema: dict[str, list[tuple]] = {}
        for schema, row in batch:
            by_schema.setdefault(schema, []).append(row)
        failed_schemas, unwritable = set(), 0
        for schema, rows in by_schema.items():
            if failed_schemas:  # the database is failing: do not hammer it with the other schemas
                failed_schemas.add(schema)
                continue
            params = [value for row in rows for value in row]
            try:
                with connection.cursor() as cursor:
                    # One implicit transaction (client-side binding sends both as one query): the
                    # setting covers this INSERT's commit only.
                    cursor.execute("SET LOCAL synchronous_commit = off; " + _insert_sql(schema, len(rows)), params)
            except Exception as error:  # the writer thread must outlive any one failure
                # The class name only: a database message could quote a row, i.e. personal data.
                logger.error("could not write %d access log rows of %s (%s)", len(rows), schema,
                             type(error).__name__)
                try:
                    connection.close()  # start again on a fresh connection
                except DatabaseError:
                    pass
                if isinstance(error, _RETRIED_ERRORS):
                    failed_schemas.add(schema)
                else:
                    unwritable += len(rows)
        return failed_schemas, unwritable


writer = _Writer()
atexit.register(writer.flush, 5.0)
