"""Export of the address book (E7), scoped to the exporter (E5) and masked by default (X2).

An export is a read, but revealing unmasked values is an act the audit log records, so it lives
with the services. The console's export runs in the background (issue 14): `start_export` queues
an ExportJob, the worker's `run_export` writes the file under the enterprise's media path with its
progress on the job, `export_download` hands it to the administrator who asked for it (audited),
and `expire_exports` deletes each file EXPORT_KEPT_FOR after it was made.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from access.capabilities import Capability, may, require
from accounts.models import User
from audit.context import Actor, acting_as
from audit.recording import record_bulk, record_event
from core import tabular
from core.errors import DomainError, NotPermitted
from orgdata.columns import COLUMNS
from orgdata.models import Employee, ExportJob
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import scope as scope_selectors
from privacy.disclosure import masked_fields, plain_value_shower
from privacy.keys import reading_person_keys

logger = logging.getLogger("orgdata.services.exports")

# Where each exported personal value is stored; its declaration says how it is masked.
_ACCOUNT_FIELDS = ("display_name", "mobile")
# The file holds personal information (unmasked, when asked for): kept only this long.
EXPORT_KEPT_FOR = timedelta(hours=1)
# A running export whose worker died is failed after this long (its file was never written).
EXPORT_STALLED_AFTER = timedelta(minutes=30)
_CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    row_count: int
    is_unmasked: bool


def export_address_book(*, actor: User, file_format: str, unmasked: bool = False, search: str = "",
                        department=None, employee_ids: list[int] | None = None) -> ExportFile:
    """The people `actor` administers (optionally narrowed like the employee list), as CSV or XLSX.

    Every value is shown as the disclosure policy shows it to the actor on any surface (mobile,
    resident ID number, landline and email masked), unless `unmasked` is asked for AND the actor
    holds the unmask permission: the bulk reveal path, recorded in the audit log as one
    "view_unmasked" entry per exported person (object id = the employee), naming the revealed
    fields. `employee_ids` narrows it to those people (the list's selection; still within scope).
    Refuses non-administrators and an unmask request without the permission.
    """
    _check_export(actor, file_format, unmasked)
    people = address_book_selectors.search_employees(scope_selectors.employees_visible_to(actor), text=search, department=department)
    if employee_ids is not None:
        people = people.filter(pk__in=employee_ids)
    header, rows = _address_book_rows(actor, people, unmasked=unmasked)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(f"address-book-{stamp}.{file_format}", _CONTENT_TYPES[file_format],
                      _file_content(file_format, header, rows), len(rows), unmasked)


def _check_export(actor: User, file_format: str, unmasked: bool) -> None:
    require(actor, Capability.EXPORT_ADDRESS_BOOK)
    if unmasked and not may(actor, Capability.UNMASK_SENSITIVE_VALUES):
        raise NotPermitted(_("You may not export unmasked contact details or ID numbers."))
    if file_format not in _CONTENT_TYPES:
        raise DomainError(_("Choose CSV or XLSX."))


def _address_book_rows(actor: User, people, *, unmasked: bool, on_progress=None) -> tuple[list[str], list[list]]:
    """The header and one row per person of `people` (already scoped to `actor`), masked unless
    `unmasked` (checked by the caller); an unmasked export is recorded person by person.

    Read as plain values, a chunk at a time with its people's data keys unwrapped first, and each
    column's masking decided once (issue 14: 100,000 people in seconds, not minutes)."""
    keyed = list(people.order_by("employee_number").values_list("pk", "person_key_id", "employee_number"))
    columns = [_column_reader(column.key, actor=actor, unmasked=unmasked) for column in COLUMNS]
    sources = list(dict.fromkeys(source for source, _show in columns))
    at = {source: index for index, source in enumerate(sources, start=1)}
    readers = [(at[source], show) for source, show in columns]
    header = [str(column.label) for column in COLUMNS]
    rows: list[list] = []
    for start in range(0, len(keyed), _CHUNK):
        part = keyed[start:start + _CHUNK]
        # The chunk as a range of employee numbers (unique, indexed), not thousands of ids.
        chunk = people.filter(employee_number__gte=part[0][2], employee_number__lte=part[-1][2])
        with reading_person_keys(key_id for _pk, key_id, _number in part):
            for values in chunk.order_by("employee_number").values_list("pk", *sources):
                rows.append([show(values[index]) for index, show in readers])
        if on_progress is not None:
            on_progress(len(rows))
    if unmasked and rows:
        # X2/X4: whose values left unmasked, person by person (as a single reveal in the console
        # is recorded), so "who saw my ID number?" has an answer; written in one statement.
        record_bulk(model=Employee, action="view_unmasked", object_ids=[pk for pk, _key, _number in keyed],
                    changed_fields=_revealed_columns(),
                    actor=Actor.for_user(actor))
    return header, rows


_CHUNK = 5000


def _column_reader(key: str, *, actor: User, unmasked: bool):
    """(the value to read for column `key`, the function that turns it into the cell's text)."""
    if key == "department":
        names = address_book_selectors.department_names()
        labels: dict[str, str] = {}

        def department(path):
            if not path:
                return ""
            label = labels.get(path)
            if label is None:
                label = labels[path] = address_book_selectors.department_label_of_path(path, names=names)
            return label

        return "department__path", department
    if key in ("position", "job_level"):
        return f"{key}__name", lambda name: name or ""
    if key in ("work_status", "gender", "education"):
        labels = {value: str(label) for value, label in Employee._meta.get_field(key).choices}
        return key, lambda value: labels.get(value, "") if value else ""
    model, source = (User, f"account__{key}") if key in _ACCOUNT_FIELDS else (Employee, key)
    # X2: the permission was checked and the reveal is recorded by the caller (one entry per person).
    show = (lambda value: value) if unmasked else plain_value_shower(viewer=actor, model=model, field=key)
    if model._meta.get_field(key).get_internal_type() == "DateField":
        return source, lambda value: "" if value is None else _text(show(value))
    return source, lambda value: show(value) or "" if value else ""


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _file_content(file_format: str, header: list[str], rows: list[list]) -> bytes:
    if file_format == "xlsx":
        return tabular.write_text_xlsx(header, rows, sheet_title=str(_("Address book")))
    return tabular.write_csv(header, rows)


# --- in the background (issue 14) -------------------------------------------------------------

def start_export(*, actor: User, file_format: str, unmasked: bool = False, language: str = "") -> ExportJob:
    """Queue an export of the people `actor` administers; the worker writes the file.

    Refuses what `export_address_book` refuses: non-administrators, an unmask request without the
    permission (X2), a format other than CSV or XLSX. The request is audited.
    """
    _check_export(actor, file_format, unmasked)
    with transaction.atomic():
        job = ExportJob.objects.create(
            created_by=actor, file_format=file_format, is_unmasked=bool(unmasked),
            language=(language or translation.get_language() or settings.LANGUAGE_CODE)[:10])
        record_event(action="export_requested", object_type="orgdata.exportjob", object_id=job.pk,
                     changed_fields=["is_unmasked"] if unmasked else [], actor=Actor.for_user(actor))
        # Found by its registered name: orgdata.tasks sits above the services it calls.
        run_export_task = current_app.tasks["orgdata.tasks.run_export"]
        queue = getattr(settings, "ORGDATA_IMPORT_QUEUE", None) or settings.CELERY_TASK_DEFAULT_QUEUE
        transaction.on_commit(lambda: run_export_task.apply_async((job.pk,), queue=queue))
    return job


def run_export(*, job_id: int) -> ExportJob | None:
    """Write one queued export's file (idempotent: a repeated delivery finds it taken and does nothing).

    The exporter's rights are asked again: one who lost the permission since (or the unmask
    permission, for an unmasked export) gets a failed job and no file.
    """
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now())
    job = ExportJob.objects.filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    actor = job.created_by
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _check_export(actor, job.file_format, job.is_unmasked)
            people = scope_selectors.employees_visible_to(actor)
            total = people.count()
            ExportJob.objects.filter(pk=job.pk).update(total_rows=total)

            def on_progress(done: int) -> None:
                ExportJob.objects.filter(pk=job.pk).update(done_rows=done)

            # Not one transaction: the progress each chunk reports must be visible while the file is made.
            with acting_as(Actor.for_user(actor)):
                header, rows = _address_book_rows(actor, people, unmasked=job.is_unmasked, on_progress=on_progress)
            content = _file_content(job.file_format, header, rows)
            del rows
            job.file.save(f"export.{job.file_format}", ContentFile(content), save=False)
            now = timezone.now()
            job.status, job.finished_at, job.expires_at = ExportJob.Status.SUCCEEDED, now, now + EXPORT_KEPT_FOR
            job.done_rows = job.total_rows = total
            job.save(update_fields=["file", "status", "finished_at", "expires_at", "total_rows", "done_rows"])
        except DomainError as error:
            _fail(job, error.detail or _("You may no longer export the address book."))
        except Exception as error:  # never personal data in the log
            logger.error("export %s failed: %s", job.pk, type(error).__name__)
            _fail(job, _("The export failed unexpectedly; start it again."))
    return job


def _fail(job: ExportJob, reason) -> None:
    if job.file:
        job.file.delete(save=False)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, finished_at=timezone.now(),
                                               failure_reason=str(reason)[:200], file="")
    job.refresh_from_db()


def export_progress(job: ExportJob) -> dict:
    """The job's state for the console's status page."""
    percent = 100 if job.status == ExportJob.Status.SUCCEEDED else (
        int(100 * job.done_rows / job.total_rows) if job.total_rows else 0)
    return {"status": job.status, "status_label": str(job.get_status_display()), "done": job.done_rows,
            "total": job.total_rows, "percent": min(percent, 100), "is_finished": job.is_finished}


@dataclass(frozen=True)
class ExportDownload:
    filename: str
    content_type: str
    stream: object


def export_download(*, actor: User, job: ExportJob) -> ExportDownload:
    """The finished export's file, for the administrator who asked for it; each download is audited.

    Refuses anyone else (the file is scoped and masked for its exporter), an exporter who lost the
    export permission (or the unmask permission, for an unmasked file) since, and a job without a
    file: not finished, failed, or expired.
    """
    if job.created_by_id != actor.pk:
        raise NotPermitted(_("Only the administrator who asked for this export can download it."))
    _check_export(actor, job.file_format, job.is_unmasked)
    if job.status != ExportJob.Status.SUCCEEDED or not job.file or job.expires_at <= timezone.now():
        raise DomainError(_("This export has no file to download (it is not ready, failed, or expired)."))
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(download_count=job.download_count + 1)
        record_event(action="export_downloaded", object_type="orgdata.exportjob", object_id=job.pk,
                     changed_fields=["is_unmasked"] if job.is_unmasked else [], actor=Actor.for_user(actor))
    stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d-%H%M")
    return ExportDownload(f"address-book-{stamp}.{job.file_format}", _CONTENT_TYPES[job.file_format],
                          job.file.open("rb"))


def expire_exports() -> dict:
    """Delete the files of exports older than EXPORT_KEPT_FOR, and fail exports whose worker died
    (running for longer than EXPORT_STALLED_AFTER). Returns {"expired": n, "stalled": n}."""
    now = timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.SUCCEEDED, expires_at__lte=now):
        if job.file:
            job.file.delete(save=False)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.SUCCEEDED).update(
            status=ExportJob.Status.EXPIRED, file="")
    stalled = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.RUNNING, started_at__lt=now - EXPORT_STALLED_AFTER):
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _fail(job, _("The export stopped before its file was written; start it again."))
        stalled += 1
    return {"expired": expired, "stalled": stalled}


def _revealed_columns() -> list[str]:
    """The exported columns an unmasked export shows clear that a masked one masks."""
    hidden = set(masked_fields(Employee)) | set(masked_fields(User))
    return [column.key for column in COLUMNS if column.key in hidden]
