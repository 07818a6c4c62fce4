"""Each person's consent state, cached: what the gate reads on every gated request.

Current state is never stored: it is derived from the append-only ledger (C6) and cached per
schema and person. Three layers answer the gate, fastest first: this request's memo; this
process's copy, used only while its Redis pub/sub invalidation feed is connected (the same design
as tenants.routing_cache); the shared Redis cache; the ledger itself. Every key of every layer
carries the schema (the default cache's key function prefixes it; the others hold it).

C6 — a withdrawal takes effect at once, so no layer may keep a state older than the last answer:
- every service that appends an event calls `forget_person` (the catalogue: `forget_catalogue`)
  inside its transaction. That drops the entry from every layer now and again once the transaction
  commits, before the service returns (so before the response is sent);
- a reader that misses Redis reads the ledger and then stores what it read. A withdrawal may commit
  and be forgotten in between; storing then would bring the old state back for STATE_SECONDS. So
  every forget also bumps a generation counter in Redis (per schema and person, and per schema for
  the catalogue), the reader fetches the counter in the same round trip as the cached value, and
  stores only if the counter is unchanged (one Lua compare-and-set). The process copy has its own
  generation counter for the same race (core.process_cache);
- while Redis is unreachable (core.process_cache.redis_breaker), the state is read from the
  ledger on every request and forgets wait in the breaker until Redis answers again;
- until its transaction commits, the connection that wrote reads the person's state (or the
  catalogue) from the database and shares it with no cache: what it sees is not committed and may
  yet roll back.

Nothing here imports the rest of the consent app but its models: the gate, the selectors and the
services all sit above it.
"""
from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from consent.models import ConsentEvent, Purpose
from core.process_cache import STORE_UNLESS_FORGOTTEN, ProcessCache, redis_breaker

STATE_SECONDS = 600
# A generation only has to outlive the reads that started before its bump (milliseconds); it
# expires so that the counters of people who stop changing their answers do not pile up.
_GENERATION_SECONDS = 86_400
_CATALOGUE_KEY = "consent:catalogue:v2"
_CATALOGUE_GENERATION_KEY = "consent:catalogue-generation:v1"


def state_key(person_id: int) -> str:
    return f"consent:state:v2:{person_id}"


def _state_generation_key(person_id: int) -> str:
    return f"consent:state-generation:v1:{person_id}"


def generation_keys_of(person_id: int) -> list[str]:
    """The generation counter's key of a person (consent.apps registers it for the residue scan:
    it outlives a forget by _GENERATION_SECONDS, and names the person by id)."""
    return [_state_generation_key(person_id)]


class PurposeFacts(NamedTuple):
    """What the gate needs of one purpose (a plain tuple: cheap to cache and read back)."""

    code: str
    revision: int
    is_basic: bool
    is_active: bool
    requires: tuple[str, ...]
    covers: tuple[str, ...]


# Within one request, the gate, the model guard and the policy middleware read the cache once per
# person (consent.middleware opens the scope), keyed by (schema, person id). Writers drop entries.
_request_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("consent_request_memo", default=None)


@contextmanager
def request_scope():
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)


def catalogue_from_database() -> dict[str, PurposeFacts]:
    """The facts of every purpose of this schema, read now (what the cache holds per schema)."""
    return {
        code: PurposeFacts(code, revision, kind == Purpose.Kind.BASIC, is_active, tuple(requires), tuple(covers))
        for code, revision, kind, is_active, requires, covers in Purpose.objects.values_list(
            "code", "revision", "kind", "is_active", "requires", "covers")
    }


_LOCAL_SECONDS = 60


def _entries_named_by(token: str, keys):
    """token: "<schema>:<person id>", or "<schema>:*" when the schema's catalogue changed."""
    schema, _sep, person = token.rpartition(":")
    if person == "*":
        return [key for key in keys if key[0] == schema]
    return [(schema, int(person))]


# This process's copy of (catalogue, state) per (schema, person).
_local = ProcessCache("consent-state", ttl_seconds=_LOCAL_SECONDS, keys_for=_entries_named_by,
                      max_entries=lambda: settings.CONSENT_STATE_LOCAL_ENTRIES)


# --- Redis: one long-lived client per thread, compare-and-set stores -------------------------------

_clients = threading.local()


def _redis():
    """(backend, reader, writer, store script) of this thread.

    Django's Redis backend builds a new client object for every operation, which costs more than
    the round trip itself; the gate runs on every gated request, so it keeps its own (same pool,
    same keys, same serializer).
    """
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, RedisCacheClient):
        raise ImproperlyConfigured("consent state needs the default cache to be django.core.cache.backends.redis")
    if getattr(_clients, "backend", None) is not backend:
        _clients.reader = backend.get_client()
        _clients.writer = backend.get_client(write=True)
        _clients.store = _clients.writer.register_script(STORE_UNLESS_FORGOTTEN)
        _clients.backend = backend
    return backend, _clients.reader, _clients.writer, _clients.store


def _get_many(keys: list[str]) -> dict:
    """cache.get_many in one round trip through this thread's client."""
    backend, reader, _writer, _store = _redis()
    values = reader.mget([cache.make_and_validate_key(key) for key in keys])
    return {key: backend._serializer.loads(value) for key, value in zip(keys, values) if value is not None}


def _store_unless_forgotten(key: str, value, generation_key: str, generation_read: int | None) -> bool:
    """Cache `value` unless `generation_key` moved since `generation_read` was read (a forget ran)."""
    backend, _reader, writer, store = _redis()
    stored = store(keys=[cache.make_and_validate_key(key), cache.make_and_validate_key(generation_key)],
                   args=["" if generation_read is None else str(generation_read), backend._serializer.dumps(value),
                         STATE_SECONDS], client=writer)
    return bool(stored)


class _Forget(NamedTuple):
    """One invalidation, with its keys made in the schema of the write (a callback after commit may
    run after the caller left that schema)."""

    key: str
    generation_key: str
    token: str

    def run(self) -> None:
        # While Redis is unreachable the breaker keeps this and sends it once Redis answers, so
        # the state it forgets cannot come back with Redis's data.
        redis_breaker.invalidate(self._forget_in_redis)
        # After Redis: a reader of this process that refills from Redis now finds the new state.
        _local.invalidate_everywhere(self.token)

    def _forget_in_redis(self) -> None:
        _backend, _reader, writer, _store = _redis()
        pipeline = writer.pipeline(transaction=True)
        # The counter first (atomically with the delete): a reader storing in between would
        # otherwise find the old generation and put the old state back.
        pipeline.incr(self.generation_key)
        pipeline.expire(self.generation_key, _GENERATION_SECONDS)
        pipeline.delete(self.key)
        pipeline.execute()


# --- writes in this connection's open transaction -------------------------------------------------

class _Uncommitted:
    """What this connection's open transaction has forgotten ({("state", schema, person id) or
    ("catalogue", schema): its forget}), forgotten again by one callback once it commits.

    Alive while that callback is still queued on the connection: Django runs the queue at commit
    and drops it (or the part queued inside a savepoint) at rollback. The queue list is only
    replaced then, so holding on to it makes the usual check one identity comparison.
    """

    def __init__(self, db):
        self.forgets: dict[tuple, _Forget] = {}
        self.db = db

        def after_commit():
            if db.__dict__.get("_consent_uncommitted") is self:
                db._consent_uncommitted = None
            for forget in self.forgets.values():
                forget.run()

        self.after_commit = after_commit
        transaction.on_commit(after_commit, using=db.alias)
        self.queue = db.run_on_commit

    def is_alive(self) -> bool:
        queue = self.db.run_on_commit
        if queue is self.queue:
            return True
        if any(callback is self.after_commit for _ids, callback, _robust in queue):
            self.queue = queue  # a savepoint rolled back, but not the one this was queued in
            return True
        return False


def _uncommitted(db) -> _Uncommitted | None:
    uncommitted = db.__dict__.get("_consent_uncommitted")
    if uncommitted is None:
        return None
    if not uncommitted.is_alive():
        db._consent_uncommitted = None  # its transaction (or savepoint) rolled back
        return None
    return uncommitted


def _forget(mark: tuple, forget: _Forget) -> None:
    """Invalidate now and, inside a transaction, again once it commits (see the module docstring)."""
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block:
        forget.run()
        return
    uncommitted = _uncommitted(db)
    if uncommitted is None:
        uncommitted = db._consent_uncommitted = _Uncommitted(db)
    elif mark in uncommitted.forgets:
        return  # forgotten already in this transaction; the forget after commit is queued
    forget.run()
    uncommitted.forgets[mark] = forget


def forget_catalogue() -> None:
    schema = connection.schema_name
    _forget(("catalogue", schema), _Forget(cache.make_and_validate_key(_CATALOGUE_KEY),
                                           cache.make_and_validate_key(_CATALOGUE_GENERATION_KEY), f"{schema}:*"))
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


def forget_person(person_id: int) -> None:
    schema = connection.schema_name
    _forget(("state", schema, person_id), _Forget(cache.make_and_validate_key(state_key(person_id)),
                                                  cache.make_and_validate_key(_state_generation_key(person_id)),
                                                  f"{schema}:{person_id}"))
    memo = _request_memo.get()
    if memo is not None:
        memo.pop((schema, person_id), None)


def ledger_state(person_id: int) -> dict:
    """The person's state read from the ledger now: {"granted": {purpose code: revision}, "policies": [ids]}.

    The latest granted/withdrawn event per purpose decides; a grant counts only for the revision
    it was given for (consent.gate compares it with the purpose's current revision).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (e.purpose_id) p.code, e.action, e.purpose_revision "
            "FROM consent_consentevent e JOIN consent_purpose p ON p.id = e.purpose_id "
            "WHERE e.person_id = %s AND e.purpose_id IS NOT NULL ORDER BY e.purpose_id, e.id DESC",
            [person_id])
        granted = {code: revision for code, action, revision in cursor.fetchall()
                   if action == ConsentEvent.Action.GRANTED}
        cursor.execute(
            "SELECT DISTINCT policy_version_id FROM consent_consentevent WHERE person_id = %s AND action = %s",
            [person_id, ConsentEvent.Action.POLICY_ACCEPTED])
        policies = [row[0] for row in cursor.fetchall()]
    return {"granted": granted, "policies": policies}


def catalogue_and_state(person_id: int) -> tuple[dict[str, PurposeFacts], dict]:
    """Catalogue facts and the person's state: from this request's memo, else this process's
    live copy, else the cache (one round trip), else the ledger."""
    db = connections[DEFAULT_DB_ALIAS]
    schema = db.schema_name
    local_key = (schema, person_id)
    memo = _request_memo.get()
    if memo is not None:
        found_in_memo = memo.get(local_key)
        if found_in_memo is not None:
            return found_in_memo
    if db.__dict__.get("_consent_uncommitted") is not None:
        uncommitted = _uncommitted(db)
        if uncommitted is not None and (("state", schema, person_id) in uncommitted.forgets
                                        or ("catalogue", schema) in uncommitted.forgets):
            # This transaction changed the person's answers or the catalogue: read what it sees,
            # share it with no cache.
            return catalogue_from_database(), ledger_state(person_id)
    _local.start_listener()
    found_locally = _local.get(local_key)
    if found_locally is not None:
        if memo is not None:
            memo[local_key] = found_locally
        return found_locally
    local_generation = _local.generation
    key, generation_key = state_key(person_id), _state_generation_key(person_id)
    # The generations come in the same round trip: a forget between this read and a store below
    # moves them, and the store is then refused.
    found = redis_breaker.call(lambda: _get_many([_CATALOGUE_KEY, key, _CATALOGUE_GENERATION_KEY, generation_key]))
    if found is None:
        # Redis is unavailable: the ledger answers (slower, still right) and nothing is shared.
        catalogue, state = catalogue_from_database(), ledger_state(person_id)
    else:
        catalogue = found.get(_CATALOGUE_KEY)
        if catalogue is None:
            catalogue = catalogue_from_database()
            redis_breaker.call(lambda: _store_unless_forgotten(
                _CATALOGUE_KEY, catalogue, _CATALOGUE_GENERATION_KEY, found.get(_CATALOGUE_GENERATION_KEY)))
        state = found.get(key)
        if state is None:
            state = ledger_state(person_id)
            redis_breaker.call(lambda: _store_unless_forgotten(key, state, generation_key, found.get(generation_key)))
    _local.put(local_key, (catalogue, state), local_generation)
    if memo is not None:
        memo[local_key] = (catalogue, state)
    return catalogue, state
