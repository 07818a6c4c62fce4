"""Bulk import of 100,000 employees (E7): seconds from upload to committed, for CSV and for XLSX.

Each file: realistic Chinese names, mainland mobiles, valid resident ID numbers (encrypted at rest
with a blind index), 300 departments (created by the import), positions and job levels. The import
runs in-process exactly as the worker runs it: read, validate every row, check against the
database, write accounts, records and audit entries in one transaction. Target: CSV ≤ 30 s.
"""
import sys
import time

import _addressbook
import _setup
from django.db import connection

from orgdata.models import Department, Employee

CODE = "bench-import"
PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def _run(file_format: str, content: bytes) -> float:
    provisioned = _setup.fresh_enterprise(CODE, "Import bench", "13755570001")
    try:
        connection.set_tenant(provisioned.enterprise)
        started = time.perf_counter()
        job = _addressbook.import_file(content, f"people.{file_format}")
        seconds = time.perf_counter() - started
        assert job.status == "succeeded", (job.status, job.failure_reason, job.report[:5])
        assert Employee.objects.count() == PEOPLE and Department.objects.count() == 300
        print(f"import_{file_format}: {PEOPLE} rows, {len(content) / 1e6:.1f} MB, {seconds:.1f} s "
              f"({PEOPLE / seconds:.0f} rows/s)", flush=True)
        return seconds
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)


def main():
    xlsx_seconds = _run("xlsx", _addressbook.xlsx_bytes(PEOPLE))
    csv_seconds = _run("csv", _addressbook.csv_bytes(PEOPLE))
    print(f"import_addressbook_xlsx={xlsx_seconds:.1f} s")
    print(f"import_addressbook_csv={csv_seconds:.1f} s")


if __name__ == "__main__":
    main()
