"""X4: signed checkpoints anchor each enterprise's audit chain outside its own schema.

The chain alone cannot see a rewrite that recomputes every hash and moves the head with it, nor a
head moved back over removed entries. Every ten minutes (beat entry "audit-chain-checkpoints")
each enterprise's head (id, hash, time of the head entry) is recorded in the public schema
(audit_anchors.ChainCheckpoint), signed with the platform key `settings.AUDIT_CHECKPOINT_KEY`
(HMAC-SHA256), and written to the log. `audit_verify` then checks, per schema:

- every checkpoint's signature (a forged or edited checkpoint is reported);
- the chain still holds each checkpointed (id, hash) — a rewrite up to a checkpoint is caught;
- the head is not behind the last checkpoint;
- a checkpoint behind the retention anchor is older than the retention period (retention removes
  only expired entries), and one just before it names the hash the anchor continues from.

What stays open: a rewrite of the entries after the last checkpoint (at most ten minutes' worth),
and someone holding the platform key as well as database-owner rights; the log lines are the copy
of the checkpoints that lives outside the database.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from audit.chain import canonical_time
from audit_anchors.models import ChainCheckpoint


@dataclass(frozen=True)
class Head:
    head_id: int
    head_hash: str
    head_occurred_at: datetime | None
    anchor_id: int
    anchor_prev_hash: str


def current_head() -> Head:
    """The current schema's chain head and anchor, read in one statement (one snapshot)."""
    schema = connection.schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT c.head_id, c.head_hash, (SELECT max(e.occurred_at) FROM "{schema}"."audit_entry" e'
            f' WHERE e.id = c.head_id), c.anchor_id, c.anchor_prev_hash FROM "{schema}"."audit_chain" c WHERE c.id = 1')
        return Head(*cursor.fetchone())


def signature(*, schema_name: str, head_id: int, head_hash: str, head_occurred_at: datetime | None,
              recorded_at: datetime) -> str:
    """HMAC-SHA256 (hex) under the platform key of everything a checkpoint states."""
    message = "\n".join([schema_name, str(head_id), head_hash,
                         canonical_time(head_occurred_at) if head_occurred_at else "-", canonical_time(recorded_at)])
    return hmac.new(settings.AUDIT_CHECKPOINT_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def is_signed(checkpoint) -> bool:
    """Whether the platform key's signature on `checkpoint` holds."""
    expected = signature(schema_name=checkpoint.schema_name, head_id=checkpoint.head_id,
                         head_hash=checkpoint.head_hash, head_occurred_at=checkpoint.head_occurred_at,
                         recorded_at=checkpoint.recorded_at)
    return hmac.compare_digest(expected, checkpoint.signature)


def problems(*, removable_before: datetime) -> list[str]:
    """What the current schema's checkpoints say is wrong with its chain (empty: nothing).

    `removable_before`: retention may have removed entries written before this moment only.
    """
    schema = connection.schema_name
    head = current_head()
    found = []
    signed = []
    for checkpoint in ChainCheckpoint.objects.filter(schema_name=schema).order_by("head_id", "recorded_at"):
        if is_signed(checkpoint):
            signed.append(checkpoint)
        else:
            found.append(f"checkpoint #{checkpoint.head_id} of {canonical_time(checkpoint.recorded_at)}: "
                         "signature does not verify (checkpoint forged or edited)")
    if not signed:
        return found
    latest = signed[-1]
    if head.head_id < latest.head_id:
        found.append(f"chain head #{head.head_id} is behind the checkpoint #{latest.head_id} of "
                     f"{canonical_time(latest.recorded_at)} (entries removed and the head moved back)")
    kept = {checkpoint.head_id: checkpoint for checkpoint in signed if head.anchor_id <= checkpoint.head_id <= head.head_id}
    stored = {}
    if kept:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id, hash FROM "{schema}"."audit_entry" WHERE id = ANY(%s)', [list(kept)])
            for entry_id, entry_hash in cursor.fetchall():
                stored.setdefault(entry_id, set()).add(entry_hash)
    for entry_id, checkpoint in sorted(kept.items()):
        if stored.get(entry_id) != {checkpoint.head_hash}:
            found.append(f"entry #{entry_id} does not match the checkpoint of {canonical_time(checkpoint.recorded_at)} "
                         "(the chain was rewritten up to there)")
    for checkpoint in signed:
        if checkpoint.head_id >= head.anchor_id or checkpoint.head_id == 0:
            continue
        if checkpoint.head_id == head.anchor_id - 1 and checkpoint.head_hash != head.anchor_prev_hash:
            found.append(f"the retention anchor does not continue from checkpoint #{checkpoint.head_id}")
        if checkpoint.head_occurred_at is not None and checkpoint.head_occurred_at >= removable_before:
            found.append(f"entry #{checkpoint.head_id} of the checkpoint of {canonical_time(checkpoint.recorded_at)} "
                         "was removed before its retention period ended")
    return found
