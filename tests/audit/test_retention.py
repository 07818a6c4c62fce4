"""S2: records are kept for their retention period (never less than the legal minimum) and are
gone after it: whole months of logs by dropping their partition, the rest row by row."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from axes.models import AccessLog
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from attendance.models import CheckIn
from audit import checks, partitions, recording, retention, selectors
from audit import services as audit_services
from audit import tasks as audit_tasks
from audit.models import AccessLogEntry, AuditChain, AuditEntry
from audit.partitions import ACCESS_LOG, AUDIT_LOG
from privacy.registry import Erasure, RetentionClass
from tests.accounts.factories import EmployeeAccountFactory
from tests.attendance.factories import make_typed_check_in

# A fixed "today" in the middle of a month, so that "6 months and a few days ago" always falls in
# the month that straddles the cutoff.
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=dt_timezone.utc)


def _utc(year, month, day):
    return datetime(year, month, day, 12, 0, tzinfo=dt_timezone.utc)


def _request_at(client, moment, at_time, marker):
    """One real request through the middleware, as if made at `moment`."""
    with at_time(moment):
        client.get("/api/v1/me", HTTP_USER_AGENT=marker)


def _access_rows(schema):
    with schema_context(schema):
        return set(AccessLogEntry.objects.filter(user_agent__startswith="s2-").values_list("user_agent", flat=True))


def _partition_names(table):
    return {partition.name for partition in partitions.partitions_of(table)}


@pytest.mark.promise("S2")
def test_access_log_months_past_the_period_are_dropped_and_younger_rows_untouched(enterprises, api_client_for, at_time):
    schema = enterprises.a.schema_name
    with schema_context(schema):
        for month in (partitions.month_of(_utc(2026, 4, 1)), partitions.month_of(_utc(2026, 5, 1)),
                      partitions.month_of(_utc(2026, 6, 1))):
            partitions.ensure_month(ACCESS_LOG, month)
    client = api_client_for(enterprises.a)
    _request_at(client, _utc(2026, 4, 20), at_time, "s2-seven-months")
    _request_at(client, _utc(2026, 5, 10), at_time, "s2-six-months-and-five-days")
    _request_at(client, _utc(2026, 5, 20), at_time, "s2-five-months-and-26-days")
    _request_at(client, _utc(2026, 6, 15), at_time, "s2-five-months")
    _request_at(client, _utc(2025, 1, 1), at_time, "s2-no-partition-of-its-own")  # lands in the default one
    _request_at(client, NOW, at_time, "s2-today")

    with schema_context(schema):
        summary = audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)
        remaining_partitions = _partition_names(ACCESS_LOG)

    assert summary["access_log"] == {"partitions_dropped": ["audit_access_log_p2026_04"], "rows_deleted": 2}
    assert "audit_access_log_p2026_04" not in remaining_partitions
    assert {"audit_access_log_p2026_05", "audit_access_log_p2026_06"} <= remaining_partitions
    assert _access_rows(schema) == {"s2-five-months-and-26-days", "s2-five-months", "s2-today"}

    with schema_context(schema):
        again = audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)
    assert again["access_log"] == {"partitions_dropped": [], "rows_deleted": 0}  # idempotent
    assert _access_rows(schema) == {"s2-five-months-and-26-days", "s2-five-months", "s2-today"}


@pytest.mark.promise("S2")
@pytest.mark.promise("X4")
def test_expired_audit_entries_go_as_a_prefix_and_the_rest_of_the_chain_still_verifies(enterprises, at_time, capsys):
    """Runs "14 months from now": everything before the cutoff (the enterprise's own history and one
    entry a month from now) is removed; entries 6 and 13 months from now stay and still verify."""
    schema = enterprises.b.schema_name
    today = timezone.now()
    later = lambda months: retention.months_before(today, -months)  # noqa: E731
    run_at = later(14)  # the audit log is kept 12 months by default: the cutoff is 2 months from now
    with schema_context(schema):
        ids = {}
        for months in (1, 6, 13):
            with at_time(later(months)):
                ids[months] = recording.record_event(action="update", object_type="accounts.user", object_id=1,
                                                     changed_fields=["display_name"])
        head = AuditChain.objects.get().head_id

        summary = audit_services.apply_retention(actor=audit_services.RETENTION, now=run_at)

        dropped = summary["audit_log"]["partitions_dropped"]
        for month in (today, later(1)):  # whole months before the cutoff went as partitions
            assert partitions.partition_name(AUDIT_LOG, partitions.month_of(month)) in dropped
        assert partitions.partition_name(AUDIT_LOG, partitions.month_of(later(2))) not in dropped
        assert list(AuditEntry.objects.values_list("id", flat=True)) == list(range(ids[6], head + 1))
        assert AuditChain.objects.get().anchor_id == ids[6]
        assert selectors.verify_audit_chain().is_intact
        assert audit_services.apply_retention(
            actor=audit_services.RETENTION, now=run_at)["audit_log"]["rows_deleted"] == 0  # idempotent

    call_command("audit_verify", schema=schema)
    assert f"{schema}: intact, {head - ids[6] + 1} entries" in capsys.readouterr().out

    with schema_context(schema), connection.cursor() as cursor:  # someone removes the oldest survivor
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_entry WHERE id = %s", [ids[6]])
        cursor.execute("SET LOCAL session_replication_role = origin")
    with pytest.raises(CommandError):
        call_command("audit_verify", schema=schema)
    assert f"{schema}: BROKEN at entry #{ids[6]}" in capsys.readouterr().out


@pytest.mark.promise("S2")
def test_login_records_older_than_their_period_are_deleted_and_younger_ones_kept(enterprises):
    with schema_context(enterprises.b.schema_name):
        old = AccessLog.objects.create(user_agent="s2-login-old", ip_address="192.0.2.1", username="digest-old",
                                       http_accept="*/*", path_info="/console/login/")
        young = AccessLog.objects.create(user_agent="s2-login-young", ip_address="192.0.2.2", username="digest-young",
                                         http_accept="*/*", path_info="/console/login/")
        AccessLog.objects.filter(pk=old.pk).update(attempt_time=retention.months_before(NOW, 7))
        AccessLog.objects.filter(pk=young.pk).update(attempt_time=retention.months_before(NOW, 5))

        summary = audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)

        assert summary["rows"]["axes login records"] == 1
        assert list(AccessLog.objects.filter(user_agent__startswith="s2-login").values_list("pk", flat=True)) == [young.pk]


@pytest.mark.promise("S2")
@pytest.mark.promise("X4")
def test_check_ins_expire_three_years_after_they_were_made_through_the_daily_retention_job(enterprises):
    """The check-in's declaration in the data map (transaction class, clock occurred_at) is the only
    place its retention is written: the job derives its rule from it."""
    with schema_context(enterprises.b.schema_name):
        person = EmployeeAccountFactory()
        old, young, today = (make_typed_check_in(person, place=f"s2-{age}") for age in ("old", "young", "today"))
        now = timezone.now()
        CheckIn.objects.filter(pk=old.pk).update(occurred_at=retention.months_before(now, 37))
        CheckIn.objects.filter(pk=young.pk).update(occurred_at=retention.months_before(now, 35))

        summary = audit_tasks.apply_retention.apply().get()  # the daily task, run in this process

        assert summary["rows"]["attendance.CheckIn"] == 1
        assert set(CheckIn.objects.filter(person=person).values_list("pk", flat=True)) == {young.pk, today.pk}
        assert AuditEntry.objects.filter(action="delete", object_type="attendance.checkin",
                                         object_id=str(old.pk)).exists()  # X4: the removal is on record


def test_the_row_rules_come_from_the_data_map():
    rules = {rule.label: rule for rule in retention.row_rules()}
    assert (rules["attendance.CheckIn"].model_label, rules["attendance.CheckIn"].timestamp_field,
            rules["attendance.CheckIn"].setting) == ("attendance.CheckIn", "occurred_at", "transaction")
    assert {rules[label].setting for label in ("axes login records", "axes login failure counters",
                                                "axes login failures")} == {"login_log"}
    assert not [rule for rule in rules.values() if rule.model_label in ("audit.AuditEntry", "audit.AccessLogEntry")]
    # Each derived rule's period is never below its class's legal minimum.
    months = retention.retention_months()
    for rule in rules.values():
        assert months[rule.setting] >= (retention.MINIMUM_RETENTION_MONTHS[retention.SETTING_CLASSES[rule.setting]] or 0)
    assert retention.SETTING_CLASSES[rules["attendance.CheckIn"].setting] == RetentionClass.TRANSACTION


@pytest.mark.promise("S2")
def test_a_rule_may_anonymise_instead_of_deleting(enterprises, monkeypatch):
    rule = retention.RowRule(
        "login records, anonymised", "axes.AccessLog", "attempt_time", "login_log", erasure=Erasure.ANONYMISE,
        anonymise=lambda rows: rows.update(ip_address=None, user_agent="", username=None),
        anonymised_fields=("ip_address", "user_agent", "username"), anonymised_lookup={"username__isnull": True},
    )
    monkeypatch.setattr(retention, "derived_row_rules", lambda: [rule])
    with schema_context(enterprises.b.schema_name):
        old = AccessLog.objects.create(user_agent="s2-anon-old", ip_address="192.0.2.3", username="digest-a",
                                       http_accept="*/*", path_info="/console/login/")
        young = AccessLog.objects.create(user_agent="s2-anon-young", ip_address="192.0.2.4", username="digest-b",
                                         http_accept="*/*", path_info="/console/login/")
        AccessLog.objects.filter(pk=old.pk).update(attempt_time=retention.months_before(NOW, 8))

        assert audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)["rows"] == {
            "login records, anonymised": 1}
        assert audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)["rows"] == {
            "login records, anonymised": 0}

        old.refresh_from_db()
        young.refresh_from_db()
    assert (old.ip_address, old.user_agent, old.username) == (None, "", None)
    assert (young.ip_address, young.username) == ("192.0.2.4", "digest-b")


@pytest.mark.promise("S2")
@pytest.mark.parametrize("configured, message", [
    ({"access_log": 5}, "'access_log'] = 5 is below the legal minimum of 6 months"),
    ({"audit_log": 3}, "'audit_log'] = 3 is below the legal minimum of 6 months"),
    ({"transaction": 35}, "'transaction'] = 35 is below the legal minimum of 36 months"),
    ({"web_log": 12}, "'web_log']: unknown retention setting"),
    # Issue 12 §3: labour law keeps a leaver's contract 2 years.
    ({"employment_record": 12}, "'employment_record'] = 12 is below the legal minimum of 24 months"),
])
def test_a_period_below_the_legal_minimum_is_refused_and_nothing_is_deleted(
    enterprises, settings, api_client_for, at_time, configured, message
):
    schema = enterprises.a.schema_name
    with schema_context(schema):
        partitions.ensure_month(ACCESS_LOG, partitions.month_of(_utc(2026, 4, 1)))
    _request_at(api_client_for(enterprises.a), _utc(2026, 4, 20), at_time, "s2-seven-months")
    settings.RETENTION_MONTHS = {**settings.RETENTION_MONTHS, **configured}

    with schema_context(schema), pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[")):
        audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)
    [error] = checks.check_retention_periods()
    assert error.id == "audit.E001"
    assert _access_rows(schema) == {"s2-seven-months"}


def test_longer_periods_than_the_minimum_are_honoured(enterprises, settings, api_client_for, at_time):
    schema = enterprises.a.schema_name
    settings.RETENTION_MONTHS = {**settings.RETENTION_MONTHS, "access_log": 9}
    with schema_context(schema):
        partitions.ensure_month(ACCESS_LOG, partitions.month_of(_utc(2026, 4, 1)))
    _request_at(api_client_for(enterprises.a), _utc(2026, 4, 20), at_time, "s2-seven-months")
    with schema_context(schema):
        audit_services.apply_retention(actor=audit_services.RETENTION, now=NOW)
    assert _access_rows(schema) == {"s2-seven-months"}
    assert checks.check_retention_periods() == []


def test_partitions_are_created_ahead_and_early_rows_move_out_of_the_default_partition(
    enterprises, api_client_for, at_time
):
    schema = enterprises.b.schema_name
    later = timezone.now() + timedelta(days=200)  # beyond the months created so far
    _request_at(api_client_for(enterprises.b), later, at_time, "s2-from-the-future")
    with schema_context(schema):
        with at_time(later):
            entry_id = recording.record_event(action="update", object_type="accounts.user", object_id=7)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_entry_default WHERE id = %s", [entry_id])
            assert cursor.fetchone()[0] == 1

        created = audit_services.ensure_log_partitions(actor=audit_services.LOG_PARTITIONING, now=later)

        month = partitions.partition_name(AUDIT_LOG, partitions.month_of(later))
        assert month in created and len(created) == 6  # 3 months x 2 logs
        assert audit_services.ensure_log_partitions(actor=audit_services.LOG_PARTITIONING, now=later) == []
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {month} WHERE id = %s", [entry_id])
            assert cursor.fetchone()[0] == 1
            cursor.execute("SELECT count(*) FROM audit_access_log_default WHERE user_agent = 's2-from-the-future'")
            assert cursor.fetchone()[0] == 0
        assert AccessLogEntry.objects.filter(user_agent="s2-from-the-future").count() == 1
        assert partitions.unguarded_audit_partitions() == []
        assert selectors.verify_audit_chain().is_intact


def test_a_retention_rule_needs_a_known_setting_and_a_complete_anonymiser():
    with pytest.raises(ImproperlyConfigured, match="unknown setting"):
        retention.RowRule("x", "axes.AccessLog", "attempt_time", "forever")
    with pytest.raises(ImproperlyConfigured, match="anonymising needs"):
        retention.RowRule("x", "axes.AccessLog", "attempt_time", "login_log", erasure=Erasure.ANONYMISE)
