"""Writes to the logs' structure and lifetime: partitions ahead of time, retention (S2), and the
signed checkpoints of the audit chain's head (X4)."""
from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from access.actors import SystemActor, require_actor
from audit import checkpoints, partitions, recording
from audit.partitions import ACCESS_LOG, AUDIT_LOG
from audit.retention import RowRule, months_before, retention_months, row_rules
from audit_anchors.models import ChainCheckpoint
from privacy.registry import Erasure

logger = logging.getLogger(__name__)

MONTHS_AHEAD = 2
# Dropping a partition needs a brief exclusive lock on its log; never queue behind a long
# transaction for longer than this (the task is retried later instead).
_LOCK_TIMEOUT = "5s"

# The logs' upkeep is work nobody in the enterprise started: each kind names itself.
LOG_PARTITIONING = SystemActor("log partitioning")
RETENTION = SystemActor("retention")
CHAIN_CHECKPOINTING = SystemActor("audit chain checkpointing")


def ensure_log_partitions(*, actor, now: datetime | None = None, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create this enterprise's log partitions for this month and the next `months_ahead`.

    Idempotent; rows that had landed in a default partition for those months are moved into the
    new partition. Returns the names of the partitions it created. System work
    (`LOG_PARTITIONING`); refuses a missing actor.
    """
    require_actor(actor)
    this_month = partitions.month_of(now or timezone.now())
    created = []
    for table in partitions.PARTITIONED_TABLES:
        for offset in range(months_ahead + 1):
            month = partitions.add_months(this_month, offset)
            if partitions.ensure_month(table, month):
                created.append(partitions.partition_name(table, month))
    return created


def apply_retention(*, actor, now: datetime | None = None, batch_size: int = 5000) -> dict:
    """S2: remove from the current enterprise every record whose retention period has passed.

    - access log and audit log: whole month partitions older than the period are dropped; the
      rows older than the period in the remaining month (and the default partition) are deleted;
    - other rows (retention.row_rules()): deleted or anonymised in batches of `batch_size`.

    System work (`RETENTION`): refuses a missing actor, and (ImproperlyConfigured) to run with a
    period below its legal minimum. Nothing younger
    than its period is touched. Idempotent: a second run finds nothing more to do. Returns what it
    removed, by kind.
    """
    require_actor(actor)
    months = retention_months()
    now = now or timezone.now()
    summary = {"partitions_created": ensure_log_partitions(actor=actor, now=now)}
    summary["access_log"] = _expire_access_log(cutoff=months_before(now, months["access_log"]), batch_size=batch_size)
    summary["audit_log"] = _expire_audit_log(cutoff=months_before(now, months["audit_log"]))
    summary["rows"] = {
        rule.label: _expire_rows(rule, cutoff=months_before(now, months[rule.setting]), batch_size=batch_size)
        for rule in row_rules()
    }
    return summary


def _table(name: str) -> str:
    return f'"{connection.schema_name}"."{name}"'


def _expire_access_log(*, cutoff: datetime, batch_size: int) -> dict:
    dropped = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'")
        for partition in partitions.partitions_of(ACCESS_LOG):
            # Only a month that ended before the cutoff: it cannot hold a row younger than the period.
            if partition.ends_at <= cutoff:
                partitions.drop(partition)
                dropped.append(partition.name)
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {_table(ACCESS_LOG)} WHERE (id, occurred_at) IN ("
                f" SELECT id, occurred_at FROM {_table(ACCESS_LOG)} WHERE occurred_at < %s LIMIT %s)",
                [cutoff, batch_size],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < batch_size:
                break
    return {"partitions_dropped": dropped, "rows_deleted": deleted}


def _expire_audit_log(*, cutoff: datetime) -> dict:
    """Remove the chain's expired prefix and move its anchor past it, in one transaction.

    Entries are removed only as a prefix of the chain (every id below the first entry that is
    still within its period), so the survivors stay one unbroken chain; the anchor records the
    hash of the last removed entry, which the first survivor must continue from.
    """
    dropped = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'")
        # Appends wait while the chain's start moves.
        cursor.execute(f"SELECT head_id, head_hash, anchor_id FROM {_table('audit_chain')} WHERE id = 1 FOR UPDATE")
        head_id, _head_hash, anchor_id = cursor.fetchone()
        # In id order through each partition's primary-key index: stops at the first kept entry
        # instead of reading every entry younger than the cutoff.
        cursor.execute(f"SELECT id FROM {_table(AUDIT_LOG)} WHERE occurred_at >= %s ORDER BY id LIMIT 1", [cutoff])
        row = cursor.fetchone()
        first_kept = row[0] if row else head_id + 1
        if first_kept <= anchor_id:
            return {"partitions_dropped": [], "rows_deleted": 0}
        cursor.execute(f"SELECT hash FROM {_table(AUDIT_LOG)} WHERE id = %s", [first_kept - 1])
        row = cursor.fetchone()
        if row is None:
            # The chain is already broken there; moving the anchor over the gap would hide it.
            logger.error("audit retention skipped in %s: entry %s is missing; run audit_verify",
                         connection.schema_name, first_kept - 1)
            return {"partitions_dropped": [], "rows_deleted": 0, "skipped": "chain broken"}
        last_removed_hash = row[0]
        for partition in partitions.partitions_of(AUDIT_LOG):
            if partition.ends_at > cutoff:
                continue
            newest = partitions.max_id(partition)
            if newest is None or newest < first_kept:
                partitions.drop(partition)
                dropped.append(partition.name)
        with partitions.retention_role(cursor):  # S2: the only role the append-only trigger lets delete
            cursor.execute(f"DELETE FROM {_table(AUDIT_LOG)} WHERE id < %s", [first_kept])
            deleted = cursor.rowcount
        cursor.execute(
            f"UPDATE {_table('audit_chain')} SET anchor_id = %s, anchor_prev_hash = %s, updated_at = now() WHERE id = 1",
            [first_kept, last_removed_hash],
        )
    return {"partitions_dropped": dropped, "rows_deleted": deleted}


def _expire_rows(rule: RowRule, *, cutoff: datetime, batch_size: int) -> int:
    model = rule.model
    expired = model._default_manager.filter(**{f"{rule.timestamp_field}__lt": cutoff})
    if rule.erasure == Erasure.ANONYMISE:
        expired = expired.exclude(**rule.anonymised_lookup)
    is_audited = model in recording.audited_models()
    done = 0
    while True:
        ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        with transaction.atomic():
            batch = model._default_manager.filter(pk__in=ids)
            if rule.erasure == Erasure.ANONYMISE:
                changed = rule.anonymise(batch)
                if is_audited:  # QuerySet.update sends no signals
                    recording.record_bulk(model=model, action="anonymise", object_ids=ids,
                                          changed_fields=rule.anonymised_fields)
            else:
                batch.delete()  # audited models are recorded by their post_delete receivers
                changed = len(ids)
        done += changed
        if changed == 0:
            return done  # a rule whose anonymise() changes nothing must not loop forever


def record_chain_checkpoint(*, actor, now: datetime | None = None):
    """X4: record the current enterprise's audit-chain head in the public schema, signed with the
    platform key, and write it to the log (schema, entry number and hash only: no personal data).

    Idempotent: while the head has not moved since the last checkpoint, records nothing and
    returns None. System work (`CHAIN_CHECKPOINTING`): refuses a missing actor, and (RuntimeError)
    the public schema, which has no audit chain.
    """
    require_actor(actor)
    schema = connection.schema_name
    if schema == get_public_schema_name():
        raise RuntimeError("the audit chains are per enterprise; select an enterprise schema first")
    head = checkpoints.current_head()
    latest = ChainCheckpoint.objects.filter(schema_name=schema).order_by("-head_id", "-recorded_at").first()
    if latest is not None and (latest.head_id, latest.head_hash) == (head.head_id, head.head_hash):
        return None
    recorded_at = now or timezone.now()
    checkpoint = ChainCheckpoint.objects.create(
        schema_name=schema, head_id=head.head_id, head_hash=head.head_hash, head_occurred_at=head.head_occurred_at,
        recorded_at=recorded_at,
        signature=checkpoints.signature(schema_name=schema, head_id=head.head_id, head_hash=head.head_hash,
                                        head_occurred_at=head.head_occurred_at, recorded_at=recorded_at))
    logger.info("audit chain checkpoint: schema=%s head=#%s hash=%s signature=%s", schema, head.head_id,
                head.head_hash, checkpoint.signature)
    return checkpoint
