"""Reads of the audit and access logs of the current enterprise schema."""
from __future__ import annotations

from django.db import connection
from django.utils import timezone

from audit import chain, checkpoints
from audit.retention import months_before, retention_months
from core.schemas import enterprise_schema_names


def verify_audit_chain() -> chain.Verification:
    """Check the current schema's audit chain from its anchor to its head."""
    return chain.verify()


def checkpoint_problems() -> list[str]:
    """What the signed checkpoints of the current schema's chain say is wrong (empty: nothing)."""
    return checkpoints.problems(removable_before=months_before(timezone.now(), retention_months()["audit_log"]))


def schemas_with_audit_log() -> list[str]:
    """Every enterprise schema that has an audit log, from the enterprises registered in public."""
    connection.set_schema_to_public()
    names = enterprise_schema_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                       " WHERE c.relname = 'audit_chain' AND n.nspname = ANY(%s)", [names])
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in names if name in present]
