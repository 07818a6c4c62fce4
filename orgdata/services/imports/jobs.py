"""An import job's lifecycle: accepted from the console (E8), run by the worker under its lock and
memory ceiling, found again by the recovery job when its worker died, and shown with its progress.
See the package's docstring for how an import runs.
"""
from __future__ import annotations

import gc
import logging
import zlib
from contextlib import contextmanager
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.capabilities import Capability, require
from accounts.models import User
from audit.context import Actor, acting_as
from audit.recording import record_event
from core import tabular
from core.errors import DomainError, FileRefused, NotPermitted, UnreadableFile
from orgdata.errors import Rejected
from orgdata.models import ImportJob
from orgdata.services import minors as minor_services
from orgdata.services.imports import checked, checks, preview, progress, rows, writing
from tenants import cessation

logger = logging.getLogger("orgdata.services.imports")

# E8: shown next to the upload button and stored, word for word, with each import.
CONSENT_STATEMENT = gettext_lazy(
    "I confirm that every person in this file was informed that the enterprise processes their "
    "personal information in this address book, and consented to it."
)
MAX_UPLOAD_BYTES = tabular.MAX_UPLOAD_BYTES
# The first attempt and, only when it died after the file was fully read, one more (see the
# package's docstring).
MAX_ATTEMPTS = 2
MEMORY_BUDGET_BYTES = 1536 * 1024 * 1024  # address space an attempt may add (settings may lower it)
QUEUED_TOO_LONG = timedelta(minutes=10)
# Issue 14: a checked file waits this long for its administrator's confirmation; then it is deleted.
UNCONFIRMED_KEPT_FOR = timedelta(hours=24)
_ADVISORY_NAMESPACE = "orgdata-import"


class ImportBusy(Exception):
    """Another worker holds the job's lock while this attempt is still queued (see run_import)."""


# --- starting an import ---------------------------------------------------------------------

def start_import(*, actor: User, upload, consent_confirmed: bool, language: str = "") -> ImportJob:
    """Accept an address-book file for import and start it (E7, E8).

    Refuses without the consent confirmation (E8), a non-administrator, an empty or oversized
    file, a file that is neither CSV nor XLSX, and an XLSX archive whose directory breaks a hard
    limit (too many parts, too large unpacked, a part compressed like a zip bomb). Never parses a
    cell: the job is queued for the worker once it is committed, and returned still queued. The
    worker only checks the file and stops at "ready to confirm" (issue 14): nothing is written
    before `confirm_import`.
    """
    require(actor, Capability.IMPORT_ADDRESS_BOOK)
    if not consent_confirmed:
        raise ValidationError({"consent_confirmed": [
            _("Confirm that the employees in this file were informed and consented before uploading it.")]})
    if upload is None or not upload.size:
        raise ValidationError({"file": [_("Choose a CSV or XLSX file.")]})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("The file is larger than 50 MB; split it into several files.")]})
    head = upload.read(8)
    upload.seek(0)
    try:
        file_format = tabular.detect_format(head, upload.name)
        tabular.check_upload(upload, file_format)
    except UnreadableFile as error:
        raise ValidationError({"file": [str(error)]})

    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor, file=upload, file_format=file_format, original_name=(upload.name or "")[-200:],
            consent_statement=str(CONSENT_STATEMENT), consent_confirmed_at=timezone.now(),
            language=(language or translation.get_language() or settings.LANGUAGE_CODE)[:10],
        )
        # E8: the confirmation itself is an audited act of the administrator.
        record_event(action="import_consent_confirmed", object_type="orgdata.importjob", object_id=job.pk,
                     actor=Actor.for_user(actor))
        _enqueue(job)
    return job


def _enqueue(job: ImportJob) -> None:
    # The task is found by its registered name, not imported: orgdata.tasks sits above the
    # services it calls (orgdata.apps registers it in every process). Sent through the task
    # object, so that EnterpriseTask adds the schema.
    run_import_task = current_app.tasks["orgdata.tasks.run_import"]
    queue = getattr(settings, "ORGDATA_IMPORT_QUEUE", None) or settings.CELERY_TASK_DEFAULT_QUEUE
    transaction.on_commit(lambda: run_import_task.apply_async((job.pk, job.attempt), queue=queue))


def confirm_import(*, actor: User, job: ImportJob, create_new_values: bool = False) -> ImportJob:
    """Write a checked import (issue 14): queue the job again, now to write what its preview showed.

    `create_new_values` is the administrator's explicit choice to create the positions and job
    levels the preview listed as not existing yet. Refuses anyone but the administrator who
    uploaded the file (the E8 confirmation was theirs, and the preview was worked out for their
    departments), a job that is not waiting for confirmation, and a confirmation that leaves the
    preview's new positions or job levels uncreated (those rows could not be written).
    """
    require(actor, Capability.IMPORT_ADDRESS_BOOK)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.created_by_id != actor.pk:
            raise NotPermitted(_("Only the administrator who uploaded this file can confirm or cancel its import."))
        if job.status != ImportJob.Status.READY:
            raise DomainError(_("This import is not waiting for confirmation."))
        if (job.preview.get("new_positions") or job.preview.get("new_job_levels")) and not create_new_values:
            raise ValidationError({"create_new_values": [_(
                "The file names positions or job levels that do not exist. Choose to create them, or cancel "
                "and correct the file.")]})
        # The writing pass counts its attempts afresh (recovery retries it once, as the checking pass).
        job.status, job.attempt, job.confirmed_at = ImportJob.Status.QUEUED, 1, timezone.now()
        job.create_new_values = bool(create_new_values)
        job.save(update_fields=["status", "attempt", "confirmed_at", "create_new_values"])
        record_event(action="import_confirmed", object_type="orgdata.importjob", object_id=job.pk,
                     changed_fields=["create_new_values"] if create_new_values else [], actor=Actor.for_user(actor))
        _enqueue(job)
    return job


def cancel_import(*, actor: User, job: ImportJob) -> ImportJob:
    """Drop a checked import before anything was written (issue 14), and delete its file.

    Refuses anyone but the administrator who uploaded the file and a job that is not waiting for
    confirmation.
    """
    require(actor, Capability.IMPORT_ADDRESS_BOOK)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.created_by_id != actor.pk:
            raise NotPermitted(_("Only the administrator who uploaded this file can confirm or cancel its import."))
        if job.status != ImportJob.Status.READY:
            raise DomainError(_("This import is not waiting for confirmation."))
        _finish(job, ImportJob.Status.CANCELLED)
        record_event(action="import_cancelled", object_type="orgdata.importjob", object_id=job.pk,
                     actor=Actor.for_user(actor))
    return job


def cancel_unconfirmed_imports() -> int:
    """Cancel imports left unconfirmed for UNCONFIRMED_KEPT_FOR and delete their files (the upload
    holds personal information in the clear). Returns how many."""
    cancelled = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.READY,
                                        created_at__lt=timezone.now() - UNCONFIRMED_KEPT_FOR):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)
            if job.status != ImportJob.Status.READY:
                continue
            with translation.override(job.language or settings.LANGUAGE_CODE):
                _finish(job, ImportJob.Status.CANCELLED,
                        reason=_("Not confirmed within a day: nothing was imported and the file was deleted."))
            cancelled += 1
    return cancelled


def import_progress(job: ImportJob) -> dict:
    """Live progress for the console: phase, rows done and in total, percentage, and the state.

    While the cache is unreachable the status comes from the database alone: `is_progress_known`
    is false and `done` and `percent` are None (unless the status itself says them: queued, or
    imported); an import is not called interrupted because its heartbeat cannot be read.
    """
    cached = progress.read_progress(job)
    live = {} if cached is progress.UNKNOWN else (cached or {})
    is_progress_known = cached is not progress.UNKNOWN or job.status in (
        ImportJob.Status.QUEUED, ImportJob.Status.READY, ImportJob.Status.SUCCEEDED)
    total = job.total_rows or live.get("total") or 0
    is_complete = job.status in (ImportJob.Status.READY, ImportJob.Status.SUCCEEDED)
    if job.is_finished or job.is_waiting_for_confirmation:
        done = total if is_complete else live.get("done", 0)
        phase = job.status
    else:
        done, phase = live.get("done", 0), live.get("phase", "queued")
    if job.confirmed_at is None:  # checking the file for its preview: reading, then validating
        weights = {"reading": (0, 0.1), "validating": (0.1, 0.9)}
    else:  # writing a confirmed import: reading and checking count for half, writing for the other half
        weights = {"reading": (0, 0.1), "validating": (0.1, 0.4), "writing": (0.5, 0.5)}
    start, share = weights.get(phase, (1.0 if is_complete else 0, 0))
    percent = min(int(100 * (start + share * (done / total if total else 0))), 100)
    if not is_progress_known:
        done = percent = None
        phase = job.status
    # Interrupted only when the heartbeat is known to be stale, never when it cannot be read.
    is_interrupted = job.status == ImportJob.Status.RUNNING and progress.has_heartbeat(job) is False
    interruption = ""
    if is_interrupted:
        interruption = (_("Interrupted — resuming.") if _may_resume(job, progress.last_phase(job, cached))
                        else _("Interrupted — the worker stopped; the import will be marked failed."))
    return {"status": job.status, "phase": phase, "done": done, "total": total, "percent": percent,
            "is_progress_known": is_progress_known,
            "is_waiting_for_confirmation": job.is_waiting_for_confirmation,
            "attempt": job.attempt, "is_finished": job.is_finished, "is_worker_alive": is_being_processed(job),
            "is_interrupted": is_interrupted, "interruption": str(interruption),
            "error_count": len(job.report), "failure_reason": job.failure_reason}


def _may_resume(job: ImportJob, phase: str | None) -> bool:
    """An attempt that died after the file was read in full is retried once; one that died while
    reading it (or before it said where it was) is not: the file is the likely cause."""
    return phase in ("validating", "writing") and job.attempt < MAX_ATTEMPTS and bool(job.file)


def memory_budget_bytes() -> int:
    return int(getattr(settings, "ORGDATA_IMPORT_MEMORY_BUDGET_BYTES", MEMORY_BUDGET_BYTES))


@contextmanager
def _memory_ceiling():
    """Lower the process's soft address-space limit (RLIMIT_AS) to what it uses now plus the
    import's budget, and restore it afterwards: an attempt that needs more gets a MemoryError
    instead of growing until the kernel kills the worker."""
    try:
        import resource

        with open("/proc/self/status") as status:
            in_use = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, StopIteration, ValueError):
        yield  # not Linux: no ceiling, the hard limits of core.tabular still hold
        return
    ceiling = in_use + memory_budget_bytes()
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    if soft != resource.RLIM_INFINITY:
        ceiling = min(ceiling, soft)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _lock_keys(job_id: int) -> tuple[int, int]:
    # Two int4 keys: the schema (job ids repeat across enterprises) and the job.
    schema_key = zlib.crc32(f"{connection.schema_name}:{_ADVISORY_NAMESPACE}".encode()) - 2 ** 31
    return schema_key, job_id


@contextmanager
def _job_lock(job_id: int):
    """Session-level advisory lock held while a worker processes the job; yields whether it got it.

    It outlives transactions (the job's status commits while it is held) and vanishes with the
    connection when the worker dies.
    """
    keys = _lock_keys(job_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", keys)
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", keys)


def is_being_processed(job: ImportJob) -> bool:
    """Whether a live database session holds the job's lock (i.e. a worker is on it right now)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = (%s::bigint & 4294967295)::oid AND objid = %s::oid AND objsubid = 2)",
            _lock_keys(job.pk),
        )
        return cursor.fetchone()[0]


# --- running an import ------------------------------------------------------------------------

def run_import(*, job_id: int, attempt: int) -> ImportJob:
    """Process one queued import attempt; idempotent for repeated deliveries of the same attempt.

    An attempt of a job not yet confirmed only checks the file: READY (the preview is on the job,
    nothing written, the file kept for the confirmed attempt) or REJECTED. Once confirmed:
    Outcome on the job: SUCCEEDED (everything written), REJECTED (bad rows, nothing written,
    report filled) or FAILED (an unexpected error, or the service's stop date has come (E10);
    nothing written). Never raises for a bad file. Raises ImportBusy when another worker holds the
    job while this attempt is still queued (the caller delivers it again a moment later).
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.attempt != attempt or job.status != ImportJob.Status.QUEUED:
        return job  # a stale or repeated delivery: the job moved on
    with _job_lock(job.pk) as acquired:
        if not acquired:
            job.refresh_from_db()
            if job.attempt == attempt and job.status == ImportJob.Status.QUEUED:
                # Held by another worker while this attempt still waits: one finishing the job's
                # checking pass (the confirmation queued this attempt meanwhile), or one that took this
                # same attempt an instant ago. Dropped, the import would wait for the recovery
                # (QUEUED_TOO_LONG); tried again shortly, it runs once or finds the job moved on.
                raise ImportBusy(f"import {job.pk} attempt {attempt} is held by another worker")
            return job
        job.refresh_from_db()
        if job.attempt != attempt or job.status != ImportJob.Status.QUEUED:
            return job
        if cessation.collection_stopped():
            # E10: an import accepted before the service's stop date and run after it collects nothing.
            with translation.override(job.language or settings.LANGUAGE_CODE):
                _finish(job, ImportJob.Status.FAILED,
                        reason=cessation.collection_stopped_message(cessation.current_cessation()))
            return job
        # The phase is known before the status says "running": recovery reads it (see above).
        progress.report_progress(job, "reading", 0, 0)
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
        with translation.override(job.language or settings.LANGUAGE_CODE), progress.heartbeat(job):
            try:
                # Whatever the import writes is recorded as the uploading administrator's act.
                with acting_as(Actor.for_user(job.created_by)), _without_cycle_collection(), _memory_ceiling():
                    _import(job)
            except Rejected as rejection:
                _finish(job, ImportJob.Status.REJECTED, report=[error.as_dict() for error in rejection.errors])
            except FileRefused as error:  # a hard limit: the message names it
                _finish(job, ImportJob.Status.FAILED, reason=str(error))
            except UnreadableFile as error:
                _finish(job, ImportJob.Status.REJECTED, report=[rows.RowError(0, "", str(error)).as_dict()])
            except MemoryError:  # the ceiling and the cycle collection were undone on the way out
                logger.error("import %s attempt %s ran out of its memory budget", job.pk, attempt)
                _finish(job, ImportJob.Status.FAILED, reason=_(
                    "Importing this file needed more memory than an import may use (%(limit)s MB); nothing was "
                    "written. Split the file and upload it again.") % {"limit": memory_budget_bytes() // 2 ** 20})
            except IntegrityError:
                _finish(job, ImportJob.Status.FAILED,
                        reason=_("The address book changed while the file was being imported; upload it again."))
            except Exception as error:  # never a half import, never personal data in the log
                logger.error("import %s attempt %s failed: %s", job.pk, attempt, type(error).__name__)
                _finish(job, ImportJob.Status.FAILED, reason=_("The import failed unexpectedly; nothing was written."))
    return job


@contextmanager
def _without_cycle_collection():
    """The import holds hundreds of thousands of live objects (rows, model instances) and creates
    almost no reference cycles; Python's cycle collector would rescan them all again and again
    (a third of the run time at 20,000 rows, growing with the file). Reference counting still
    frees everything; one collection runs at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def _finish(job: ImportJob, status: str, *, report: list | None = None, reason: str = "") -> None:
    job.status, job.finished_at = status, timezone.now()
    job.report = report or []
    job.failure_reason = str(reason)[:200]
    # The outcome and the forgotten upload are one write: nobody sees a finished job that still
    # names its file. The file itself goes right after.
    stored, job.file = job.file.name if job.file else "", ""
    job.save(update_fields=["status", "finished_at", "report", "failure_reason", "file"])
    if stored:
        job.file.storage.delete(stored)
        checked.discard(stored, job.file.storage)


def _discard_upload(job: ImportJob) -> None:
    """The uploaded file holds personal information in the clear: keep it only while needed."""
    if job.file:
        checked.discard(job.file.name, job.file.storage)
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def recover_abandoned_imports() -> dict:
    """Find running imports whose worker died (no live session holds their lock): mark failed the
    ones whose attempt died while reading the file (never retried: the file is the likely cause)
    or that used their last attempt; queue once more the ones that died after reading it in full;
    send again the task of imports queued for longer than QUEUED_TOO_LONG (their attempt never
    started). Returns {"failed": n, "retried": n, "resent": n}. While the cache is unreachable (or
    lost the phase) the database tells whether the file was read in full (see _last_phase).

    Nothing of a dead attempt was written (its transaction died with its connection).
    """
    outcome = {"failed": 0, "retried": 0, "resent": 0}
    # A job is queued at creation and again at each retry (which sets failure_reason): its age is
    # measured from the later of its creation and its last start.
    stalled_before = timezone.now() - QUEUED_TOO_LONG
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=stalled_before).exclude(
            started_at__gte=stalled_before):
        _enqueue(job)
        outcome["resent"] += 1
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)
            if job.status != ImportJob.Status.RUNNING or is_being_processed(job):
                continue
            phase = progress.last_phase(job, progress.read_progress(job))
            with translation.override(job.language or settings.LANGUAGE_CODE):
                if _may_resume(job, phase):
                    job.attempt += 1
                    job.status = ImportJob.Status.QUEUED
                    job.failure_reason = _("The worker stopped during the import; nothing was written. Retrying.")
                    job.save(update_fields=["attempt", "status", "failure_reason"])
                    _enqueue(job)
                    outcome["retried"] += 1
                    continue
                job.status, job.finished_at = ImportJob.Status.FAILED, timezone.now()
                if phase in ("validating", "writing"):
                    job.failure_reason = _("The worker stopped during the import; nothing was written.")
                else:
                    job.failure_reason = _("The worker stopped while reading the file (it may be too large or "
                                           "damaged); nothing was written. Check or split the file and upload it again.")
                job.save(update_fields=["status", "finished_at", "failure_reason"])
                _discard_upload(job)
                outcome["failed"] += 1
    return outcome


def _import(job: ImportJob) -> None:
    """Read, validate, check and write one import: nothing is written unless every row is good."""
    actor = job.created_by
    require(actor, Capability.IMPORT_ADDRESS_BOOK)
    is_confirmed = job.confirmed_at is not None
    # Ages (M1, M2) are counted on one day for the whole file, in both passes alike.
    today = timezone.localdate()
    progress.report_progress(job, "reading", 0, 0)
    # The writing pass takes the rows the checking pass validated, while they still hold for this
    # file, these rules and this day (see checked.py); otherwise it reads and validates the file.
    parsed = checked.opened(job, today) if is_confirmed else None
    if parsed is not None:
        errors: list = []
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(parsed))
        job.total_rows = len(parsed)
        progress.report_progress(job, "validating", len(parsed), len(parsed))
    else:
        keys, data = rows.read_file(job)
        total = len(data)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
        job.total_rows = total
        parsed, errors = rows.validate_rows(job, keys, data, today=today)
        del data
    # Before the database checks, which add what they find to each row.
    validated = checked.serialised(parsed) if not is_confirmed and not errors else None

    children_found: list[int] = []
    under_working_age_found: list[int] = []
    try:
        if is_confirmed:
            _check_and_write(job, actor, parsed, errors, children_found, under_working_age_found)
        else:
            _check_and_preview(job, actor, parsed, errors, children_found, under_working_age_found,
                               keep=lambda: checked.keep(job, validated, today))
    except Rejected:
        # M2: the rows were not imported, but children under 14 the rows found among people already
        # recorded are disabled and erased at once, after the import's transaction rolled back;
        # M1: people of 14 or 15 are disabled, with a case for the manager.
        if children_found:
            minor_services.protect_children(employee_ids=children_found)
        if under_working_age_found:
            minor_services.protect_under_working_age(employee_ids=under_working_age_found)
        raise
    if is_confirmed:
        _discard_upload(job)


def _check_and_preview(job: ImportJob, actor: User, parsed: list, errors: list, children_found: list[int],
                       under_working_age_found: list[int], keep=None) -> None:
    """Check the rows against the database as the writing pass will, write nothing, and stop the
    job at READY with its preview (issue 14). Raises Rejected listing every bad row. Minors already
    recorded whom a row reveals are protected at once, as by the writing pass (M1, M2)."""
    plan = checks.Plan(actor)
    with transaction.atomic():
        errors.extend(checks.check_against_database(parsed, plan))
        # Checking may free a leaver's login for a rehire row (as the writing pass will): the
        # preview writes nothing, so that goes back.
        transaction.set_rollback(True)
    children_found.extend(plan.children_found)
    under_working_age_found.extend(plan.under_working_age_found)
    if errors:
        errors.sort(key=lambda error: (error.row, error.column))
        raise Rejected(errors)
    job.preview = preview.preview_of(parsed, plan)
    if keep is not None:
        # Before the job says READY: once it does, a cancellation may delete the upload, and rows
        # sealed after that would be left behind.
        keep()
    job.status, job.report, job.failure_reason = ImportJob.Status.READY, [], ""
    job.save(update_fields=["status", "preview", "report", "failure_reason"])
    progress.report_progress(job, "validating", len(parsed), len(parsed))


def _check_and_write(job: ImportJob, actor: User, parsed: list, errors: list, children_found: list[int],
                     under_working_age_found: list[int]) -> None:
    """In one transaction under the import lock: check the rows against the database, then write
    them. Raises Rejected (nothing written) listing every bad row; `children_found` receives the
    records of people already recorded whose rows state an age under 14 (M2),
    `under_working_age_found` those whose rows state 14 or 15 (M1)."""
    with transaction.atomic():
        # One import at a time per enterprise: the checks below stay true until the commit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_lock_keys(0)[0]])
        # Issue 14: only the positions and job levels the preview listed, and only when the
        # administrator chose to create them on confirming.
        approved = {"position": set(job.preview.get("new_positions", ())),
                    "job_level": set(job.preview.get("new_job_levels", ()))} if job.create_new_values else {}
        plan = checks.Plan(actor, approved_new_values=approved)
        errors.extend(checks.check_against_database(parsed, plan))
        children_found.extend(plan.children_found)
        under_working_age_found.extend(plan.under_working_age_found)
        if errors:
            errors.sort(key=lambda error: (error.row, error.column))
            raise Rejected(errors)
        counts = writing.write(job, parsed, plan)
        job.status, job.finished_at = ImportJob.Status.SUCCEEDED, timezone.now()
        job.created_count, job.updated_count, job.departments_created = counts
        job.report, job.failure_reason = [], ""
        job.save(update_fields=["status", "finished_at", "created_count", "updated_count", "departments_created",
                                "report", "failure_reason"])
