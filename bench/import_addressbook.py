"""Bulk import of 100,000 employees (E7): seconds from upload to committed, for CSV and for XLSX.

Each file: realistic Chinese names, mainland mobiles, valid resident ID numbers (encrypted at rest
with a blind index), 300 departments (created by the import), positions and job levels. The import
runs in-process exactly as the worker runs it: read, validate every row, check against the
database, write accounts, records and audit entries in one transaction. Target (issue 19): CSV
≤ 6 s, XLSX ≤ 8 s. Beside each time, the process's peak resident memory while that import ran
(the high-water mark is reset before each, where Linux allows it).
"""
import resource
import sys
import time

import _addressbook
import _setup
from django.db import connection

from orgdata.models import Department, Employee

CODE = "bench-import"
PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def _peak_rss_mb(*, reset: bool = False) -> float:
    """The process's resident high-water mark (VmHWM) in MB; `reset` starts a new one (Linux ≥ 4.0)."""
    if reset:
        try:
            with open("/proc/self/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
        except OSError:
            pass
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(file_format: str, content: bytes) -> tuple[float, float]:
    provisioned = _setup.fresh_enterprise(CODE, "Import bench", "13755570001")
    try:
        connection.set_tenant(provisioned.enterprise)
        _peak_rss_mb(reset=True)
        started = time.perf_counter()
        job = _addressbook.import_file(content, f"people.{file_format}")
        seconds = time.perf_counter() - started
        peak = _peak_rss_mb()
        assert job.status == "succeeded", (job.status, job.failure_reason, job.report[:5])
        assert Employee.objects.count() == PEOPLE and Department.objects.count() == 300
        print(f"import_{file_format}: {PEOPLE} rows, {len(content) / 1e6:.1f} MB, {seconds:.1f} s "
              f"({PEOPLE / seconds:.0f} rows/s), peak RSS {peak:.0f} MB", flush=True)
        return seconds, peak
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)


def main():
    xlsx_seconds, xlsx_peak = _run("xlsx", _addressbook.xlsx_bytes(PEOPLE))
    csv_seconds, csv_peak = _run("csv", _addressbook.csv_bytes(PEOPLE))
    print(f"import_addressbook_xlsx={xlsx_seconds:.1f} s peak_rss={xlsx_peak:.0f} MB")
    print(f"import_addressbook_csv={csv_seconds:.1f} s peak_rss={csv_peak:.0f} MB")


if __name__ == "__main__":
    main()
