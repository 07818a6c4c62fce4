"""Writing outside the test's transaction.

Each test runs inside a transaction that is rolled back; a real worker process, the live server
or another thread's connection sees only committed rows. `committed` runs work on a connection of
its own (a thread's), so what it writes is committed at once; the test's own connection still
reads it (READ COMMITTED). Whatever it writes stays: clean it up the same way.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections
from django_tenants.utils import schema_context

T = TypeVar("T")


def in_a_thread(work: Callable[[], T], *, cleanup: Callable[[], None] | None = None) -> T:
    """Run `work()` in a thread of its own (its own database connection, in autocommit, like a
    server's), then `cleanup()` there whatever happened. Returns what `work` returned and re-raises
    its error in the test's thread."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error
        finally:
            if cleanup is not None:
                cleanup()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def committed(schema_name: str, work: Callable[[], T]) -> T:
    """Run `work()` in schema `schema_name` ("public" for the platform's tables; `work` may switch
    itself) on a connection of its own, committed at once. Returns its result and re-raises its
    error in the test's thread."""

    def in_schema():
        with schema_context(schema_name):
            return work()

    return in_a_thread(in_schema, cleanup=connections.close_all)  # that thread's connections only
