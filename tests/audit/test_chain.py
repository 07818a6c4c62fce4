"""X4: the audit log is append-only in the database and tamper-evident through its hash chain."""
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from audit import chain, context, partitions, recording, selectors
from audit.models import AuditChain, AuditEntry
from tests.accounts.factories import UserFactory


def _record_some(count: int = 3) -> list[int]:
    return [recording.record_event(action="update", object_type="accounts.user", object_id=n,
                                   changed_fields=["display_name"]) for n in range(count)]


def _as_tamperer(sql: str, params=()) -> None:
    """A database superuser bypassing the triggers (replica mode skips them) for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def _verify(capsys, schema: str) -> tuple[bool, str]:
    try:
        call_command("audit_verify", schema=schema)
    except CommandError:
        return False, capsys.readouterr().out
    return True, capsys.readouterr().out


@pytest.mark.promise("X4")
@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET action = 'nothing' WHERE id = %s",
    "DELETE FROM audit_entry WHERE id = %s",
])
def test_the_database_refuses_to_change_or_delete_an_entry(enterprises, statement):
    with schema_context(enterprises.a.schema_name):
        [entry_id] = _record_some(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry_id])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(id=entry_id).update(object_id="0")
        assert AuditEntry.objects.get(id=entry_id).action == "update"


@pytest.mark.promise("X4")
def test_the_database_refuses_to_truncate_the_log_or_remove_its_head(enterprises):
    with schema_context(enterprises.a.schema_name):
        _record_some(1)
        this_month = partitions.month_of(timezone.now())
        partitions.ensure_month(partitions.AUDIT_LOG, this_month)
        month_partition = partitions.partition_name(partitions.AUDIT_LOG, this_month)
        for statement in ("TRUNCATE audit_entry", f"TRUNCATE {month_partition}", "TRUNCATE audit_entry_default",
                          "DELETE FROM audit_chain", "TRUNCATE audit_chain"):
            with pytest.raises(DatabaseError, match="refused"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        assert AuditEntry.objects.exists() and AuditChain.objects.exists()


@pytest.mark.promise("X4")
def test_audit_verify_passes_an_intact_chain_and_reports_an_edited_entry(enterprises, capsys):
    with schema_context(enterprises.b.schema_name):
        first, edited, last = _record_some(3)
    intact, output = _verify(capsys, enterprises.b.schema_name)
    assert intact, output
    assert f"{enterprises.b.schema_name}: intact" in output

    with schema_context(enterprises.b.schema_name):
        _as_tamperer("UPDATE audit_entry SET changed_fields = '[\"mobile\"]' WHERE id = %s", [edited])
    intact, output = _verify(capsys, enterprises.b.schema_name)

    assert not intact
    assert f"BROKEN at entry #{edited}: content does not match its hash (entry was altered)" in output


@pytest.mark.promise("X4")
def test_audit_verify_reports_an_entry_rewritten_with_a_fresh_hash(enterprises, capsys):
    """Recomputing the hash of an edited entry does not help: the next entry's link breaks."""
    with schema_context(enterprises.b.schema_name):
        _, edited, following = _record_some(3)
        row = AuditEntry.objects.values(*chain.CONTENT_FIELDS).get(id=edited)
        row["action"] = "view_unmasked"
        _as_tamperer("UPDATE audit_entry SET action = %s, hash = %s WHERE id = %s",
                     [row["action"], chain.entry_hash(row), edited])
    intact, output = _verify(capsys, enterprises.b.schema_name)
    assert not intact
    assert f"BROKEN at entry #{following}: previous-hash link does not match the entry before it" in output


@pytest.mark.promise("X4")
@pytest.mark.parametrize("which, reason", [
    ("middle", "entry is missing (ids must be consecutive)"),
    ("last", "entries up to the chain head"),
])
def test_audit_verify_reports_a_removed_entry(enterprises, capsys, which, reason):
    with schema_context(enterprises.b.schema_name):
        ids = _record_some(3)
        removed = ids[1] if which == "middle" else ids[2]
        _as_tamperer("DELETE FROM audit_entry WHERE id = %s", [removed])
    intact, output = _verify(capsys, enterprises.b.schema_name)
    assert not intact
    assert f"BROKEN at entry #{removed}: {reason}" in output


def test_audit_verify_walks_every_enterprise_by_default(enterprises, capsys):
    intact, output = _verify(capsys, None)
    assert intact, output
    for each in (enterprises.a, enterprises.b):
        assert f"{each.schema_name}: intact" in output


def test_audit_verify_refuses_an_unknown_schema(db):
    with pytest.raises(CommandError, match="no enterprise audit log"):
        call_command("audit_verify", schema="public")


def test_every_partition_carries_the_append_only_guard(enterprises):
    with schema_context(enterprises.a.schema_name):
        assert partitions.unguarded_audit_partitions() == []


def test_concurrent_writers_extend_one_chain_without_forking(session_enterprises, django_db_blocker):
    """Writers in separate connections and transactions, committing for real, in one schema."""
    schema = session_enterprises.b.schema_name
    writers, per_writer = 4, 15
    start = threading.Barrier(writers)
    failures = []

    def write():
        try:
            start.wait()
            for index in range(per_writer):
                with schema_context(schema), transaction.atomic():
                    recording.record_event(action="update", object_type="accounts.user", object_id=index,
                                           changed_fields=["position"])
        except Exception as error:  # reported below; a thread's exception would otherwise vanish
            failures.append(error)
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        with schema_context(schema):
            head_before = AuditChain.objects.get().head_id
        threads = [threading.Thread(target=write) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        with schema_context(schema):
            result = selectors.verify_audit_chain()
            new_ids = list(AuditEntry.objects.filter(id__gt=head_before).values_list("id", flat=True))
        connection.set_schema_to_public()
    assert result.is_intact, result
    assert new_ids == list(range(head_before + 1, head_before + writers * per_writer + 1))


def test_an_entry_with_non_ascii_content_verifies(enterprises):
    """The database hashes single appends, Python verifies: both must see the same bytes."""
    request = RequestFactory().get("/", HTTP_USER_AGENT="Mozilla/5.0 MicroMessenger 微信/8.0 ☃",
                                   HTTP_ACCEPT_LANGUAGE="zh-Hans-CN", REMOTE_ADDR="2001:db8::1")
    token = context.bind_request(request)
    try:
        with schema_context(enterprises.a.schema_name):
            entry_id = recording.record_event(action="update", object_type="orgdata.employee", object_id="é-1",
                                              changed_fields=["display_name"])
            recording.record_bulk(model=User, action="update", object_ids=[1, 2], changed_fields=["职位"])
            entry = AuditEntry.objects.get(id=entry_id)
            assert (entry.user_agent, entry.ip) == ("Mozilla/5.0 MicroMessenger 微信/8.0 ☃", "2001:db8::1")
            assert selectors.verify_audit_chain().is_intact
    finally:
        context.unbind_request(token)


def test_entries_appended_in_bulk_keep_tabs_newlines_and_backslashes_exactly(enterprises):
    """Bulk appends build their COPY lines themselves (audit.chain._append_many): what is stored,
    and hashed, is the very text recorded."""
    agent = "Agent\\1.0\tbuild\n7\r\\N"
    request = RequestFactory().get("/", HTTP_USER_AGENT=agent, REMOTE_ADDR="192.0.2.7")
    token = context.bind_request(request)
    awkward = ["a\tb", "c\\d\ne", "\\N", "plain7", "é-2"]
    try:
        with schema_context(enterprises.a.schema_name):
            ids = recording.record_bulk(model=User, action="update", object_ids=awkward, changed_fields=["a\tb"])
            stored = list(AuditEntry.objects.filter(id__in=ids).order_by("id")
                          .values_list("object_id", "user_agent", "changed_fields", "ip"))
            assert stored == [(object_id, agent, ["a\tb"], "192.0.2.7") for object_id in awkward]
            assert selectors.verify_audit_chain().is_intact
    finally:
        context.unbind_request(token)


def test_recording_a_change_costs_one_statement(enterprises):
    """Each audited save adds exactly one statement: the chain's lock, INSERT and head move together."""
    with schema_context(enterprises.b.schema_name):
        person = UserFactory()
        recording.record_event(action="warm-up")  # the per-process "does this schema log?" check
        with CaptureQueriesContext(connection) as queries:
            person.display_name = "Changed"
            person.save()
        audit_statements = [q["sql"] for q in queries.captured_queries if "audit_" in q["sql"]]
        assert len(audit_statements) == 1
        assert audit_statements[0].lstrip().startswith("WITH head AS")


@pytest.mark.promise("X4")
def test_audit_verify_reports_a_partition_created_without_the_append_only_guard(enterprises, capsys):
    with schema_context(enterprises.a.schema_name), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_entry_p2031_01 PARTITION OF audit_entry"
                       " FOR VALUES FROM ('2031-01-01 00:00+00') TO ('2031-02-01 00:00+00')")
    intact, output = _verify(capsys, enterprises.a.schema_name)
    assert not intact
    assert "GUARD audit_entry_p2031_01: audit_entry_append_only missing" in output
    assert "GUARD audit_entry_p2031_01: audit_entry_no_truncate missing" in output
