"""Monthly partitions of the two logs, in the current enterprise schema.

A partition covers one UTC month, [first day 00:00 UTC, first day of next month), and is named
`<table>_pYYYY_MM`; the names are the source of truth about which months exist (every partition is
created here or by the migration). Rows for a month without a partition land in
`<table>_default`; creating that month later moves them out (and for the audit log, that move is
one of the two things allowed to delete audit rows: both assume the `audit_retention` role, the
only role the append-only trigger lets delete; see migration 0002).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

AUDIT_LOG = "audit_entry"
ACCESS_LOG = "audit_access_log"
PARTITIONED_TABLES = (AUDIT_LOG, ACCESS_LOG)
_GUARDED = {AUDIT_LOG}
GUARD_TRIGGERS = ("audit_entry_append_only", "audit_entry_no_truncate")
# The triggers of the tables that are not partitions, by table (audit_verify reports them missing
# or disabled as well).
TABLE_TRIGGERS = {AUDIT_LOG: ("audit_entry_no_truncate",),
                  "audit_chain": ("audit_chain_keep", "audit_chain_no_truncate")}
# S2: the only role whose DELETEs the append-only trigger lets through (migration 0002).
RETENTION_ROLE = "audit_retention"
# The guard function's body as migration 0002 writes it (whitespace aside): a body replaced by one
# that lets everything through, triggers still enabled, is reported by audit_verify.
GUARD_FUNCTION_BODY = """
BEGIN
    -- S2: only the retention role deletes (see audit.partitions.retention_role).
    IF TG_OP = 'DELETE' AND current_user = 'audit_retention' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
"""


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
            cursor.execute(f"INSERT INTO {_qualified(name)} SELECT * FROM {default}"
                           f" WHERE occurred_at >= %s AND occurred_at < %s", [lower, upper])
            # Through the parent, whose rights the retention role has; only the default
            # partition holds this month until the new one is attached.
            move_out = f"DELETE FROM {_qualified(table)} WHERE occurred_at >= %s AND occurred_at < %s"
            if table in _GUARDED:
                with retention_role(cursor):
                    cursor.execute(move_out, [lower, upper])
            else:
                cursor.execute(move_out, [lower, upper])
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


@contextmanager
def retention_role(cursor):
    """S2: run the statements inside as the `audit_retention` role, the only one whose DELETEs the
    append-only trigger lets through; back to the connection's own role afterwards.

    Needs a transaction (the role is set LOCAL). Grants the role what it needs in this schema
    first (idempotent; schemas cloned from the template do not inherit grants).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("the retention role is taken inside a transaction only")
    schema = _schema()
    cursor.execute("SELECT has_schema_privilege(%s, %s, 'USAGE') AND has_table_privilege(%s, %s, 'SELECT, DELETE')",
                   [RETENTION_ROLE, schema, RETENTION_ROLE, _qualified(AUDIT_LOG)])
    if not cursor.fetchone()[0]:
        cursor.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {RETENTION_ROLE}')
        cursor.execute(f"GRANT SELECT, DELETE ON {_qualified(AUDIT_LOG)} TO {RETENTION_ROLE}")
    cursor.execute(f"SET LOCAL ROLE {RETENTION_ROLE}")
    try:
        yield
    finally:
        cursor.execute("RESET ROLE")


def trigger_problems() -> list[str]:
    """Guard triggers of this schema's audit tables that are missing or do not fire.

    Each problem reads "<table>: <trigger> missing" or "<table>: <trigger> disabled". A trigger
    fires in ordinary sessions only when enabled as origin ('O') or always ('A'); 'D' (disabled)
    and 'R' (replica only) let changes through.
    """
    expected = dict(TABLE_TRIGGERS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits i JOIN pg_class child ON child.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)", [_qualified(AUDIT_LOG)])
        for (partition,) in cursor.fetchall():
            expected[partition] = GUARD_TRIGGERS
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = %s::regnamespace AND c.relname = ANY(%s) AND NOT t.tgisinternal",
            [f'"{_schema()}"', list(expected)])
        found = {(table, trigger): state for table, trigger, state in cursor.fetchall()}
        cursor.execute("SELECT p.prosrc FROM pg_proc p WHERE p.pronamespace = %s::regnamespace"
                       " AND p.proname = 'audit_entry_guard'", [f'"{_schema()}"'])
        row = cursor.fetchone()
    problems = []
    if row is None:
        problems.append("audit_entry_guard(): function missing")
    elif " ".join(row[0].split()) != " ".join(GUARD_FUNCTION_BODY.split()):
        problems.append("audit_entry_guard(): function body changed")
    for table in sorted(expected):
        for trigger in expected[table]:
            state = found.get((table, trigger))
            if state is None:
                problems.append(f"{table}: {trigger} missing")
            elif state not in ("O", "A"):
                problems.append(f"{table}: {trigger} disabled")
    return problems


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
