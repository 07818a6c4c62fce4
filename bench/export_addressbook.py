"""Background export of 100,000 employees (E7, X2): seconds from the job's start to its file, XLSX and CSV.

The enterprise is filled by the bench import (realistic names, mobiles, encrypted resident ID
numbers, 300 departments); each export then runs in-process exactly as the worker runs it: every
person the manager administers, masked as the disclosure rules mask them, written to the file kept
under the enterprise's media path. Target: ≤ 10 s for each format.
"""
import sys
import time

import _addressbook
import _setup
from django.db import connection

from accounts.models import User
from orgdata.models import Employee

CODE = "bench-export"
PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def _export(file_format: str) -> float:
    from orgdata.services import exports as export_services

    manager = User.objects.get(role=User.Role.MANAGER)
    started = time.perf_counter()
    if hasattr(export_services, "run_export"):
        job = _addressbook.export_file(manager, file_format)
        rows, size = job.total_rows, job.file.size
    else:  # before exports ran in the background: the whole file in the request
        exported = export_services.export_address_book(actor=manager, file_format=file_format)
        rows, size = exported.row_count, len(exported.content)
    seconds = time.perf_counter() - started
    assert rows == PEOPLE, rows
    print(f"export_{file_format}: {rows} rows, {size / 1e6:.1f} MB, {seconds:.1f} s ({rows / seconds:.0f} rows/s)",
          flush=True)
    return seconds


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Export bench", "13755570002")
    try:
        connection.set_tenant(provisioned.enterprise)
        job = _addressbook.import_file(_addressbook.csv_bytes(PEOPLE), "people.csv")
        assert job.status == "succeeded", (job.status, job.failure_reason, job.report[:5])
        assert Employee.objects.count() == PEOPLE
        xlsx_seconds = _export("xlsx")
        csv_seconds = _export("csv")
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)
    print(f"export_addressbook_xlsx={xlsx_seconds:.1f} s")
    print(f"export_addressbook_csv={csv_seconds:.1f} s")


if __name__ == "__main__":
    main()
