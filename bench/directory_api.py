"""The mobile directory API (GET /api/v1/directory) over 100,000 employees: p50/p95 latency of the
whole request (routing, token and device check, the address-book switch, the enterprise's choice of
shown fields, search, pagination, decrypting and masking the page's mobile numbers).

The enterprise shows every address-book field (the most work a page can cost: the mobile numbers
are decrypted, every name joined and every contact value masked).

The enterprise is filled by the real bulk import (realistic names, 300 departments). The request
mix: the first page, one of the first 50 pages, a surname, a two-character name prefix, an
employee-number prefix, a complete mobile number, a department subtree. Target: p95 ≤ 50 ms.
`python bench/directory_api.py [people]`; ORGDATA_BENCH_KEEP=1 keeps (and reuses) the seeded
enterprise between runs.
"""
import os
import random
import statistics
import sys
import time

import _addressbook
import _setup
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts import services as account_services
from audit.access_log import writer as access_log_writer
from orgdata.models import Department, Employee
from orgdata.selectors import directory as directory_selectors
from orgdata.services import directory as directory_services

CODE = "bench-directory"
PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
REQUESTS, WARM_UP = 400, 40


# ORGDATA_BENCH_KEEP=1 keeps the seeded enterprise for the next run (seeding takes minutes).
KEEP = os.environ.get("ORGDATA_BENCH_KEEP") == "1"


def _seeded():
    from tenants.models import Domain, Enterprise

    existing = Enterprise.objects.filter(code=CODE).first()
    if KEEP and existing is not None:
        connection.set_tenant(existing)
        if Employee.objects.count() == PEOPLE:
            return existing, Domain.objects.get(tenant=existing, is_primary=True).domain
        connection.set_schema_to_public()
    provisioned = _setup.fresh_enterprise(CODE, "Directory bench", "13755580001")
    connection.set_tenant(provisioned.enterprise)
    started = time.perf_counter()
    job = _addressbook.import_file(_addressbook.csv_bytes(PEOPLE), "people.csv")
    assert job.status == "succeeded", (job.status, job.report[:3])
    print(f"seeded {PEOPLE} employees in {time.perf_counter() - started:.0f} s", flush=True)
    connection.cursor().execute("ANALYZE")
    return provisioned.enterprise, provisioned.domain


def main():
    enterprise, domain = _seeded()
    try:
        shown = directory_services.choose_directory_fields(actor=User.objects.get(role=User.Role.MANAGER),
                                                           fields=directory_selectors.DIRECTORY_OPTIONAL_FIELDS)
        print(f"  fields shown: {', '.join(shown)}")

        reader = Employee.objects.select_related("account").order_by("pk").first().account
        issued = account_services.issue_device_token(person=reader, device_id=f"bench-device-{time.time_ns()}")
        client = APIClient(HTTP_HOST=domain)
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}", HTTP_X_DEVICE_ID=issued.record.device_id)

        randomiser = random.Random(7)
        samples = list(Employee.objects.select_related("account").order_by("?")[:200])
        departments = list(Department.objects.values_list("pk", flat=True))
        mix = [
            lambda: {},
            lambda: {"page": randomiser.randrange(1, 51)},
            lambda: {"search": randomiser.choice(_addressbook.SURNAMES)},
            lambda: {"search": randomiser.choice(samples).account.display_name[:2]},
            lambda: {"search": f"E{randomiser.randrange(0, PEOPLE // 100):05d}"},
            lambda: {"search": randomiser.choice(samples).account.mobile},
            lambda: {"department": randomiser.choice(departments)},
        ]
        timings = {index: [] for index in range(len(mix))}
        for number in range(WARM_UP + REQUESTS):
            index = number % len(mix)
            params = mix[index]()
            began = time.perf_counter()
            response = client.get("/api/v1/directory", params)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, response.content[:200]
            if number >= WARM_UP:
                timings[index].append(elapsed)
        names = ["first page", "page ≤ 50", "surname", "name prefix", "number prefix", "mobile", "department"]
        for index, name in enumerate(names):
            values = sorted(timings[index])
            print(f"  {name:14s} p50={statistics.median(values):6.1f} ms  p95={values[int(len(values) * 0.95) - 1]:6.1f} ms")
        everything = sorted(value for values in timings.values() for value in values)
        p50, p95 = statistics.median(everything), everything[int(len(everything) * 0.95) - 1]
        print(f"directory_api_p50={p50:.1f} ms")
        print(f"directory_api_p95={p95:.1f} ms")
    finally:
        access_log_writer.flush()  # the requests' access-log rows land before their schema is dropped
        connection.set_schema_to_public()
        if not KEEP:
            _setup.drop_enterprise(CODE)


if __name__ == "__main__":
    main()
