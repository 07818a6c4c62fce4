"""Reads of the audit and access logs of the current enterprise schema."""
from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from audit import chain, checkpoints
from audit.models import AuditEntry
from audit.retention import months_before, retention_months
from audit_anchors.models import ChainCheckpoint
from core.schemas import enterprise_schema_names
from privacy import registry


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


# --- the console's audit-log page ----------------------------------------------------------------

def entries_about(person_id: int) -> Q:
    """Entries whose object is one of the person's rows: their account and every table the data map
    declares to be about a person (privacy.registry's `subject`). Rows deleted since are not found
    (an entry names a row by its id only)."""
    about = Q(object_type="accounts.user", object_id=str(person_id))
    for declaration in registry.declarations():
        model, subject = declaration.model, declaration.subject
        if model is None or not subject or subject == "self" or model._meta.app_label == "audit":
            continue
        rows = (model._base_manager.filter(**{subject.replace(".", "__"): person_id})
                .annotate(entry_object_id=Cast("pk", CharField())).values("entry_object_id"))
        about |= Q(object_type=model._meta.label_lower, object_id__in=rows)
    return about


def audit_entries(*, person_id: int | None = None, actor: str = "", action: str = "",
                  since: datetime | None = None, before: datetime | None = None) -> QuerySet[AuditEntry]:
    """The current schema's audit entries, newest first, narrowed by what is given: about a person,
    by an actor reference ("user:12", "system:…"), one action, occurred in [since, before)."""
    entries = AuditEntry.objects.all()
    if person_id is not None:
        entries = entries.filter(entries_about(person_id))
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if before is not None:
        entries = entries.filter(occurred_at__lt=before)
    return entries.order_by("-id")


def latest_checkpoint() -> tuple[ChainCheckpoint | None, bool]:
    """The current schema's most recent checkpoint (audit.checkpoints) and whether the platform
    key's signature on it holds."""
    checkpoint = ChainCheckpoint.objects.filter(schema_name=connection.schema_name).order_by(
        "-head_id", "-recorded_at").first()
    return checkpoint, checkpoint is not None and checkpoints.is_signed(checkpoint)
