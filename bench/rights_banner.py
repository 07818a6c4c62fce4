"""Milliseconds the console's banner of rights requests due soon costs a page (issue 13).

Footprint (not timed): REQUESTS rights requests of PEOPLE employees, inserted in bulk, of which
OPEN are still open and, of those, DUE_SOON within 2 working days of their date or past it; the
table is analysed, as autovacuum would have done.

Timed: rights.selectors.due_soon_count for the manager (the one COUNT the banner adds to every
console page, over the partial index rights_request_open_watched), median of RUNS calls, checked
to count DUE_SOON. Target: ≤ 5 ms.
Run: `make bench ARGS=rights_banner`, or `.venv/bin/python bench/rights_banner.py`.
"""
import statistics
import time
from datetime import timedelta

import _setup
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from orgdata.services import employees as employee_services
from rights import selectors
from rights.models import RightsRequest

CODE = "bench-rights-banner"
REQUESTS = 200_000
PEOPLE = 20
OPEN = 2_000
DUE_SOON = 150
RUNS = 50


def _fill() -> None:
    people = [employee_services.add_employee(actor=_setup.BENCH_SETUP, mobile=f"139000{n:05d}", display_name=f"请求{n}",
                                             employee_number=f"R{n:06d}").account for n in range(PEOPLE)]
    today = timezone.localdate()
    rows = []
    for n in range(REQUESTS):
        person = people[n % PEOPLE]
        is_open, is_due_soon = n < OPEN, n < DUE_SOON
        rows.append(RightsRequest(
            person=person, person_key_id=person.person_key_id, kind=RightsRequest.Kind.COMPLAINT,
            status=RightsRequest.Status.SUBMITTED if is_open else RightsRequest.Status.DONE,
            due_on=today - timedelta(days=1) if is_due_soon else today + timedelta(days=10 + n % 300),
            details={"text": "bench"}))
        if len(rows) == 5_000:
            RightsRequest.objects.bulk_create(rows)
            rows = []
    RightsRequest.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rights_rightsrequest")


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Banner bench", "13755550014")
    try:
        with schema_context(provisioned.enterprise.schema_name):
            _fill()
            manager = User.objects.get(role=User.Role.MANAGER)
            assert selectors.due_soon_count(manager) == DUE_SOON
            timings = []
            for _ in range(RUNS):
                manager = User.objects.get(pk=manager.pk)  # a page's own user object, its caches empty
                started = time.perf_counter()
                selectors.due_soon_count(manager)
                timings.append(time.perf_counter() - started)
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    print(f"footprint: {REQUESTS:,} requests, {OPEN:,} open, {DUE_SOON} due soon or overdue")
    print(f"rights_banner={statistics.median(timings) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
