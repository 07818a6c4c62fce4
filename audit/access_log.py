"""X4: writing access-log rows off the request path.

A request served outside any transaction (production: autocommit) hands its row to this process's
writer thread and returns; the thread writes whatever has queued up since its last write as one
multi-row INSERT per enterprise schema, on a connection of its own, committed asynchronously
(`synchronous_commit = off` for that INSERT's transaction only). A request therefore pays neither
a database round trip nor a disk sync for its log row, and under load one INSERT carries many rows.

What may be lost: rows still queued when the process is killed outright (a clean exit writes them
first), and, if the database server itself crashes, the rows of its last fraction of a second.
Rows are never half-written. If the database is unreachable, at most MAX_QUEUED rows wait; the
rest are dropped and counted in the server log (never their content: it is personal data).

A request inside a transaction (a caller's atomic block, the test suite) writes its row in that
transaction instead, so that it commits or rolls back with it.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

COLUMNS = ("occurred_at", "method", "path", "status", "user_id", "ip", "user_agent", "language", "duration_ms")
MAX_QUEUED = 10_000
MAX_BATCH = 500
IDLE_SECONDS = 30  # the writer's connection is closed after this long without rows
# Rows are gathered this long before each write: under load one INSERT then carries many rows,
# and the writer wakes a few times a second instead of once per request.
GATHER_SECONDS = 0.25


def _insert_sql(schema: str, rows: int) -> str:
    values = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * rows)
    return f'INSERT INTO "{schema}".audit_access_log ({", ".join(COLUMNS)}) VALUES {values}'


def write_now(schema: str, row: tuple) -> None:
    """Write one row on the current connection, inside its current transaction."""
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a failure poisons nothing
        cursor.execute(_insert_sql(schema, 1), row)


class _Writer:
    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._queue: queue.Queue = queue.Queue(MAX_QUEUED)
        self._dropped = 0

    def put(self, schema: str, row: tuple) -> None:
        if self._pid != os.getpid():  # first row in this process (after a fork, too)
            self._start()
        try:
            self._queue.put_nowait((schema, row))
        except queue.Full:
            self._dropped += 1
            if self._dropped % 1000 == 1:
                logger.error("access log queue full: %d rows dropped so far", self._dropped)

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
            self._queue = queue.Queue(MAX_QUEUED)  # never a parent's queue after a fork
            threading.Thread(target=self._run, args=(self._queue,), name="access-log-writer", daemon=True).start()
            self._pid = os.getpid()

    def _run(self, pending: queue.Queue) -> None:
        from django.db import connections

        was_full = False
        while True:
            try:
                item = pending.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                connections.close_all()  # idle: give the connection back
                continue
            if not was_full and not isinstance(item[1], threading.Event):
                time.sleep(GATHER_SECONDS)
            batch, signals = [], []
            while True:
                if isinstance(item[1], threading.Event):
                    signals.append(item)
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    break
            was_full = len(batch) >= MAX_BATCH
            self._write(batch)
            for kind, event in signals:
                if kind == "stop":
                    connections.close_all()
                event.set()
            if any(kind == "stop" for kind, _ in signals):
                return

    @staticmethod
    def _write(batch: list[tuple[str, tuple]]) -> None:
        by_schema: dict[str, list[tuple]] = {}
        for schema, row in batch:
            by_schema.setdefault(schema, []).append(row)
        for schema, rows in by_schema.items():
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


writer = _Writer()
atexit.register(writer.flush, 5.0)
