"""Monthly partitions of the two logs, in the current enterprise schema.

A partition covers one UTC month, [first day 00:00 UTC, first day of next month), and is named
`<table>_pYYYY_MM`; the names are the source of truth about which months exist (every partition is
created here or by the migration). Rows for a month without a partition land in
`<table>_default`; creating that month later moves them out (and for the audit log, that move is
one of the two things allowed to delete audit rows, see the migration's trigger).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

AUDIT_LOG = "audit_entry"
ACCESS_LOG = "audit_access_log"
PARTITIONED_TABLES = (AUDIT_LOG, ACCESS_LOG)
_GUARDED = {AUDIT_LOG}
GUARD_TRIGGERS = ("audit_entry_append_only", "audit_entry_no_truncate")


def month_of(moment: datetime) -> date:
    utc = moment.astimezone(dt_timezone.utc)
    return date(utc.year, utc.month, 1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + (month.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=dt_timezone.utc)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    month: date

    @property
    def ends_at(self) -> datetime:
        return month_start(add_months(self.month, 1))


def _schema() -> str:
    schema = connection.schema_name
    if schema == get_public_schema_name():
        raise RuntimeError("the logs are per enterprise; select an enterprise schema first")
    return schema


def _qualified(name: str) -> str:
    return f'"{_schema()}"."{name}"'


def partitions_of(table: str) -> list[Partition]:
    """The monthly partitions of `table` in this schema, oldest first (the default one excluded)."""
    pattern = re.compile(rf"^{re.escape(table)}_p(\d{{4}})_(\d{{2}})$")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits i"
            " JOIN pg_class child ON child.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)",
            [_qualified(table)],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = pattern.match(name)
        if match:
            found.append(Partition(table, name, date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda partition: partition.month)


def ensure_month(table: str, month: date) -> bool:
    """Create `table`'s partition for `month` unless it exists; return whether it was created.

    The new table is attached (which locks the parent only in SHARE UPDATE EXCLUSIVE mode, so
    writers carry on); rows that had already landed in the default partition for that month are
    moved into it first, in the same transaction.
    """
    name = partition_name(table, month)
    lower, upper = month_start(month), month_start(add_months(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [_qualified(name)])
        if cursor.fetchone()[0] is not None:
            return False
        default = _qualified(f"{table}_default")
        # Nothing may land in the default partition for this month between the move and the attach.
        cursor.execute(f"LOCK TABLE {default} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"CREATE TABLE {_qualified(name)} (LIKE {_qualified(table)} INCLUDING DEFAULTS)")
        # The constraint lets ATTACH skip scanning the new table; it is redundant afterwards.
        cursor.execute(
            f"ALTER TABLE {_qualified(name)} ADD CONSTRAINT {name}_bounds"
            f" CHECK (occurred_at >= %s AND occurred_at < %s)", [lower, upper],
        )
        cursor.execute(f"SELECT 1 FROM {default} WHERE occurred_at >= %s AND occurred_at < %s LIMIT 1", [lower, upper])
        if cursor.fetchone():
            cursor.execute("SET LOCAL audit.retention = 'on'")
            cursor.execute(
                f"WITH moved AS (DELETE FROM {default} WHERE occurred_at >= %s AND occurred_at < %s RETURNING *)"
                f" INSERT INTO {_qualified(name)} SELECT * FROM moved", [lower, upper],
            )
            cursor.execute("SET LOCAL audit.retention = 'off'")
        cursor.execute(
            f"ALTER TABLE {_qualified(table)} ATTACH PARTITION {_qualified(name)}"
            f" FOR VALUES FROM (%s) TO (%s)", [lower, upper],
        )
        cursor.execute(f"ALTER TABLE {_qualified(name)} DROP CONSTRAINT {name}_bounds")
        if table in _GUARDED:
            _guard(cursor, name)
    return True


def _guard(cursor, name: str) -> None:
    # On each partition, not on the parent: see the migration (schema clones would fail).
    guard = _qualified("audit_entry_guard")
    cursor.execute(f"CREATE TRIGGER {GUARD_TRIGGERS[0]} BEFORE UPDATE OR DELETE ON {_qualified(name)}"
                   f" FOR EACH ROW EXECUTE FUNCTION {guard}()")
    cursor.execute(f"CREATE TRIGGER {GUARD_TRIGGERS[1]} BEFORE TRUNCATE ON {_qualified(name)}"
                   f" FOR EACH STATEMENT EXECUTE FUNCTION {guard}()")


def unguarded_audit_partitions() -> list[str]:
    """Partitions of the audit log that lack the append-only triggers (created by hand?)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits i JOIN pg_class child ON child.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s) AND (SELECT count(DISTINCT t.tgname) FROM pg_trigger t"
            "  WHERE t.tgrelid = child.oid AND t.tgname = ANY(%s)) < %s ORDER BY 1",
            [_qualified(AUDIT_LOG), list(GUARD_TRIGGERS), len(GUARD_TRIGGERS)],
        )
        return [row[0] for row in cursor.fetchall()]


def drop(partition: Partition) -> None:
    """Remove a whole month at once (retention): no row-by-row delete, no table bloat."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {_qualified(partition.name)}")


def max_id(partition: Partition) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {_qualified(partition.name)}")
        return cursor.fetchone()[0]
