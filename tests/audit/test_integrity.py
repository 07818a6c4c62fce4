"""X4/S2: the audit log cannot be quietly rewritten.

- only the retention role may delete entries (a session setting no longer opens the guard);
- audit_verify reports guard triggers that are missing or disabled, and a replaced guard function;
- an entry forged after the head is reported as such;
- signed checkpoints in the public schema catch a chain rewritten together with its head, a head
  moved back, and a forged checkpoint; the beat task records them in the real worker.
"""
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from audit import chain
from audit import services as audit_services
from audit.models import AuditChain, AuditEntry
from audit_anchors.models import ChainCheckpoint
from tenants.tasks import run_for_ready_enterprises
from tests.audit.test_chain import _as_tamperer, _record_some
from tests.committing import committed
from tests.conftest import ROOT


def _verify(capsys, schema: str) -> tuple[bool, str]:
    try:
        call_command("audit_verify", schema=schema)
    except CommandError as error:
        return False, capsys.readouterr().out + str(error)
    return True, capsys.readouterr().out


def _rewrite_from(entry_id: int, **changes) -> None:
    """Change one entry and recompute every hash after it and the head: a consistent forged chain."""
    rows = list(AuditEntry.objects.filter(id__gte=entry_id).order_by("id").values(*chain.CONTENT_FIELDS))
    previous = AuditEntry.objects.get(id=entry_id).prev_hash
    for row in rows:
        if row["id"] == entry_id:
            row.update(changes)
        row["prev_hash"] = previous
        previous = chain.entry_hash(row)
        _as_tamperer("UPDATE audit_entry SET action = %s, prev_hash = %s, hash = %s WHERE id = %s",
                     [row["action"], row["prev_hash"], previous, row["id"]])
    _as_tamperer("UPDATE audit_chain SET head_hash = %s WHERE id = 1", [previous])


@pytest.mark.promise("S2")
@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
def test_an_ordinary_session_setting_the_old_retention_switch_is_refused(enterprises):
    with schema_context(enterprises.a.schema_name):
        [entry_id] = _record_some(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL audit.retention = 'on'")
            cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entry_id])
        assert AuditEntry.objects.filter(id=entry_id).exists()


@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
@pytest.mark.parametrize("sabotage, reported", [
    ("ALTER TABLE audit_entry_default DISABLE TRIGGER audit_entry_append_only",
     "GUARD audit_entry_default: audit_entry_append_only disabled"),
    ("ALTER TABLE audit_entry_default ENABLE REPLICA TRIGGER audit_entry_append_only",
     "GUARD audit_entry_default: audit_entry_append_only disabled"),
    ("ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_keep", "GUARD audit_chain: audit_chain_keep disabled"),
    ("DROP TRIGGER audit_entry_no_truncate ON audit_entry", "GUARD audit_entry: audit_entry_no_truncate missing"),
    ("CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS "
     "$$ BEGIN RETURN OLD; END $$", "GUARD audit_entry_guard(): function body changed"),
])
def test_audit_verify_reports_a_disabled_or_missing_guard(enterprises, capsys, sabotage, reported):
    schema = enterprises.a.schema_name
    intact, output = _verify(capsys, schema)
    assert intact, output
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute(sabotage)
    intact, output = _verify(capsys, schema)
    assert not intact
    assert f"{schema}: {reported}" in output


@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
def test_audit_verify_reports_an_entry_forged_after_the_head(enterprises, capsys):
    schema = enterprises.b.schema_name
    with schema_context(schema):
        _record_some(2)
        head = AuditChain.objects.get()
        forged = {"id": head.head_id + 1, "occurred_at": timezone.now(), "actor": "user:1", "action": "login",
                  "object_type": "", "object_id": "", "changed_fields": [], "ip": "", "user_agent": "",
                  "language": "", "prev_hash": head.head_hash}
        with connection.cursor() as cursor:  # INSERT passes the guard: appending is what the log allows
            cursor.execute(
                f"INSERT INTO audit_entry ({', '.join(chain.CONTENT_FIELDS)}, hash) VALUES ({', '.join(['%s'] * 12)})",
                [forged[name] if name != "changed_fields" else "[]" for name in chain.CONTENT_FIELDS]
                + [chain.entry_hash(forged)])
    intact, output = _verify(capsys, schema)
    assert not intact
    assert (f"{schema}: BROKEN at entry #{head.head_id + 1}: entry lies after the chain head "
            "(forged, or the head was moved back)") in output


@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
def test_a_chain_rewritten_together_with_its_head_is_caught_by_the_signed_checkpoint(enterprises, capsys):
    schema = enterprises.b.schema_name
    with schema_context(schema):
        first, rewritten, last = _record_some(3)
        checkpoint = audit_services.record_chain_checkpoint(actor=audit_services.CHAIN_CHECKPOINTING)
        assert (checkpoint.schema_name, checkpoint.head_id) == (schema, last)
        # The head has not moved.
        assert audit_services.record_chain_checkpoint(actor=audit_services.CHAIN_CHECKPOINTING) is None
        _record_some(1)
        _rewrite_from(rewritten, action="view_unmasked")
    intact, output = _verify(capsys, schema)
    assert not intact
    assert f"{schema}: intact" in output  # the chain alone cannot tell...
    assert (f"{schema}: CHECKPOINT entry #{last} does not match the checkpoint of "
            f"{chain.canonical_time(checkpoint.recorded_at)} (the chain was rewritten up to there)") in output


@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
def test_a_head_moved_back_over_removed_entries_is_caught_by_the_signed_checkpoint(enterprises, capsys):
    schema = enterprises.b.schema_name
    with schema_context(schema):
        first, second, third = _record_some(3)
        audit_services.record_chain_checkpoint(actor=audit_services.CHAIN_CHECKPOINTING)
        kept_hash = AuditEntry.objects.get(id=first).hash
        _as_tamperer("DELETE FROM audit_entry WHERE id >= %s", [second])
        _as_tamperer("UPDATE audit_chain SET head_id = %s, head_hash = %s WHERE id = 1", [first, kept_hash])
    intact, output = _verify(capsys, schema)
    assert not intact
    assert f"{schema}: CHECKPOINT chain head #{first} is behind the checkpoint #{third}" in output


@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
def test_a_forged_checkpoint_is_reported(enterprises, capsys):
    schema = enterprises.a.schema_name
    with schema_context(schema):
        _record_some(1)
        checkpoint = audit_services.record_chain_checkpoint(actor=audit_services.CHAIN_CHECKPOINTING)
    intact, output = _verify(capsys, schema)
    assert intact, output
    ChainCheckpoint.objects.filter(pk=checkpoint.pk).update(head_hash="f" * 64)
    intact, output = _verify(capsys, schema)
    assert not intact
    assert f"{schema}: CHECKPOINT checkpoint #{checkpoint.head_id} of" in output
    assert "signature does not verify (checkpoint forged or edited)" in output


@pytest.mark.promise("X2")
@pytest.mark.promise("X4")
@pytest.mark.usefixtures("celery_worker")
def test_the_beat_task_signs_each_ready_enterprises_head_in_the_worker(session_enterprises):
    schemas = [session_enterprises.a.schema_name, session_enterprises.b.schema_name]
    cancelling = session_enterprises.cancelling.schema_name

    def checkpoints():
        return {row.schema_name: row for row in ChainCheckpoint.objects.filter(
            schema_name__in=[*schemas, cancelling]).order_by("recorded_at")}

    def heads():
        found = {}
        for schema in schemas:
            with schema_context(schema):
                found[schema] = (AuditChain.objects.get().head_id, AuditChain.objects.get().head_hash)
        connection.set_schema_to_public()
        return found

    def clean_up():
        ChainCheckpoint.objects.filter(schema_name__in=[*schemas, cancelling]).delete()

    committed("public", clean_up)
    try:
        # One enterprise a chunk: the sending is split over send_to_enterprises tasks, as it is for
        # more enterprises than tenants.tasks.FAN_OUT_CHUNK.
        assert committed("public", lambda: run_for_ready_enterprises("audit.tasks.record_chain_checkpoint",
                                                                      chunk=1)) >= 2
        deadline = time.monotonic() + 60
        while set(committed("public", checkpoints)) != set(schemas) and time.monotonic() < deadline:
            time.sleep(0.5)
        recorded, committed_heads = committed("public", checkpoints), committed("public", heads)
        assert set(recorded) == set(schemas)  # not the cancelling enterprise
        worker_log = (ROOT / ".data" / "test-worker.log").read_text()
        for schema in schemas:
            assert (recorded[schema].head_id, recorded[schema].head_hash) == committed_heads[schema]
            assert f"audit chain checkpoint: schema={schema} head=#{recorded[schema].head_id}" in worker_log
    finally:
        committed("public", clean_up)
