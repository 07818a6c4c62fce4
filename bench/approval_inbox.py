"""The approver's inbox (GET /api/v1/approvals/inbox) with 10,000 requests waiting for one approver:
p50/p95 latency of the whole request (routing, token and device check, the approvals switch (E6), the
page of 50 newest pending steps with their requests and applicants). Target: p95 ≤ 50 ms.

Seeding: 50 applicants (the real employee service), then 10,000 requests and their pending steps by
bulk_create (the audit log is not what is measured). The mix: the first page (most calls) and one
of the first 20 pages. `python bench/approval_inbox.py [pending]`.
"""
import random
import statistics
import sys
import time
from datetime import timedelta

import _setup
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from approvals.models import ApprovalRequest, ApprovalStep
from orgdata.services import employees as employee_services

CODE = "bench-approvals"
PENDING = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
REQUESTS, WARM_UP = 200, 20
LEAVE = {"leave_type": "annual", "start_date": "2026-05-04", "end_date": "2026-05-08", "reason": "Family visit"}


def _seed():
    provisioned = _setup.fresh_enterprise(CODE, "Approvals bench", "13755590001")
    connection.set_tenant(provisioned.enterprise)
    people = [employee_services.add_employee(actor=_setup.BENCH_SETUP, mobile=f"1396666{index:04d}",
                                             display_name=f"Applicant {index}", employee_number=f"A{index:05d}")
              .account for index in range(1, 52)]
    approver, applicants = people[0], people[1:]
    started, now = time.perf_counter(), timezone.now()
    requests = ApprovalRequest.objects.bulk_create(
        [ApprovalRequest(applicant=applicants[index % len(applicants)], kind="leave", details=LEAVE,
                         submitted_at=now - timedelta(minutes=index)) for index in range(PENDING)], batch_size=2000)
    ApprovalStep.objects.bulk_create(
        [ApprovalStep(request=request, round=1, position=1, approver=approver, role="department_head",
                      state="pending", activated_at=request.submitted_at) for request in requests], batch_size=2000)
    # Decided steps of the same approver, which the inbox must skip.
    ApprovalStep.objects.bulk_create(
        [ApprovalStep(request=request, round=1, position=2, approver=approver, role="named", state="approved",
                      activated_at=request.submitted_at) for request in requests], batch_size=2000)
    connection.cursor().execute("ANALYZE")
    print(f"seeded {PENDING} pending requests for one approver in {time.perf_counter() - started:.1f} s", flush=True)
    return provisioned.domain, approver


def main():
    domain, approver = _seed()
    try:
        issued = account_services.issue_device_token(person=approver, device_id=f"bench-device-{time.time_ns()}")
        client = APIClient(HTTP_HOST=domain)
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}", HTTP_X_DEVICE_ID=issued.record.device_id)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN SELECT id FROM approvals_approvalstep WHERE approver_id = %s AND state = 'pending' "
                           "ORDER BY activated_at DESC, id DESC LIMIT 51", [approver.pk])
            plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
        print(f"  plan: {plan}")
        randomiser = random.Random(7)
        timings = []
        for number in range(WARM_UP + REQUESTS):
            params = {} if number % 4 else {"page": randomiser.randrange(1, 21)}
            began = time.perf_counter()
            response = client.get("/api/v1/approvals/inbox", params)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200 and len(response.json()["results"]) == 50, response.content[:200]
            if number >= WARM_UP:
                timings.append(elapsed)
        timings.sort()
        print(f"approval_inbox_p50={statistics.median(timings):.1f} ms")
        print(f"approval_inbox_p95={timings[int(len(timings) * 0.95) - 1]:.1f} ms")
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)


if __name__ == "__main__":
    main()
