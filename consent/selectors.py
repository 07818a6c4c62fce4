"""Reads of consent: the catalogue, each person's current state derived from the ledger, history,
receipts, sharing records and coverage counts.

Current state is never stored: it is derived from the append-only ledger (C6) and cached per
schema (the default cache key carries the schema) and person. Every service that appends an event
deletes the person's cached state inside its transaction and again once it commits, so the very
next request after a withdrawal reads the ledger (consent.services).

Three layers answer the gate, fastest first: this request's memo; this process's copy, used only
while its Redis pub/sub invalidation feed is connected (the same design as tenants.routing_cache:
every forget publishes, a generation counter stops a read racing an invalidation from storing a
stale copy, a minute's expiry is the backstop); the shared Redis cache; the ledger itself.
"""
from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager
from typing import NamedTuple

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection
from django.db.models import QuerySet

from consent.models import ConsentEvent, Disclosure, Purpose
from tenants.process_cache import ProcessCache

STATE_SECONDS = 600
_CATALOGUE_KEY = "consent:catalogue:v2"


def state_key(person_id: int) -> str:
    return f"consent:state:v2:{person_id}"


class PurposeFacts(NamedTuple):
    """What the gate needs of one purpose (a plain tuple: cheap to cache and read back)."""

    code: str
    revision: int
    is_basic: bool
    is_active: bool
    requires: tuple[str, ...]
    covers: tuple[str, ...]


# Within one request, the gate, the model guard and the policy middleware read the cache once per
# person (consent.middleware opens the scope). Writers drop the person's entry (forget_person).
_request_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("consent_request_memo", default=None)


@contextmanager
def request_scope():
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)


def _catalogue_from_database() -> dict[str, PurposeFacts]:
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
_local = ProcessCache("consent-state", ttl_seconds=_LOCAL_SECONDS, keys_for=_entries_named_by)


def _invalidate_everywhere(token: str) -> None:
    _local.invalidate_everywhere(token)


def forget_catalogue() -> None:
    cache.delete(_CATALOGUE_KEY)
    _invalidate_everywhere(f"{connection.schema_name}:*")
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


def forget_person(person_id: int) -> None:
    cache.delete(state_key(person_id))
    _invalidate_everywhere(f"{connection.schema_name}:{person_id}")
    memo = _request_memo.get()
    if memo is not None:
        memo.pop(person_id, None)


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


_readers = threading.local()


def _get_many(keys: list[str]) -> dict:
    """cache.get_many through one long-lived Redis client per thread.

    Django's Redis backend builds a new client object for every operation, which costs more than
    the round trip itself; the gate runs on every gated request, so it keeps its own (same pool,
    same keys, same serializer). Any other cache backend: plain get_many.
    """
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, RedisCacheClient):
        return cache.get_many(keys)
    client = getattr(_readers, "client", None)
    if client is None or getattr(_readers, "backend", None) is not backend:
        client = _readers.client = backend.get_client()
        _readers.backend = backend
    values = client.mget([cache.make_and_validate_key(key) for key in keys])
    return {key: backend._serializer.loads(value) for key, value in zip(keys, values) if value is not None}


def catalogue_and_state(person_id: int) -> tuple[dict[str, PurposeFacts], dict]:
    """Catalogue facts and the person's state: from this request's memo, else this process's
    live copy, else the cache (one round trip), else the ledger."""
    memo = _request_memo.get()
    if memo is not None and person_id in memo:
        return memo[person_id]
    _local.start_listener()
    local_key = (connection.schema_name, person_id)
    found_locally = _local.get(local_key)
    if found_locally is not None:
        if memo is not None:
            memo[person_id] = found_locally
        return found_locally
    generation = _local.generation
    key = state_key(person_id)
    found = _get_many([_CATALOGUE_KEY, key])
    catalogue = found.get(_CATALOGUE_KEY)
    if catalogue is None:
        catalogue = _catalogue_from_database()
        cache.set(_CATALOGUE_KEY, catalogue, STATE_SECONDS)
    state = found.get(key)
    if state is None:
        state = ledger_state(person_id)
        cache.set(key, state, STATE_SECONDS)
    _local.put(local_key, (catalogue, state), generation)
    if memo is not None:
        memo[person_id] = (catalogue, state)
    return catalogue, state


def purposes_with_state_of(person) -> list[tuple[Purpose, bool]]:
    """Every active purpose with whether `person` may currently be processed for it (C1–C5, C9)."""
    from consent import gate

    purposes = list(Purpose.objects.filter(is_active=True).select_related("recipient").order_by("kind", "code"))
    return [(purpose, gate.may_process(person, purpose.code)) for purpose in purposes]


def history_of(person) -> QuerySet[ConsentEvent]:
    """C6: every answer the person gave, newest first (withdrawal never removes earlier ones)."""
    return ConsentEvent.objects.filter(person=person).select_related("purpose").order_by("-id")


def event_of(person, event_id: int) -> ConsentEvent:
    """One of the person's own events; another person's is "not found"."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(history_of(person), pk=event_id)


def receipt_of(event: ConsentEvent) -> dict:
    """A consent receipt (JSON): what was answered, for which purpose revision, under which policy,
    through which channel, when, and the ledger digests that make tampering evident."""
    purpose = event.purpose
    return {
        "receipt_id": f"{connection.schema_name}:{event.pk}",
        "enterprise_schema": connection.schema_name,
        "person_id": event.person_id,
        "action": event.action,
        "purpose": None if purpose is None else {
            "code": purpose.code, "revision": event.purpose_revision, "name_en": purpose.name_en,
            "name_zh_hans": purpose.name_zh_hans, "statement_en": purpose.statement_en,
            "statement_zh_hans": purpose.statement_zh_hans, "is_sensitive": purpose.is_sensitive,
            "covers": list(purpose.covers),
            "recipient": purpose.recipient.code if purpose.recipient_id else None,
        },
        "policy_version": event.policy_version_label or None,
        "channel": event.channel,
        "device_id": event.device_id,
        "ip_address": event.ip_address,
        "occurred_at": event.occurred_at.isoformat(),
        "previous_digest": event.previous_digest,
        "digest": event.digest,
    }


def disclosures_of(person) -> QuerySet[Disclosure]:
    """C9/C11: what was given to whom, when and under which consent — shown to the person."""
    return Disclosure.objects.filter(person=person).select_related("recipient", "purpose").order_by("-id")


def consent_coverage() -> list[dict]:
    """Per additional purpose: how many people are consenting now. Counts only, never who refused."""
    from accounts.models import User

    people = User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).count()
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.code, count(*) FROM ("
            "  SELECT DISTINCT ON (person_id, purpose_id) purpose_id, action, purpose_revision"
            "  FROM consent_consentevent WHERE purpose_id IS NOT NULL ORDER BY person_id, purpose_id, id DESC"
            ") latest JOIN consent_purpose p ON p.id = latest.purpose_id "
            "WHERE latest.action = 'granted' AND latest.purpose_revision = p.revision GROUP BY p.code")
        counts = dict(cursor.fetchall())
    return [
        {"purpose": purpose, "consenting": counts.get(purpose.code, 0), "people": people}
        for purpose in Purpose.objects.filter(is_active=True).exclude(kind=Purpose.Kind.BASIC).order_by("kind", "code")
    ]
