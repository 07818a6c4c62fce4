"""Seconds to remove 1,000,000 expired access-log rows, two ways, in one run (S2).

- DELETE:    one `DELETE … WHERE occurred_at < cutoff` statement (autocommit), the best case for
             removing rows one by one (the VACUUM it leaves to do is printed separately);
- partition: the real retention job, audit.services.apply_retention, which drops the expired
             month's partition (and does everything else it does each night: ensure partitions,
             audit-log prefix, login records). Most of it is the commit, where PostgreSQL
             unlinks the partition's files.

Both remove the same 1,000,000 rows of a month that ended more than 6 months ago, written into
that month's partition of a bench enterprise. Target: partition path ≤ 1 s.
Run: `make bench ARGS=retention`, or `.venv/bin/python bench/retention.py`.
"""
import time

import _setup
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from audit import partitions
from audit import retention
from audit import services as audit_services
from audit.partitions import ACCESS_LOG

CODE = "bench-retention"
ROWS = 1_000_000
EXPIRED_MONTHS_AGO = 8


def _fill(month_start) -> None:
    """ROWS access-log rows spread over the month starting at `month_start` (not timed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_access_log (occurred_at, method, path, status, user_id, ip, user_agent, language,"
            " duration_ms)"
            " SELECT %s + (n * interval '2 seconds'), 'GET', '/api/v1/me', 200, 1 + n %% 500,"
            " '203.0.113.' || (n %% 250), 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) bench', 'zh-Hans', n %% 40"
            " FROM generate_series(0, %s - 1) AS n",
            [month_start, ROWS],
        )
        cursor.execute("ANALYZE audit_access_log")
        cursor.execute("SELECT count(*) FROM audit_access_log WHERE occurred_at < %s",
                       [partitions.month_start(partitions.add_months(partitions.month_of(month_start), 1))])
        assert cursor.fetchone()[0] == ROWS


def _expired_rows(cutoff) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_access_log WHERE occurred_at < %s", [cutoff])
        return cursor.fetchone()[0]


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Retention bench", "13755550002")
    now = timezone.now()
    cutoff = retention.months_before(now, 6)  # the default (and minimum) access-log period
    expired_month = partitions.month_of(retention.months_before(now, EXPIRED_MONTHS_AGO))
    start = partitions.month_start(expired_month)
    try:
        with schema_context(provisioned.enterprise.schema_name):
            partitions.ensure_month(ACCESS_LOG, expired_month)

            _fill(start)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_access_log WHERE occurred_at < %s", [cutoff])
                deleted = cursor.rowcount
            delete_seconds = time.perf_counter() - started
            assert deleted == ROWS and _expired_rows(cutoff) == 0
            # The DELETE leaves 1,000,000 dead rows behind; VACUUM is the rest of its bill.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {partitions.partition_name(ACCESS_LOG, expired_month)}")
            vacuum_seconds = time.perf_counter() - started

            _fill(start)
            started = time.perf_counter()
            summary = audit_services.apply_retention(actor=audit_services.RETENTION, now=now)
            drop_seconds = time.perf_counter() - started
            assert partitions.partition_name(ACCESS_LOG, expired_month) in summary["access_log"]["partitions_dropped"]
            assert _expired_rows(cutoff) == 0
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    print(f"rows removed each way: {ROWS:,} access-log rows of {expired_month:%Y-%m}")
    print(f"retention_delete={delete_seconds:.3f} s")
    print(f"vacuum after the DELETE (reclaiming its dead rows)={vacuum_seconds:.3f} s")
    print(f"speed-up over the DELETE alone: {delete_seconds / drop_seconds:.0f}x")
    print(f"retention_partition_drop={drop_seconds:.3f} s")


if __name__ == "__main__":
    main()
