"""Bulk import of the address book (E7, E8): all-or-nothing, validated row by row, scoped (E5).

How an import runs
1. `start_import` refuses an upload unless the administrator confirmed that the people in the
   file were informed and consented (E8); the confirmation is stored on the job and audited.
   The request only runs cheap checks (size, content sniffing, the XLSX archive's directory:
   parts, declared sizes, compression ratios) and stores the file: no spreadsheet is ever parsed
   in a web request. The Celery task `run_import` does the rest.
2. `run_import` reads and validates every row without writing anything; then, in ONE transaction,
   checks the rows against the database (employee numbers, mobile and ID numbers in use, the
   administrator's departments) and writes departments, accounts and employees in bulk. Any bad
   row means nothing is written; the report lists every bad row with its column and reason (never
   the cell's value).
3. The worker holds a PostgreSQL advisory lock for the job while it runs. A worker that dies (even
   by SIGKILL) loses its connection, so PostgreSQL rolls its transaction back and drops the lock:
   `recover_abandoned_imports` finds such jobs and tells two deaths apart by the phase the
   attempt last reported: an attempt that died while *reading* the file (the only phase whose
   memory depends on the file's content) is marked failed at once, naming the file as the likely
   cause, and never retried into another crash; one that died later (the file was read within
   every limit, so the file is not the suspect) is queued once more, up to MAX_ATTEMPTS. It also
   sends again the task of a job still queued after QUEUED_TOO_LONG (a message the broker lost,
   i.e. an attempt that never started); a repeated delivery of the same attempt does nothing, so
   sending twice is harmless.
4. Reading is bounded before it starts (orgdata.tabular's hard limits) and the attempt runs under
   a memory ceiling (MEMORY_BUDGET_BYTES of address space above what the worker already uses):
   a MemoryError fails the import at once with a message, after that one attempt.
5. While an attempt runs, a thread writes a heartbeat to the cache every HEARTBEAT_SECONDS; when it
   stops for HEARTBEAT_STALE_SECONDS the console says the import was interrupted (and whether it
   resumes) long before the recovery job runs.
Progress (phase, rows done, rows in total) goes to the cache, because the writing transaction is
invisible to everyone else until it commits.
6. While the cache Redis is unreachable (core.process_cache.redis_breaker) imports still run:
   progress and heartbeats are not written, the console shows the job's status from the database
   without progress numbers (and never calls an import interrupted only because its heartbeat
   cannot be read), and recovery takes the phase from the database (`total_rows` is committed once
   the file was read in full).
"""
from __future__ import annotations

import gc
import logging
import threading
import time
import zlib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.actors import SystemActor
from access.capabilities import Capability, Scope, may, require, scope_of
from accounts import services as account_services
from accounts.models import User
from audit.context import Actor, acting_as
from consent import services as consent_services
from orgdata import tabular, validators
from orgdata.columns import COLUMNS, COLUMNS_BY_KEY, DEPARTMENT_SEPARATOR, column_for_header, header_aliases
from orgdata.models import Department, Employee, ImportJob, JobLevel, Position
from orgdata.selectors import scope as scope_selectors
from orgdata.services.employees import (
    ID_NUMBER_LEGAL_BASIS,
    ID_NUMBER_PURPOSE,
    ID_NUMBER_REFERENCE,
    check_birth_date_against_record,
    clean_employee_values,
)
from privacy.crypto import blind_index, blind_indexer, encrypt_with
from privacy.fields import sealed_value
from core.bulk_rows import RowTemplate, allocate_ids, qualified_table
from core.errors import DomainError
from core.process_cache import redis_breaker

logger = logging.getLogger(__name__)

# E8: shown next to the upload button and stored, word for word, with each import.
CONSENT_STATEMENT = gettext_lazy(
    "I confirm that every person in this file was informed that the enterprise processes their "
    "personal information in this address book, and consented to it."
)
MAX_UPLOAD_BYTES = tabular.MAX_UPLOAD_BYTES
MAX_ROWS = tabular.MAX_DATA_ROWS
# The first attempt and, only when it died after the file was fully read, one more (see above).
MAX_ATTEMPTS = 2
MEMORY_BUDGET_BYTES = 1536 * 1024 * 1024  # address space an attempt may add (settings may lower it)
HEARTBEAT_SECONDS = 3
HEARTBEAT_STALE_SECONDS = 15
QUEUED_TOO_LONG = timedelta(minutes=10)
BATCH = 2000
WRITE_BATCH = 5000  # new people per round of COPY statements
_ADVISORY_NAMESPACE = "orgdata-import"
# The worker creates the departments an accepted import names; the plan already checked them
# against the importing administrator's scope.
IMPORT_WORKER = SystemActor("address-book import")


class ImportRefused(DomainError):
    code = "invalid_import"


@dataclass
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


class _Rejected(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


# --- starting an import ---------------------------------------------------------------------

def start_import(*, actor: User, upload, consent_confirmed: bool, language: str = "") -> ImportJob:
    """Accept an address-book file for import and start it (E7, E8).

    Refuses without the consent confirmation (E8), a non-administrator, an empty or oversized
    file, a file that is neither CSV nor XLSX, and an XLSX archive whose directory breaks a hard
    limit (too many parts, too large unpacked, a part compressed like a zip bomb). Never parses a
    cell: the job is queued for the worker once it is committed, and returned still queued.
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
    except tabular.UnreadableFile as error:
        raise ValidationError({"file": [str(error)]})

    from audit.recording import record_event

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
    from orgdata.tasks import run_import as run_import_task

    queue = getattr(settings, "ORGDATA_IMPORT_QUEUE", None) or settings.CELERY_TASK_DEFAULT_QUEUE
    transaction.on_commit(lambda: run_import_task.apply_async((job.pk, job.attempt), queue=queue))


# --- progress and the job lock ----------------------------------------------------------------

def _progress_key(job_id: int) -> str:
    # The default cache prefixes every key with the schema, so job ids of two enterprises differ.
    return f"orgdata:import-progress:{job_id}"


# What a cache read returns while the cache Redis is unreachable: not "nothing stored", but "unknown".
_UNKNOWN = object()


def _cache_write(operation) -> None:
    """Progress and heartbeats are skipped while the cache Redis is unreachable: an import does not
    depend on them, and the breaker keeps each write from waiting for a timeout."""
    redis_breaker.call(operation)


def _cache_read(key: str):
    """The cached value (None when nothing is stored), or _UNKNOWN while the cache Redis is unreachable."""
    return redis_breaker.call(lambda: cache.get(key), on_failure=_UNKNOWN)


def _report_progress(job: ImportJob, phase: str, done: int, total: int) -> None:
    _cache_write(lambda: cache.set(_progress_key(job.pk), {
        "phase": phase, "done": done, "total": total, "attempt": job.attempt, "at": timezone.now().isoformat()}, 3600))


def _last_phase(job: ImportJob, live) -> str | None:
    """The phase the attempt last reported; without it (cache unreachable or emptied) the database
    knows one thing: `total_rows` is committed once the file was read in full."""
    phase = live.get("phase") if isinstance(live, dict) else None
    return phase or ("validating" if job.total_rows else None)


def import_progress(job: ImportJob) -> dict:
    """Live progress for the console: phase, rows done and in total, percentage, and the state.

    While the cache is unreachable the status comes from the database alone: `is_progress_known`
    is false and `done` and `percent` are None (unless the status itself says them: queued, or
    imported); an import is not called interrupted because its heartbeat cannot be read.
    """
    cached = _cache_read(_progress_key(job.pk))
    live = {} if cached is _UNKNOWN else (cached or {})
    is_progress_known = cached is not _UNKNOWN or job.status in (ImportJob.Status.QUEUED, ImportJob.Status.SUCCEEDED)
    total = job.total_rows or live.get("total") or 0
    if job.is_finished:
        done = total if job.status == ImportJob.Status.SUCCEEDED else live.get("done", 0)
        phase = job.status
    else:
        done, phase = live.get("done", 0), live.get("phase", "queued")
    # Reading counts for half, writing for the other half.
    weights = {"reading": (0, 0.1), "validating": (0.1, 0.4), "writing": (0.5, 0.5)}
    start, share = weights.get(phase, (1.0 if job.status == ImportJob.Status.SUCCEEDED else 0, 0))
    percent = min(int(100 * (start + share * (done / total if total else 0))), 100)
    if not is_progress_known:
        done = percent = None
        phase = job.status
    # Interrupted only when the heartbeat is known to be stale, never when it cannot be read.
    is_interrupted = job.status == ImportJob.Status.RUNNING and has_heartbeat(job) is False
    interruption = ""
    if is_interrupted:
        interruption = (_("Interrupted — resuming.") if _may_resume(job, _last_phase(job, cached))
                        else _("Interrupted — the worker stopped; the import will be marked failed."))
    return {"status": job.status, "phase": phase, "done": done, "total": total, "percent": percent,
            "is_progress_known": is_progress_known,
            "attempt": job.attempt, "is_finished": job.is_finished, "is_worker_alive": is_being_processed(job),
            "is_interrupted": is_interrupted, "interruption": str(interruption),
            "error_count": len(job.report), "failure_reason": job.failure_reason}


def _heartbeat_key(job_id: int) -> str:
    return f"orgdata:import-heartbeat:{job_id}"


def has_heartbeat(job: ImportJob) -> bool | None:
    """Whether the attempt running the job reported itself alive within HEARTBEAT_STALE_SECONDS;
    None while the cache is unreachable (unknown, which is not stale)."""
    beat = _cache_read(_heartbeat_key(job.pk))
    if beat is _UNKNOWN:
        return None
    return bool(beat) and beat.get("attempt") == job.attempt and time.time() - beat.get("at", 0) <= HEARTBEAT_STALE_SECONDS


def _may_resume(job: ImportJob, phase: str | None) -> bool:
    """An attempt that died after the file was read in full is retried once; one that died while
    reading it (or before it said where it was) is not: the file is the likely cause."""
    return phase in ("validating", "writing") and job.attempt < MAX_ATTEMPTS and bool(job.file)


@contextmanager
def _heartbeat(job: ImportJob):
    """A thread that tells the cache every HEARTBEAT_SECONDS that this attempt is alive; it dies
    with the process, so a killed worker stops beating at once. Beats are skipped while the cache
    is unreachable (the import goes on)."""
    from django.db import connection as thread_connection
    from django_tenants.utils import schema_context

    schema, key, attempt = connection.schema_name, _heartbeat_key(job.pk), job.attempt
    stopped = threading.Event()

    def beat():
        try:
            with schema_context(schema):  # the cache key carries the schema of the thread's connection
                while True:
                    _cache_write(lambda: cache.set(key, {"attempt": attempt, "at": time.time()},
                                                   HEARTBEAT_STALE_SECONDS * 4))
                    if stopped.wait(HEARTBEAT_SECONDS):
                        break
                _cache_write(lambda: cache.delete(key))
        except Exception as error:  # a missing heartbeat only changes what the console says
            logger.warning("import %s heartbeat stopped: %s", job.pk, type(error).__name__)
        finally:
            thread_connection.close()

    _cache_write(lambda: cache.set(key, {"attempt": attempt, "at": time.time()}, HEARTBEAT_STALE_SECONDS * 4))
    thread = threading.Thread(target=beat, name=f"import-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=HEARTBEAT_SECONDS + 5)


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
        yield  # not Linux: no ceiling, the hard limits of orgdata.tabular still hold
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

    Outcome on the job: SUCCEEDED (everything written), REJECTED (bad rows, nothing written,
    report filled) or FAILED (an unexpected error; nothing written). Never raises for a bad file.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.attempt != attempt or job.status != ImportJob.Status.QUEUED:
        return job  # a stale or repeated delivery: the job moved on
    with _job_lock(job.pk) as acquired:
        if not acquired:
            return job
        job.refresh_from_db()
        if job.attempt != attempt or job.status != ImportJob.Status.QUEUED:
            return job
        # The phase is known before the status says "running": recovery reads it (see above).
        _report_progress(job, "reading", 0, 0)
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
        with translation.override(job.language or settings.LANGUAGE_CODE), _heartbeat(job):
            try:
                # Whatever the import writes is recorded as the uploading administrator's act.
                with acting_as(Actor.for_user(job.created_by)), _without_cycle_collection(), _memory_ceiling():
                    _import(job)
            except _Rejected as rejection:
                _finish(job, ImportJob.Status.REJECTED, report=[error.as_dict() for error in rejection.errors])
            except tabular.FileRefused as error:  # a hard limit: the message names it
                _finish(job, ImportJob.Status.FAILED, reason=str(error))
            except tabular.UnreadableFile as error:
                _finish(job, ImportJob.Status.REJECTED, report=[RowError(0, "", str(error)).as_dict()])
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


def _discard_upload(job: ImportJob) -> None:
    """The uploaded file holds personal information in the clear: keep it only while needed."""
    if job.file:
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
            phase = _last_phase(job, _cache_read(_progress_key(job.pk)))
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


# --- reading and validating rows ------------------------------------------------------------

@dataclass
class _Row:
    number: int  # as the administrator sees it in the spreadsheet (header is row 1)
    values: dict[str, Any] = field(default_factory=dict)  # cleaned, only non-empty cells
    department: str = ""
    position: str = ""
    job_level: str = ""


def _parse_date(value) -> date:
    # The one date parser, so a file accepts exactly the dates the console and the API accept.
    return validators.parse_date(value)


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices:
        lookup[value.lower()] = value
        with translation.override("en"):
            lookup[str(label).lower()] = value
        with translation.override("zh-hans"):
            lookup[str(label).lower()] = value
    return lookup


_SHORT_GENDERS = {"男": "male", "女": "female", "m": "male", "f": "female"}


def _read(job: ImportJob) -> tuple[list[str], list[tuple[int, list]]]:
    """The file's column keys and its non-empty data rows (with spreadsheet row numbers).

    A file beyond a hard limit of orgdata.tabular raises FileRefused (the job fails with its
    message); a cell that cannot be imported at all (e.g. a NUL in a CSV cell) is reported with its
    row and column."""
    header: list = []
    with job.file.open("rb") as stream:
        rows = tabular.read_rows(stream, job.file_format)
        try:
            header = next(rows, None)
            if header is None:
                raise _Rejected([RowError(1, "", _("The file is empty."))])
            keys = _header_keys(header)
            width = len(keys)
            data = []
            for number, row in enumerate(rows, start=2):
                if not any(tabular.cell_text(cell) for cell in row):
                    continue
                # Cells right of the header are never read: not kept either.
                data.append((number, row if len(row) <= width else row[:width]))
                if len(data) > MAX_ROWS:
                    raise tabular.FileRefused(_("The file has more than %(limit)s rows; split it.")
                                              % {"limit": f"{MAX_ROWS:,}"})
        except tabular.BadCell as bad:
            raise _Rejected([RowError(bad.row, _column_name(bad.column, header), str(bad))])
    if not data:
        raise _Rejected([RowError(2, "", _("The file has no rows to import."))])
    return keys, data


def _header_keys(header: list) -> list[str | None]:
    aliases = header_aliases()
    keys, errors = [], []
    for title in header:
        text = tabular.cell_text(title)
        key = column_for_header(text, aliases) if text else None
        if text and key is None:
            errors.append(RowError(1, text[:50], _("Unknown column. Use the columns of the sample file.")))
        elif key is not None and key in keys:
            errors.append(RowError(1, str(COLUMNS_BY_KEY[key].label), _("This column appears twice.")))
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys:
            errors.append(RowError(1, str(column.label), _("This required column is missing.")))
    if errors:
        raise _Rejected(errors)
    return keys


def _column_name(column: int, header: list | None) -> str:
    """A column as the administrator knows it: its header, or its spreadsheet letters."""
    if column <= 0:
        return ""
    if header and column <= len(header) and tabular.cell_text(header[column - 1]):
        return tabular.cell_text(header[column - 1])[:50]
    return tabular.column_letters(column)


_DATE_KEYS = frozenset(("entry_date", "date_of_birth"))
_ROW_ATTRIBUTES = frozenset(("department", "position", "job_level"))
_REQUIRED_KEYS = frozenset(column.key for column in COLUMNS if column.required)


def _validate(keys: list[str], number: int, cells: list, lookups: dict,
              date_memo: dict | None = None) -> tuple[_Row, list[RowError]]:
    row, errors, raw = _Row(number), [], {}
    if date_memo is None:
        date_memo = {}
    cell_text, width = tabular.cell_text, len(cells)
    for index, key in enumerate(keys):
        if key is None:
            continue
        value = cells[index] if index < width else None
        text = cell_text(value)
        if key in _DATE_KEYS:
            if text:
                try:
                    # Dates repeat a lot (a few thousand days for 100,000 people): parsed once each.
                    parsed = date_memo.get(value) if type(value) is str else None
                    if parsed is None:
                        parsed = _parse_date(value)
                        if type(value) is str:
                            date_memo[value] = parsed
                    raw[key] = parsed
                except ValidationError as error:
                    errors.append(RowError(number, str(COLUMNS_BY_KEY[key].label), error.messages[0]))
            continue
        if key in _ROW_ATTRIBUTES:
            # Names as every other path cleans them (invisible and bidi characters out, spaces
            # collapsed), each part of a department path on its own.
            if key == "department":
                text = DEPARTMENT_SEPARATOR.join(validators.clean_name_text(part)
                                                 for part in text.split(DEPARTMENT_SEPARATOR)) if text else ""
            else:
                text = validators.clean_name_text(text)
            setattr(row, key, text)
            continue
        if text and key in lookups:
            mapped = lookups[key].get(text.lower()) or (_SHORT_GENDERS.get(text.lower()) if key == "gender" else None)
            text = mapped or text
        if text or key in _REQUIRED_KEYS:
            raw[key] = text
    # Most files hold mobile numbers in canonical form: checked without parsing (same verdict).
    mobile = validators.canonical_mainland_mobile(raw["mobile"]) if raw.get("mobile") else None
    if mobile:
        del raw["mobile"]
    try:
        row.values = clean_employee_values(raw)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.extend(RowError(number, str(COLUMNS_BY_KEY[key].label), message) for message in messages)
        # Keep the row's good values, so duplicates of them are reported too.
        try:
            row.values = clean_employee_values({k: v for k, v in raw.items() if k not in error.message_dict})
        except ValidationError:
            row.values = {}
    if mobile:
        row.values["mobile"] = mobile
    if row.department:
        parts = [part.strip() for part in row.department.split(DEPARTMENT_SEPARATOR)]
        if any(not part or len(part) > 100 for part in parts):
            errors.append(RowError(number, str(COLUMNS_BY_KEY["department"].label),
                                   _("Write the department as its path, e.g. Headquarters/R&D/Back end.")))
    for key in ("position", "job_level"):
        if len(getattr(row, key)) > (100 if key == "position" else 50):
            errors.append(RowError(number, str(COLUMNS_BY_KEY[key].label), _("This value is too long.")))
    return row, errors


# --- checking against the database and writing -------------------------------------------------

class _Plan:
    """What the import will do, worked out under the import lock before anything is written."""

    def __init__(self, actor: User):
        self.actor = actor
        self.is_manager = scope_of(actor, Capability.IMPORT_ADDRESS_BOOK) is Scope.EVERYTHING
        visible = scope_selectors.departments_visible_to(actor)
        self.visible_department_ids = set(visible.values_list("pk", flat=True))
        self.departments = {(d.parent_id, d.name): d for d in Department.objects.all()}
        self.new_department_paths: set[tuple[str, ...]] = set()
        self.positions = {p.name: p for p in Position.objects.all()}
        self.job_levels = {level.name: level for level in JobLevel.objects.all()}
        self.new_positions: set[str] = set()
        self.new_job_levels: set[str] = set()

    def resolve_department(self, label: str) -> tuple[Department | tuple | None, str]:
        """An existing department, or the path of names to create; or an error message."""
        parts = tuple(part.strip() for part in label.split(DEPARTMENT_SEPARATOR))
        parent, deepest_existing = None, None
        for depth, name in enumerate(parts):
            found = self.departments.get((parent.pk if parent else None, name))
            if found is None:
                if not self.is_manager and (deepest_existing is None
                                            or deepest_existing.pk not in self.visible_department_ids):
                    return None, _("This department is outside your departments.")
                for extra in range(depth + 1, len(parts) + 1):
                    self.new_department_paths.add(parts[:extra])
                return parts, ""
            parent = deepest_existing = found
        if not self.is_manager and parent.pk not in self.visible_department_ids:
            return None, _("This department is outside your departments.")
        return parent, ""


def _import(job: ImportJob) -> None:
    actor = job.created_by
    require(actor, Capability.IMPORT_ADDRESS_BOOK)
    _report_progress(job, "reading", 0, 0)
    keys, data = _read(job)
    total = len(data)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
    job.total_rows = total

    lookups = {"work_status": _choice_lookup(Employee.WorkStatus.choices),
               "gender": _choice_lookup(Employee.Gender.choices),
               "education": _choice_lookup(Employee.Education.choices)}
    rows: list[_Row] = []
    errors: list[RowError] = []
    parsed_dates: dict[str, date] = {}
    for index, (number, cells) in enumerate(data, start=1):
        row, row_errors = _validate(keys, number, cells, lookups, parsed_dates)
        rows.append(row)
        errors.extend(row_errors)
        if index % BATCH == 0:
            _report_progress(job, "validating", index, total)
    _report_progress(job, "validating", total, total)
    del data

    with transaction.atomic():
        # One import at a time per enterprise: the checks below stay true until the commit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_lock_keys(0)[0]])
        plan = _Plan(actor)
        errors.extend(_check_against_database(rows, plan))
        if errors:
            errors.sort(key=lambda error: (error.row, error.column))
            raise _Rejected(errors)
        counts = _write(job, rows, plan)
        job.status, job.finished_at = ImportJob.Status.SUCCEEDED, timezone.now()
        job.created_count, job.updated_count, job.departments_created = counts
        job.report, job.failure_reason = [], ""
        job.save(update_fields=["status", "finished_at", "created_count", "updated_count", "departments_created",
                                "report", "failure_reason"])
    _discard_upload(job)


def _check_against_database(rows: list[_Row], plan: _Plan) -> list[RowError]:
    label = {key: str(column.label) for key, column in COLUMNS_BY_KEY.items()}
    errors: list[RowError] = []
    numbers = [row.values.get("employee_number") for row in rows if row.values.get("employee_number")]
    # One query per column with an array parameter (= ANY), not thousands of IN placeholders.
    found = [pk for _number, pk in _column_matches(Employee, "employee_number", numbers)]
    existing = {}
    for start in range(0, len(found), 5000):
        for employee in Employee.objects.filter(pk__in=found[start:start + 5000]).select_related("account"):
            existing[employee.employee_number] = employee
    visible_ids = set()
    if existing and not plan.is_manager:
        visible_ids = set(scope_selectors.employees_visible_to(plan.actor).filter(
            pk__in=[employee.pk for employee in existing.values()]).values_list("pk", flat=True))
    mobiles = [row.values["mobile"] for row in rows if row.values.get("mobile")]
    mobile_owners = account_services.existing_mobile_owners(mobiles)
    id_numbers = [row.values["id_number"] for row in rows if row.values.get("id_number")]
    index_of = blind_indexer("id_number")
    number_by_index = {index_of(id_number): id_number for id_number in id_numbers}
    id_owners = {number_by_index[index]: pk
                 for index, pk in _column_matches(Employee, "id_number_index", list(number_by_index))}

    seen: dict[str, dict[str, int]] = defaultdict(dict)
    resolved_departments: dict[str, tuple] = {}
    for row in rows:
        number = row.values.get("employee_number")
        employee = existing.get(number) if number else None
        row.values["_existing"] = employee
        if employee is not None and not plan.is_manager and employee.pk not in visible_ids:
            errors.append(RowError(row.number, label["employee_number"],
                                   _("This employee number belongs to someone outside your departments.")))
        elif employee is not None and not may(plan.actor, Capability.EDIT_IDENTITY_RECORD, target=employee.account):
            # E5: as in update_employee, an administrator's record (their login) is the manager's to change.
            errors.append(RowError(row.number, label["employee_number"],
                                   _("Only the enterprise manager can change an administrator's record.")))
        if employee is not None:
            try:
                check_birth_date_against_record(row.values, employee)
            except ValidationError as error:
                errors.extend(RowError(row.number, label[key], message)
                              for key, messages in error.message_dict.items() for message in messages)
        for key in ("employee_number", "mobile", "id_number"):
            value = row.values.get(key)
            if not value:
                continue
            first = seen[key].setdefault(value, row.number)
            if first != row.number:
                errors.append(RowError(row.number, label[key],
                                       _("The same value is already in row %(row)d.") % {"row": first}))
        owner = mobile_owners.get(row.values.get("mobile"))
        if owner is not None and (employee is None or owner != employee.account_id):
            errors.append(RowError(row.number, label["mobile"], _("Another account already uses this mobile number.")))
        id_owner = id_owners.get(row.values.get("id_number"))
        if id_owner is not None and (employee is None or id_owner != employee.pk):
            errors.append(RowError(row.number, label["id_number"],
                                   _("Another employee already has this resident ID number.")))
        if row.department:
            # 300 departments for 100,000 people: each path is resolved once.
            outcome = resolved_departments.get(row.department)
            if outcome is None:
                outcome = resolved_departments[row.department] = plan.resolve_department(row.department)
            resolved, problem = outcome
            if problem:
                errors.append(RowError(row.number, label["department"], problem))
            row.values["_department"] = resolved
        elif employee is None and not plan.is_manager:
            errors.append(RowError(row.number, label["department"], _("Choose one of your departments.")))
        for key, known, new in (("position", plan.positions, plan.new_positions),
                                ("job_level", plan.job_levels, plan.new_job_levels)):
            name = getattr(row, key)
            if name and name not in known:
                if plan.is_manager:
                    new.add(name)
                else:
                    errors.append(RowError(row.number, label[key],
                                           _("Unknown value; ask the enterprise manager to add it first.")))
    return errors


def _column_matches(model, column: str, values: list) -> list[tuple[Any, int]]:
    """(value, id) of the rows of `model` whose `column` holds one of `values`."""
    if not values:
        return []
    name = connection.ops.quote_name(model._meta.get_field(column).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name}, id FROM {qualified_table(model)} WHERE {name} = ANY(%s)", [values])
        return cursor.fetchall()


def _write(job: ImportJob, rows: list[_Row], plan: _Plan) -> tuple[int, int, int]:
    from audit.recording import record_bulk
    from orgdata.services.departments import create_department

    total = len(rows)
    _report_progress(job, "writing", 0, total)
    created_departments = {}
    for path in sorted(plan.new_department_paths, key=len):
        parent = created_departments.get(path[:-1]) if len(path) > 1 else None
        if parent is None and len(path) > 1:
            parent = _existing_department(plan, path[:-1])
        created_departments[path] = create_department(name=path[-1], parent=parent, actor=IMPORT_WORKER)
    next_rank = (JobLevel.objects.order_by("-rank").values_list("rank", flat=True).first() or 0) + 1
    for name in sorted(plan.new_positions):
        plan.positions[name] = Position.objects.create(name=name)
    for offset, name in enumerate(sorted(plan.new_job_levels)):
        plan.job_levels[name] = JobLevel.objects.create(name=name, rank=next_rank + offset)

    def department_of(row: _Row):
        resolved = row.values.pop("_department", None)
        if isinstance(resolved, tuple):
            return created_departments[resolved]
        return resolved

    new_rows = [row for row in rows if row.values.get("_existing") is None]
    updates = [row for row in rows if row.values.get("_existing") is not None]

    # New people: accounts first (E2), then their records, in batches, with PostgreSQL COPY.
    # Neither sends model signals, so the consent gate's save-time guard would not see them:
    # refuse outright if any field written here is gated (none is: name and mobile number serve
    # the basic functions, C1, and the employee record is the enterprise's).
    _require_ungated_bulk_models()
    done = 0
    writer = _EmployeeRows()
    # C12: the people whose resident ID number this import writes (see employees.ID_NUMBER_PURPOSE).
    id_number_holders: list[int] = []
    for start in range(0, len(new_rows), WRITE_BATCH):
        batch = new_rows[start:start + WRITE_BATCH]
        accounts = account_services.create_accounts_in_bulk(
            people=[(row.values["mobile"], row.values["display_name"]) for row in batch])
        id_number_holders.extend(account.pk for row, account in zip(batch, accounts) if row.values.get("id_number"))
        employee_ids_by_fields = writer.copy(batch, accounts, department_of, plan)
        record_bulk(model=User, action="create", object_ids=[account.pk for account in accounts],
                    changed_fields=["mobile", "display_name", "role"])
        for fields, employee_ids in employee_ids_by_fields.items():
            record_bulk(model=Employee, action="create", object_ids=employee_ids, changed_fields=fields)
        done += len(batch)
        _report_progress(job, "writing", done, total)

    # Existing people: correct what differs; empty cells leave a value as it was.
    by_fields: dict[tuple[str, ...], list[Employee]] = defaultdict(list)
    for row in updates:
        employee = row.values.pop("_existing")
        identity = {key: row.values[key] for key in ("mobile", "display_name")
                    if row.values.get(key) and row.values[key] != getattr(employee.account, key)}
        if identity:
            account_services.correct_account_identity(account=employee.account, **identity)
        values = {key: value for key, value in row.values.items()
                  if not key.startswith("_") and key not in ("mobile", "display_name", "employee_number")}
        if row.department:
            values["department"] = department_of(row)
        if row.position:
            values["position"] = plan.positions[row.position]
        if row.job_level:
            values["job_level"] = plan.job_levels[row.job_level]
        changed = tuple(sorted(key for key, value in values.items() if getattr(employee, key) != value))
        for key in changed:
            setattr(employee, key, values[key])
        if "id_number" in changed:
            if employee.id_number:
                id_number_holders.append(employee.account_id)
            # bulk_update writes encrypted values only as sealed tokens, and fills no blind index.
            employee.id_number_index = blind_index("id_number", employee.id_number)
            employee.id_number = sealed_value(employee, "id_number")
            changed = tuple(sorted({*changed, "id_number_index"}))
        if changed:
            by_fields[changed].append(employee)
        done += 1
        if done % BATCH == 0:
            _report_progress(job, "writing", done, total)
    updated = 0
    for fields, employees in by_fields.items():
        now = timezone.now()
        for employee in employees:
            employee.updated_at = now
        Employee.objects.bulk_update(employees, [*fields, "updated_at"], batch_size=BATCH)
        record_bulk(model=Employee, action="update", object_ids=[employee.pk for employee in employees],
                    changed_fields=list(fields))
        updated += len(employees)
    consent_services.record_legal_basis_in_bulk(
        person_ids=id_number_holders, purpose_code=ID_NUMBER_PURPOSE, basis=ID_NUMBER_LEGAL_BASIS,
        reference=ID_NUMBER_REFERENCE, recorded_by=plan.actor)
    _report_progress(job, "writing", total, total)
    return len(new_rows), len(updates), len(created_departments)


def _require_ungated_bulk_models() -> None:
    """COPY sends no pre_save, so the consent gate's model guard never sees these rows: refuse
    outright if any purpose (of the code catalogue or added here at runtime) covers a column written."""
    from consent.gate import fields_needing_consent

    for model in (User, Employee):
        gated = fields_needing_consent(model, [field.name for field in model._meta.concrete_fields])
        if gated:
            raise RuntimeError(f"{model._meta.label} fields {gated} are consent-gated: "
                               "the bulk import would bypass the gate")


class _EmployeeRows:
    """Writes new employee records with COPY (core.bulk_rows): the ID number encrypted under the
    person's key (the account's) with its blind index; every other column as the row sets it or at
    its model default."""

    def __init__(self):
        self.template = RowTemplate(Employee)
        self.context = f"{Employee._meta.label}.id_number"
        self.index_of = blind_indexer("id_number")

    def copy(self, batch: list[_Row], accounts, department_of, plan: _Plan) -> dict[tuple[str, ...], list[int]]:
        """Write one batch; returns {changed field names: [employee id, ...]} for the audit log."""
        template, context, index_of = self.template, self.context, self.index_of
        position = template.position
        at_id, at_account, at_key = position("id"), position("account_id"), position("person_key_id")
        at_id_number, at_id_index = position("id_number"), position("id_number_index")
        related_columns = [(position("department_id"), "department"), (position("position_id"), "position"),
                           (position("job_level_id"), "job_level")]
        ids = allocate_ids(Employee, len(batch))
        by_written: dict[tuple[str, ...], list[int]] = defaultdict(list)
        with template.copy() as copy:
            for row, account, employee_id in zip(batch, accounts, ids):
                values = template.row()
                written = ["account", "employee_number"]
                for key, value in row.values.items():
                    if key[0] == "_" or key == "mobile" or key == "display_name":
                        continue
                    values[position(key)] = value
                    if value is not None and value != "":
                        written.append(key)
                id_number = row.values.get("id_number")
                if id_number:
                    # Each record shares its account's data key (see Employee.person_key).
                    values[at_id_number] = encrypt_with(account.cipher, id_number, key_id=account.person_key_id,
                                                        context=context)
                    values[at_id_index] = index_of(id_number)
                else:
                    values[at_id_number] = values[at_id_index] = None
                values[at_id], values[at_account], values[at_key] = employee_id, account.pk, account.person_key_id
                related = (department_of(row), plan.positions.get(row.position), plan.job_levels.get(row.job_level))
                for (at, name), target in zip(related_columns, related):
                    if target is not None:
                        values[at] = target.pk
                        written.append(name)
                copy.write_row(values)
                by_written[tuple(written)].append(employee_id)
        by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for written, employee_ids in by_written.items():
            by_fields[tuple(sorted(set(written)))].extend(employee_ids)
        return by_fields


def _existing_department(plan: _Plan, path: tuple[str, ...]) -> Department:
    parent = None
    for name in path:
        parent = plan.departments[(parent.pk if parent else None, name)]
    return parent


# --- the sample file ----------------------------------------------------------------------------

def sample_template(file_format: str) -> bytes:
    """A file with every column (in the current language) and one example row."""
    header = [f"{column.label}{'*' if column.required else ''}" for column in COLUMNS]
    example = {
        "employee_number": "E0001", "display_name": "张三", "mobile": "13800138000",
        "department": _("Headquarters") + DEPARTMENT_SEPARATOR + _("R&D"), "position": _("Engineer"),
        "job_level": "P5", "entry_date": "2024-03-01", "work_status": str(Employee.WorkStatus.WORKING.label),
        "date_of_birth": "1990-03-07", "id_number": "110105199003078035", "landline": "010-62345678",
        "email": "zhangsan@example.com", "gender": str(Employee.Gender.MALE.label),
        "education": str(Employee.Education.BACHELOR.label),
    }
    row = [example.get(column.key, "") for column in COLUMNS]
    if file_format == "xlsx":
        text = [index for index, column in enumerate(COLUMNS)
                if column.key in ("employee_number", "mobile", "id_number", "landline", "qq")]
        return tabular.write_xlsx(header, [row], sheet_title=str(_("Address book")), text_columns=text)
    return tabular.write_csv(header, [row])
