"""The checking pass's validated rows, kept sealed for the writing pass (issue 19).

The writing pass used to read and validate every row of the file a second time, although nothing
its outcome depends on had changed: the file is the one the preview was worked out from, and the
rules are the same unless the code or the day changed in between (ages are counted on the
enterprise's day). So the checking pass seals the rows it validated, before any database check
touches them, next to the upload: encrypted under the uploading administrator's data key
(privacy.crypto.encrypt_bytes), with the file's digest, the day and a fingerprint of the
validation rules' code in the authenticated context. The writing pass opens them only when all
three still match, and otherwise (or when anything about them is off) reads and validates the file
again, as before. Every check against the database runs in the writing pass either way.

The sealed rows live exactly as long as the upload: jobs deletes both together.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import sys
import zlib
from datetime import date

import django
import phonenumbers
from django.core.files.base import ContentFile

from accounts import validators as account_validators
from core import tabular
from orgdata import columns, models, validators
from orgdata.models import ImportJob
from orgdata.services import employees, minors
from orgdata.services.imports import rows as row_services
from orgdata.services.imports.rows import Row
from privacy import crypto
from privacy.errors import KeyDestroyed, UnreadableValue

logger = logging.getLogger("orgdata.services.imports")

SUFFIX = ".checked"
_FORMAT = 1
_RULE_MODULES = (row_services, validators, employees, minors, columns, tabular, account_validators, models,
                 sys.modules[__name__])


def _rules_fingerprint() -> str:
    """The code that decides what a row becomes: a change to any of it (a deploy between the check
    and the confirmation) makes the writing pass validate again. Read once, from the code this
    process runs; without its source (a deployment of compiled files only) a value of this process
    alone, so rows are then only ever taken by the worker that validated them."""
    try:
        sources = b"".join(inspect.getsource(module).encode() for module in _RULE_MODULES)
        # The libraries that decide too: phone number metadata, e-mail address validation.
        versions = f"{phonenumbers.__version__}|{django.__version__}".encode()
        return hashlib.sha256(sources + versions).hexdigest()
    except (OSError, TypeError):
        return os.urandom(16).hex()


_RULES = _rules_fingerprint()


def _path(job: ImportJob) -> str:
    return f"{job.file.name}{SUFFIX}"


def discard(upload_name: str, storage) -> None:
    """Delete the sealed rows of the upload stored as `upload_name` (with the upload's own deletion)."""
    if upload_name:
        storage.delete(f"{upload_name}{SUFFIX}")


def _file_digest(job: ImportJob) -> str:
    digest = hashlib.sha256()
    with job.file.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _context(job: ImportJob, digest: str, today: date) -> str:
    return f"orgdata.importjob.checked|{_FORMAT}|{job.pk}|{digest}|{today.isoformat()}|{_RULES}"


# Validation leaves dates under these keys only (a date, or None): kept as ISO text, read back as
# dates. Any other value that JSON cannot carry exactly means the rows are not kept.
_DATE_KEYS = ("date_of_birth", "entry_date")


def _not_kept(value):
    raise TypeError(type(value).__name__)


def serialised(parsed: list[Row]) -> bytes | None:
    """The validated rows as bytes to keep, or None when a value cannot be kept exactly. Called
    before the database checks, which add what they find to each row."""
    # One JSON line per row into the compressor: no copy of the whole file's rows as one text.
    compressor, dumps, chunks = zlib.compressobj(1), json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), default=_not_kept).encode, []
    try:
        for row in parsed:
            values = row.values
            dates = {key: values[key].isoformat() for key in _DATE_KEYS if type(values.get(key)) is date}
            chunks.append(compressor.compress(dumps([
                row.number, {**values, **dates} if dates else values, row.department, row.position, row.job_level,
                row.reveals_a_child, row.reveals_under_working_age]).encode() + b"\n"))
    except (TypeError, ValueError):
        return None
    chunks.append(compressor.flush())
    return b"".join(chunks)


def _rows_of(content: bytes):
    decompressor, rest, loads = zlib.decompressobj(), b"", json.loads
    for start in range(0, len(content), 1 << 20):
        lines = (rest + decompressor.decompress(content[start:start + (1 << 20)])).split(b"\n")
        rest = lines.pop()
        for fields in loads(b"[" + b",".join(lines) + b"]") if lines else ():  # the chunk's rows in one call
            row = Row(*fields)
            values = row.values
            for key in _DATE_KEYS:
                if type(values.get(key)) is str:
                    values[key] = date.fromisoformat(values[key])
            yield row
    if rest + decompressor.flush() or not decompressor.eof:
        raise ValueError("sealed rows end inside a row")


def keep(job: ImportJob, content: bytes | None, today: date) -> None:
    """Seal `content` (from `serialised`) next to the job's upload; nothing is kept on any failure."""
    key_id = job.created_by.person_key_id
    if content is None or key_id is None or not job.file:
        return
    try:
        sealed = crypto.encrypt_bytes(content, key_id=key_id, context=_context(job, _file_digest(job), today))
        storage = job.file.storage
        storage.delete(_path(job))
        stored = storage.save(_path(job), ContentFile(sealed))
        if stored != _path(job):  # the storage chose another name: not ours to find again
            storage.delete(stored)
    except Exception as error:  # best effort: the writing pass then validates the file again
        logger.warning("import %s: validated rows not kept (%s)", job.pk, type(error).__name__)


def opened(job: ImportJob, today: date) -> list[Row] | None:
    """The rows the checking pass validated, when they still hold for this file, these rules and
    `today`; otherwise None (the caller reads and validates the file)."""
    key_id = job.created_by.person_key_id
    if key_id is None or not job.file:
        return None
    storage = job.file.storage
    try:
        if not storage.exists(_path(job)):
            return None
        with storage.open(_path(job), "rb") as stream:
            sealed = stream.read()
        content = crypto.decrypt_bytes(sealed, context=_context(job, _file_digest(job), today))
        del sealed
        return list(_rows_of(content))
    except Exception as error:  # a different day, other rules, another file, or damage: validated again
        if not isinstance(error, (KeyDestroyed, UnreadableValue)):
            logger.warning("import %s: validated rows not read (%s)", job.pk, type(error).__name__)
        return None

