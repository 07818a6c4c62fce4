"""An enterprise's way out (E9, E10): applying for cancellation, the grace period, the unpaid rule,
and the cancellation itself, which erases every person in the enterprise provably.

Lifecycle (each step is a LifecycleEvent in the public schema, and an audit entry in the
enterprise's own log while it exists):

1. **Applied.** The manager applies in the console (`apply_for_cancellation`: password and the
   enterprise code typed as confirmation), or the platform schedules it (`schedule_cancellation`: a
   paid enterprise not renewed 30 days after `paid_until`, warned the day it expires; the service
   ceasing). The enterprise keeps working through the grace period
   (settings.ENTERPRISE_CANCELLATION_GRACE_DAYS) and can withdraw (`withdraw_cancellation`); an
   unpaid cancellation is withdrawn by renewing (`record_renewal`).
2. **Cancelling.** When the grace period ends, the periodic job (`run_enterprise_lifecycle`) starts
   `run_cancellation`: routing refuses the enterprise at once, every account is closed, every
   recipient that received someone's information is told (R3, delivered before anything else goes),
   the records the law makes us keep are scrubbed to their declared replacements and every person's
   key is destroyed (crypto-shredding), those records are copied to an isolated legal-hold archive
   schema, and the enterprise's schema, files and cache keys are dropped. A residue scan checks the
   archive, the files and the cache; anything found fails the cancellation loudly.
3. **Cancelled.** The archive is stored, never processed (R4), until the longest retention class
   ends (`hold_until`); then `drop_expired_archives` drops it.

`run_cancellation` is resumable: each step is recorded on the EnterpriseCancellation as it
finishes, a killed worker leaves a cancellation the periodic job resumes, and running it twice
changes nothing.
"""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from access import actors
from access.actors import SystemActor, is_system_actor
from access.capabilities import Capability, may, require
from accounts.models import DeviceToken, User, new_security_stamp
from audit import recording
from certification import services as certification_services
from consent.models import DeletionNotice
from consent.services import deletion_notices as deletion_notice_services
from consent.services.erasure import erase_every_consent_record
from erasure import person_rows
from privacy import keys
from privacy import registry
from privacy.registry import Erasure
from tenants import cessation, routing_cache
from tenants.models import Enterprise, EnterpriseCancellation, LifecycleEvent

# The platform's periodic lifecycle work (warning unpaid enterprises, running due cancellations,
# dropping expired archives) and the cancellation engine acting through other apps' services.
ENTERPRISE_LIFECYCLE = SystemActor("enterprise lifecycle")
ARCHIVE_PREFIX = "legal_hold_"
# Tables the archive keeps beside the data map's kept records, to make them verifiable.
ARCHIVED_FOR_VERIFICATION = {"audit_auditchain": "the audit chain's head: verifies the archived audit log "
                                                 "against the signed checkpoints (audit_anchors)"}


class CancellationResidue(RuntimeError):
    """The residue scan found personal information after a cancellation; it is marked failed."""


def _event(enterprise: Enterprise, event: str, actor, **detail) -> None:
    LifecycleEvent.objects.create(enterprise=enterprise, event=event, actor=actors.label(actor), detail=detail)
    if connection.schema_name == enterprise.schema_name:
        recording.record_event(action=f"enterprise_{event}", object_type="tenants.enterprise",
                               object_id=enterprise.pk)


def open_cancellation(enterprise: Enterprise) -> EnterpriseCancellation | None:
    """The enterprise's cancellation that is neither withdrawn nor finished, if any."""
    return enterprise.cancellations.filter(withdrawn_at__isnull=True, finished_at__isnull=True).first()


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- applying, withdrawing, renewing ---------------------------------------------------------------

@transaction.atomic
def apply_for_cancellation(*, actor, password: str, confirmation: str) -> EnterpriseCancellation:
    """E9: the manager applies for the current enterprise's cancellation.

    The manager re-authenticates (their password) and types the enterprise code as confirmation;
    the cancellation runs when the grace period ends, until then it can be withdrawn. Refuses
    (NotPermitted) anyone but the manager, and (ValidationError, field by field) a wrong password,
    a confirmation that is not the enterprise code, and an enterprise already being cancelled.
    """
    require(actor, Capability.CANCEL_ENTERPRISE)
    if is_system_actor(actor) or not actor.check_password(password or ""):
        raise ValidationError({"password": [_("Your password is incorrect.")]})
    enterprise = Enterprise.objects.select_for_update().get(schema_name=connection.schema_name)
    if (confirmation or "").strip().lower() != enterprise.code:
        raise ValidationError({"confirmation": [
            _("Type the enterprise code %(code)s to confirm.") % {"code": enterprise.code}]})
    grace = timedelta(days=settings.ENTERPRISE_CANCELLATION_GRACE_DAYS)
    return _schedule(actor, enterprise, EnterpriseCancellation.Reason.REQUESTED, timezone.now() + grace)


@transaction.atomic
def schedule_cancellation(*, actor, enterprise: Enterprise, reason: str, cancel_after: datetime) -> EnterpriseCancellation:
    """E9/E10: the platform schedules an enterprise's cancellation (unpaid, the service ceasing).

    Idempotent: an enterprise that already has an open cancellation keeps it (returned as it is).
    Refuses (NotPermitted) an actor without CANCEL_ENTERPRISE: platform staff with the lifecycle
    permission, or the platform's own lifecycle work.
    """
    require(actor, Capability.CANCEL_ENTERPRISE)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    existing = open_cancellation(enterprise)
    if existing is not None:
        return existing
    return _schedule(actor, enterprise, reason, cancel_after)


def _schedule(actor, enterprise: Enterprise, reason: str, cancel_after: datetime) -> EnterpriseCancellation:
    if enterprise.status not in (Enterprise.Status.ACTIVE, Enterprise.Status.SUSPENDED):
        raise ValidationError({"enterprise": [_("This enterprise is already being cancelled.")]})
    if open_cancellation(enterprise) is not None:
        raise ValidationError({"enterprise": [_("A cancellation is already scheduled.")]})
    cancellation = EnterpriseCancellation.objects.create(
        enterprise=enterprise, reason=reason, requested_by=actors.label(actor), cancel_after=cancel_after)
    _event(enterprise, "cancellation_scheduled", actor, reason=reason, cancel_after=cancel_after.isoformat())
    return cancellation


@transaction.atomic
def withdraw_cancellation(*, actor, enterprise: Enterprise) -> EnterpriseCancellation:
    """E9: withdraw a scheduled cancellation during its grace period; the enterprise carries on.

    Refuses (NotPermitted) an actor without CANCEL_ENTERPRISE, and (ValidationError) when nothing
    is scheduled, when the cancellation has started, when an unpaid enterprise's manager withdraws
    (renewing withdraws it) and when the service's cessation scheduled it (only withdrawing the
    cessation does).
    """
    require(actor, Capability.CANCEL_ENTERPRISE)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    cancellation = open_cancellation(enterprise)
    if cancellation is None:
        raise ValidationError({"enterprise": [_("No cancellation is scheduled.")]})
    if cancellation.started_at is not None or enterprise.status != Enterprise.Status.ACTIVE and \
            enterprise.status != Enterprise.Status.SUSPENDED:
        raise ValidationError({"enterprise": [_("The cancellation has started; it can no longer be withdrawn.")]})
    by_the_enterprise = not is_system_actor(actor) and not may(actor, Capability.USE_ADMIN_SITE)
    if by_the_enterprise and cancellation.reason == EnterpriseCancellation.Reason.UNPAID:
        raise ValidationError({"enterprise": [_("Renew the subscription to keep the enterprise.")]})
    if by_the_enterprise and cancellation.reason == EnterpriseCancellation.Reason.SERVICE_CESSATION:
        raise ValidationError({"enterprise": [_("The service is ceasing; this cancellation cannot be withdrawn.")]})
    cancellation.withdrawn_at, cancellation.withdrawn_by = timezone.now(), actors.label(actor)
    cancellation.save(update_fields=["withdrawn_at", "withdrawn_by"])
    _event(enterprise, "cancellation_withdrawn", actor, reason=cancellation.reason)
    return cancellation


@transaction.atomic
def record_renewal(*, actor, enterprise: Enterprise, paid_until: date) -> Enterprise:
    """Platform staff record a paid period; an unpaid enterprise's scheduled cancellation (not yet
    started) is withdrawn. Refuses (NotPermitted) an actor without CHANGE_ENTERPRISE_LIFECYCLE and
    (ValidationError) a date in the past."""
    require(actor, Capability.CHANGE_ENTERPRISE_LIFECYCLE)
    if paid_until < timezone.localdate():
        raise ValidationError({"paid_until": [_("The paid period must end in the future.")]})
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    enterprise.plan, enterprise.paid_until = Enterprise.Plan.PAID, paid_until
    enterprise.save(update_fields=["plan", "paid_until", "updated_at"])
    _event(enterprise, "renewed", actor, paid_until=paid_until.isoformat())
    cancellation = open_cancellation(enterprise)
    if cancellation is not None and cancellation.reason == EnterpriseCancellation.Reason.UNPAID \
            and cancellation.started_at is None:
        withdraw_cancellation(actor=actor, enterprise=enterprise)
    return enterprise


# --- the periodic job ---------------------------------------------------------------------------------

def warn_unpaid_enterprises(*, actor, today: date | None = None) -> int:
    """E9: a paid enterprise whose paid period has ended is warned: its cancellation is scheduled
    for `paid_until` + settings.UNPAID_CANCELLATION_DAYS (30), shown to its administrators from
    today on. Returns how many were warned."""
    require(actor, Capability.CANCEL_ENTERPRISE)
    today = today or timezone.localdate()
    open_ones = EnterpriseCancellation.objects.filter(enterprise=OuterRef("pk"), withdrawn_at__isnull=True,
                                                      finished_at__isnull=True)
    unpaid = Enterprise.objects.ready_for_periodic_work().filter(
        plan=Enterprise.Plan.PAID, paid_until__lt=today).exclude(Exists(open_ones))
    warned = 0
    for enterprise in unpaid:
        cancel_on = enterprise.paid_until + timedelta(days=settings.UNPAID_CANCELLATION_DAYS)
        schedule_cancellation(actor=actor, enterprise=enterprise, reason=EnterpriseCancellation.Reason.UNPAID,
                              cancel_after=_start_of_day(cancel_on))
        warned += 1
    return warned


def cessation_ends() -> date | None:
    """The day every enterprise is cancelled because the service ceases (E10), if one is announced:
    the stop date plus the wind-down in which enterprises still read and export."""
    return cessation.enterprises_cancelled_on()


def schedule_cessation_cancellations(*, actor, cessation_ends: date | None, today: date | None = None) -> int:
    """E10: once the service has ceased (`cessation_ends`: the stop date plus the wind-down in
    which enterprises read and export), every enterprise still here is cancelled. Returns how many
    were scheduled."""
    require(actor, Capability.CANCEL_ENTERPRISE)
    today = today or timezone.localdate()
    if cessation_ends is None or today < cessation_ends:
        return 0
    scheduled = 0
    for enterprise in Enterprise.objects.ready_for_periodic_work():
        if open_cancellation(enterprise) is None:
            schedule_cancellation(actor=actor, enterprise=enterprise,
                                  reason=EnterpriseCancellation.Reason.SERVICE_CESSATION,
                                  cancel_after=_start_of_day(cessation_ends))
            scheduled += 1
    return scheduled


def due_cancellations(*, now: datetime | None = None) -> list[int]:
    """Open cancellations whose grace period has ended (including ones a killed worker left)."""
    now = now or timezone.now()
    return list(EnterpriseCancellation.objects.filter(
        withdrawn_at__isnull=True, finished_at__isnull=True, cancel_after__lte=now,
    ).order_by("cancel_after").values_list("pk", flat=True))


def drop_expired_archives(*, actor, today: date | None = None) -> int:
    """R4/E9: drop every legal-hold archive whose longest retention class has ended. Returns how
    many were dropped."""
    require(actor, Capability.CANCEL_ENTERPRISE)
    today = today or timezone.localdate()
    expired = EnterpriseCancellation.objects.filter(
        hold_until__lte=today, archive_dropped_at__isnull=True).exclude(archive_schema="")
    dropped = 0
    for cancellation in expired:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{cancellation.archive_schema}" CASCADE')
        cancellation.archive_dropped_at = timezone.now()
        cancellation.save(update_fields=["archive_dropped_at"])
        _event(cancellation.enterprise, "archive_dropped", actor, archive=cancellation.archive_schema)
        dropped += 1
    return dropped


# --- the cancellation ------------------------------------------------------------------------------

_LOCK_NAMESPACE = 7_305_002  # advisory lock per cancellation: one worker runs it at a time


def run_cancellation(*, cancellation_id: int) -> EnterpriseCancellation:
    """E9: run the cancellation's remaining steps, in STEPS' order, from the public schema.

    Each step commits its own record. A step that must wait (recipients not yet answering) stops
    the run; the periodic job resumes it. Another worker already running it makes this a no-op.
    Raises CancellationResidue (after recording it) when the residue scan is not empty.
    """
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, cancellation_id])
        if not cursor.fetchone()[0]:
            return EnterpriseCancellation.objects.get(pk=cancellation_id)
    try:
        return _run_steps(cancellation_id)
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, cancellation_id])


def _run_steps(cancellation_id: int) -> EnterpriseCancellation:
    cancellation = EnterpriseCancellation.objects.select_related("enterprise").get(pk=cancellation_id)
    if not cancellation.is_open or cancellation.cancel_after > timezone.now():
        return cancellation
    if cancellation.started_at is None:
        cancellation.started_at = timezone.now()
        cancellation.save(update_fields=["started_at"])
    for name, step in STEPS:
        if cancellation.steps.get(name, {}).get("status") == "done":
            continue
        counts = step(cancellation)
        if counts is WAITING:
            cancellation.steps[name] = {"status": "waiting", "at": timezone.now().isoformat()}
            cancellation.save(update_fields=["steps"])
            return cancellation
        cancellation.steps[name] = {"status": "done", "at": timezone.now().isoformat(), **counts}
        cancellation.save(update_fields=["steps"])
        if cancellation.residue:
            _event(cancellation.enterprise, "residue_found", ENTERPRISE_LIFECYCLE, residue=cancellation.residue)
            raise CancellationResidue(f"cancellation {cancellation.pk}: residue in {', '.join(cancellation.residue)}")
    return cancellation


WAITING = object()  # a step's answer when it must wait for the outside world (recipients)


def _in_schema(cancellation: EnterpriseCancellation):
    return schema_context(cancellation.enterprise.schema_name)


def _close(cancellation: EnterpriseCancellation) -> dict:
    # Routing refuses the enterprise from the next request: nobody in it can sign in any more, and
    # every token and console session ends (the status is read on every request).
    enterprise = cancellation.enterprise
    with transaction.atomic():
        Enterprise.objects.filter(pk=enterprise.pk).update(status=Enterprise.Status.CANCELLING,
                                                           updated_at=timezone.now())
        enterprise.status = Enterprise.Status.CANCELLING
        _event(enterprise, "cancellation_started", ENTERPRISE_LIFECYCLE, reason=cancellation.reason)
    routing_cache.forget_enterprise(enterprise)
    if not schema_exists(enterprise.schema_name):
        return {"accounts_closed": 0}
    with _in_schema(cancellation), transaction.atomic():
        DeviceToken.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        closed = User.objects.filter(is_active=True).update(is_active=False, security_stamp=new_security_stamp())
        recording.record_event(action="close_every_account", object_type="accounts.user", object_id="all",
                               changed_fields=["is_active", "security_stamp"])
    return {"accounts_closed": closed}


def _tell_recipients(cancellation: EnterpriseCancellation) -> dict:
    # R3: every recipient that received someone's information is told, person by person, before
    # anything goes; delivery is consent's outbox (its task runs in an enterprise being cancelled).
    if not schema_exists(cancellation.enterprise.schema_name):
        return {"notices_queued": 0}
    queued = 0
    with _in_schema(cancellation):
        shared_with = User.objects.filter(pk__in=deletion_notice_services.people_shared_with_recipients())
        for person in shared_with.iterator():
            with transaction.atomic():
                queued += len(deletion_notice_services.notify_recipients_of_erasure(
                    actor=ENTERPRISE_LIFECYCLE, person=person))
    return {"notices_queued": queued}


def _wait_for_recipients(cancellation: EnterpriseCancellation) -> dict:
    # Nothing is dropped while a notice may still be delivered: each run tries every queued notice
    # once more (beside the outbox's own retries); after the outbox's last attempt a notice is
    # failed, and its record is archived with the rest (R3's proof either way).
    if not schema_exists(cancellation.enterprise.schema_name):
        return {}
    with _in_schema(cancellation):
        for notice in DeletionNotice.objects.filter(status=DeletionNotice.Status.QUEUED).only("pk", "attempts"):
            deletion_notice_services.deliver_notice(
                notice_id=notice.pk, is_last_attempt=notice.attempts + 1 >= deletion_notice_services.MAX_ATTEMPTS)
        if DeletionNotice.objects.filter(status=DeletionNotice.Status.QUEUED).exists():
            return WAITING
        statuses = DeletionNotice.objects.values_list("status", flat=True)
        return {"notices_delivered": sum(1 for s in statuses if s == DeletionNotice.Status.DELIVERED),
                "notices_failed": sum(1 for s in statuses if s == DeletionNotice.Status.FAILED)}


def kept_tables() -> list:
    """The data map's tables about a person whose rows the law makes us keep (the rest go with the
    schema): what the legal-hold archive holds, scrubbed to their declared replacements."""
    return [declaration for declaration in registry.table_declarations()
            if declaration.kind == registry.TableKind.ABOUT_PERSON
            and declaration.erasure not in (Erasure.DELETE, Erasure.CRYPTO_SHRED)]


def _scrub_kept_records(cancellation: EnterpriseCancellation) -> dict:
    # Every kept table's personal fields hold their declared replacement, the accounts are
    # tombstones, and every person's key is destroyed: what the archive copies is anonymised or,
    # where only a key protected a value, unreadable for good (R4).
    if not schema_exists(cancellation.enterprise.schema_name):
        return {}
    counts = {}
    with _in_schema(cancellation), transaction.atomic():
        counts["consent_records_deleted"] = erase_every_consent_record()
        for declaration in kept_tables():
            if not _table_exists(connection.schema_name, declaration.table):
                continue
            replacements = {name: rule.replacement for name, rule in declaration.fields.items()
                            if rule.erasure == Erasure.ANONYMISE}
            if replacements:
                counts[declaration.label] = declaration.model.objects.update(**replacements)
                recording.record_event(action="anonymise", object_type=declaration.model._meta.label_lower,
                                       object_id="all", changed_fields=sorted(replacements))
        User.objects.update(is_active=False, is_staff=False, is_superuser=False, must_change_password=False,
                            password=make_password(None))
        counts["keys_destroyed"] = keys.destroy_every_person_key()
        recording.record_event(action="crypto_shred", object_type="privacy.personkey", object_id="all")
    return counts


def _archive_name(cancellation: EnterpriseCancellation) -> str:
    return f"{ARCHIVE_PREFIX}{cancellation.enterprise.pk}"


def _archive(cancellation: EnterpriseCancellation) -> dict:
    # The archive is a schema of its own, named outside every enterprise's: no route, task or
    # query of the product reaches it; only `drop_expired_archives` does (R4: stored, never
    # processed). Copies without constraints: nothing ever writes to it.
    schema, archive = cancellation.enterprise.schema_name, _archive_name(cancellation)
    if not schema_exists(schema):
        return {"archive": cancellation.archive_schema}
    tables = [declaration.table for declaration in kept_tables() if _table_exists(schema, declaration.table)]
    tables += [table for table in ARCHIVED_FOR_VERIFICATION if _table_exists(schema, table)]
    rows = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{archive}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{archive}"')
        for table in tables:
            cursor.execute(f'CREATE TABLE "{archive}"."{table}" AS TABLE "{schema}"."{table}"')
            rows[table] = cursor.rowcount
    months = max(settings.RETENTION_MONTHS.values())
    hold_until = _add_months(timezone.localdate(), months)
    EnterpriseCancellation.objects.filter(pk=cancellation.pk).update(
        archive_schema=archive, archived_rows=rows, hold_until=hold_until)
    cancellation.archive_schema, cancellation.archived_rows, cancellation.hold_until = archive, rows, hold_until
    _event(cancellation.enterprise, "archived", ENTERPRISE_LIFECYCLE, archive=archive, rows=rows,
           hold_until=hold_until.isoformat())
    return {"archive": archive, "tables": len(rows)}


def _table_exists(schema: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}"."{table}"'])
        return cursor.fetchone()[0] is not None


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _media_directory(schema: str) -> Path:
    return Path(settings.MEDIA_ROOT) / schema


def _cache_keys(schema: str) -> list:
    client = cache._cache.get_client(write=True)
    return list(client.scan_iter(match=f"{schema}:*", count=1000))


def _drop_enterprise(cancellation: EnterpriseCancellation) -> dict:
    # Everything not archived goes at once: the schema (every row of every table), its stored
    # files and its cache keys.
    schema = cancellation.enterprise.schema_name
    with connection.cursor() as cursor:
        # Checks still deferred in this transaction (a caller's open one) would block the drop.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    files = _media_directory(schema)
    file_count = sum(1 for path in files.rglob("*") if path.is_file()) if files.exists() else 0
    shutil.rmtree(files, ignore_errors=True)
    cache_keys = _cache_keys(schema)
    if cache_keys:
        cache._cache.get_client(write=True).delete(*cache_keys)
    routing_cache.forget_enterprise(cancellation.enterprise)
    # E4: the certification file (public schema) names the legal representative: shredded too.
    shredded = certification_services.shred_certification_file(actor=ENTERPRISE_LIFECYCLE,
                                                                enterprise=cancellation.enterprise)
    _event(cancellation.enterprise, "schema_dropped", ENTERPRISE_LIFECYCLE, files=file_count,
           cache_keys=len(cache_keys))
    return {"files_deleted": file_count, "cache_keys_deleted": len(cache_keys),
            "certification_keys_shredded": shredded}


def scan_for_residue(cancellation: EnterpriseCancellation) -> list[str]:
    """What of the enterprise's people is still anywhere: the enterprise schema, its files or cache
    keys; in the archive, a table the data map does not keep, a personal field not holding its
    declared replacement, or a blind index. Returns names (never a value)."""
    schema, archive = cancellation.enterprise.schema_name, cancellation.archive_schema
    residue = []
    if schema_exists(schema):
        residue.append(f"schema:{schema}")
    if _media_directory(schema).exists():
        residue.append(f"files:{schema}")
    if _cache_keys(schema):
        residue.append(f"redis:{schema}")
    archived = set(cancellation.archived_rows)
    allowed = {declaration.table: declaration for declaration in kept_tables()}
    for table in sorted(archived):
        declaration = allowed.get(table)
        if declaration is None:
            if table not in ARCHIVED_FOR_VERIFICATION:
                residue.append(f"{archive}.{table}.*")
            continue
        for name, rule in declaration.fields.items():
            column = declaration.model._meta.get_field(name).column
            if rule.erasure == Erasure.ANONYMISE and _any_row(archive, table, column, rule.replacement):
                residue.append(f"{archive}.{table}.{name}")
        for field in person_rows.blind_index_fields(declaration):
            if _any_row(archive, table, field.column, None):
                residue.append(f"{archive}.{table}.{field.name}")
    return residue


def _any_row(archive: str, table: str, column: str, replacement) -> bool:
    if isinstance(replacement, (dict, list)):  # a JSON field's replacement, compared as JSON
        condition, replacement = f'"{column}"::jsonb IS DISTINCT FROM %s::jsonb', json.dumps(replacement)
    else:
        condition = f'"{column}" IS DISTINCT FROM %s'
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{archive}"."{table}" WHERE {condition} LIMIT 1', [replacement])
        return cursor.fetchone() is not None


def _scan(cancellation: EnterpriseCancellation) -> dict:
    residue = scan_for_residue(cancellation)
    if residue:
        EnterpriseCancellation.objects.filter(pk=cancellation.pk).update(residue=residue)
        cancellation.residue = residue
    return {"residue": len(residue)}


def _finish(cancellation: EnterpriseCancellation) -> dict:
    now = timezone.now()
    Enterprise.objects.filter(pk=cancellation.enterprise_id).update(status=Enterprise.Status.CANCELLED, updated_at=now)
    EnterpriseCancellation.objects.filter(pk=cancellation.pk).update(finished_at=now)
    cancellation.finished_at = now
    routing_cache.forget_enterprise(cancellation.enterprise)
    _event(cancellation.enterprise, "cancelled", ENTERPRISE_LIFECYCLE, hold_until=cancellation.hold_until.isoformat()
           if cancellation.hold_until else None)
    return {}


# The declared order: close the ways in, tell recipients and wait for them (their notices live in
# the schema), scrub what is kept, archive it, drop the rest, prove nothing is left, then finish.
STEPS = (
    ("close", _close),
    ("tell_recipients", _tell_recipients),
    ("wait_for_recipients", _wait_for_recipients),
    ("scrub_kept_records", _scrub_kept_records),
    ("archive", _archive),
    ("drop_enterprise", _drop_enterprise),
    ("residue_scan", _scan),
    ("finish", _finish),
)
