"""Issuing, destroying and re-wrapping per-person data keys."""
from __future__ import annotations

import os
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from privacy import crypto
from privacy.models import PersonKey
from core.bulk_rows import RowTemplate, allocate_ids, qualified_table


def _new_key_row() -> PersonKey:
    master_key_id, wrapped = crypto.wrap_data_key(os.urandom(32))
    return PersonKey(master_key_id=master_key_id, wrapped_key=wrapped)


def issue_person_key() -> PersonKey:
    """A new data key for a person who has none yet."""
    key = _new_key_row()
    key.save()
    return key


def issue_person_keys(count: int) -> list[PersonKey]:
    """`count` new data keys in one statement, for bulk creation of people."""
    keys = PersonKey.objects.bulk_create([_new_key_row() for _ in range(count)], batch_size=2000)
    crypto.remember_data_keys((key.pk, key.master_key_id, key.wrapped_key) for key in keys)
    return keys


@contextmanager
def reading_person_keys(key_ids):
    """Unwrap many people's keys with one query for a read of their encrypted values (a page, an
    export chunk): inside the block those values decrypt under these keys, a destroyed key reads as
    destroyed (R4), and the unwrapped keys are dropped when the block ends. A value under a key not
    asked for is read as a single value is."""
    wanted = {key_id for key_id in key_ids if key_id is not None}
    rows = []
    if wanted:
        # One array parameter, not thousands of placeholders (the bulk export asks 5,000 at a time),
        # sent as its text form: the driver would otherwise inspect every element in Python. A plain
        # statement, not a queryset: a 50-row page pays for this query on every request, and the
        # ORM's compiling of it cost more than running it.
        as_array = "{" + ",".join(str(int(key_id)) for key_id in wanted) + "}"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, master_key_id, wrapped_key FROM {qualified_table(PersonKey)}"
                           " WHERE id = ANY(%s::bigint[])", [as_array])
            rows = cursor.fetchall()
    with crypto.key_ring(rows):
        yield


@transaction.atomic
def destroy_person_key(key_id: int) -> None:
    """R4: crypto-shred one person's data. Every stored copy of their encrypted values, live or in
    a backup, becomes unreadable. Idempotent."""
    PersonKey.objects.filter(pk=key_id, wrapped_key__isnull=False).update(
        wrapped_key=None, destroyed_at=timezone.now())
    crypto.forget_data_key(key_id)
    transaction.on_commit(lambda: crypto.forget_data_key(key_id))


def destroy_every_person_key() -> int:
    """E9: crypto-shred every person of the current enterprise at once (it is being cancelled).
    Returns how many keys were destroyed. Idempotent."""
    destroyed = PersonKey.objects.filter(wrapped_key__isnull=False).update(
        wrapped_key=None, destroyed_at=timezone.now())
    crypto.forget_schema_data_keys()
    transaction.on_commit(crypto.forget_schema_data_keys)
    return destroyed


def rewrap_person_keys(batch_size: int = 1000) -> int:
    """Re-wrap every live key under the current master key (after prepending a new master key).

    Returns how many keys were re-wrapped; once none remain under an old master key, that key can
    be removed from the environment.
    """
    current = crypto.current_master_key().key_id
    done = 0
    while True:
        with transaction.atomic():
            batch = list(PersonKey.objects.select_for_update(skip_locked=True)
                         .filter(wrapped_key__isnull=False).exclude(master_key_id=current)[:batch_size])
            if not batch:
                return done
            for key in batch:
                secret = crypto.unwrap_data_key(key.master_key_id, key.wrapped_key)
                key.master_key_id, key.wrapped_key = crypto.wrap_data_key(secret)
            PersonKey.objects.bulk_update(batch, ["master_key_id", "wrapped_key"])
            done += len(batch)


def issue_person_key_ciphers(count: int) -> list[tuple[int, "crypto.AESGCM"]]:
    """`count` new data keys for bulk creation of people, written with one COPY.

    Returns (key id, cipher) pairs, so the caller encrypts each person's values without a memo
    lookup (`crypto.encrypt_with`). The keys are stored wrapped exactly as `issue_person_keys` stores
    them, and remembered in the memo for reads later in this process.
    """
    if count <= 0:
        return []
    master = crypto.current_master_key()
    secrets = [os.urandom(32) for _ in range(count)]
    ids = allocate_ids(PersonKey, count)
    template = RowTemplate(PersonKey, fixed={"master_key_id": master.key_id, "created_at": timezone.now(),
                                             "destroyed_at": None})
    at_id, at_wrapped = template.position("id"), template.position("wrapped_key")
    with template.copy() as copy:
        for key_id, secret in zip(ids, secrets):
            row = template.row()
            row[at_id], row[at_wrapped] = key_id, crypto.wrap_data_key(secret, master)[1]
            copy.write_row(row)
    pairs = [(key_id, crypto.AESGCM(secret)) for key_id, secret in zip(ids, secrets)]
    crypto.remember_new_data_keys(pairs)
    return pairs
