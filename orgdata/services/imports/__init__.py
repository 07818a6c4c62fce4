"""Bulk import of the address book (E7, E8): all-or-nothing, validated row by row, scoped (E5).

How an import runs
1. `start_import` refuses an upload unless the administrator confirmed that the people in the
   file were informed and consented (E8); the confirmation is stored on the job and audited.
   The request only runs cheap checks (size, content sniffing, the XLSX archive's directory:
   parts, declared sizes, compression ratios) and stores the file: no spreadsheet is ever parsed
   in a web request. The Celery task `run_import` does the rest.
2. `run_import` first only checks the file (issue 14): it reads and validates every row, checks
   them against the database and stops the job at READY with a preview (rows to add, change and
   leave as they are; new departments; positions and job levels that do not exist yet, which are
   never created unless the administrator chooses so). Nothing is written. `confirm_import` (the
   uploader only) queues the job again; `cancel_import` drops it and its file; an import left
   unconfirmed for a day is cancelled. The confirmed attempt takes the rows the first pass
   validated, kept sealed beside the upload (`checked`), as long as the file, the validation
   rules' code and the day are still the ones they were validated with; otherwise it reads and
   validates every row again. Then, in ONE transaction,
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
4. Reading is bounded before it starts (core.tabular's hard limits) and the attempt runs under
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

The package, one module per part of the work:
jobs      — the job's lifecycle: start (E8), run, lock, memory ceiling, recovery, progress for the console
progress  — progress and heartbeats in the cache (skipped while the cache Redis is unreachable)
rows      — reading the file and validating each row on its own
checked   — the first pass's validated rows, sealed beside the upload for the confirmed pass
checks    — the rows against the database: numbers in use, the administrator's departments (E5)
preview   — what a checked file would do, shown before the administrator confirms (issue 14)
writing   — departments, accounts and employee records written in bulk with COPY
template  — the file to fill in: headers, instructions, drop-down lists; no sample person (issue 14)
"""
