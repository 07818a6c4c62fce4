"""Erasure of a person's consent records (R5/E9): the one deletion the append-only tables allow."""
from __future__ import annotations

from django.db import connection, transaction

from consent import state_cache


_TABLES = ("consent_disclosure", "consent_legalbasisrecord", "consent_consentevent", "consent_applicationaudience")


@transaction.atomic
def erase_consent_records_of(*, person_id: int) -> int:
    """R5/E9: delete every consent record of a person whose information is being erased.

    The only deletion the append-only tables allow (the trigger lets DELETE through while
    `consent.erasure` is on in this transaction). Never used for withdrawal (C6 keeps the record).
    Returns the number of rows deleted.
    """
    deleted = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL consent.erasure = 'on'")
        # Disclosures name events and legal-basis records, so they go first.
        for table in _TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE person_id = %s", [person_id])  # noqa: S608 (fixed names)
            deleted += cursor.rowcount
        cursor.execute("SET LOCAL consent.erasure = 'off'")
    state_cache.forget_person(person_id)
    return deleted


@transaction.atomic
def erase_every_consent_record() -> int:
    """E9: delete every person's consent records in the current enterprise (it is being cancelled
    and every person in it erased). The same single exception to the append-only rule as above;
    the enterprise's cached consent state goes with its cache keys. Returns the rows deleted."""
    deleted = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL consent.erasure = 'on'")
        for table in _TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            deleted += cursor.rowcount
        cursor.execute("SET LOCAL consent.erasure = 'off'")
    return deleted
