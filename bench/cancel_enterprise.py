"""Seconds to cancel a 10,000-employee enterprise end to end (E9, issue 12). Target ≤ 60 s.

Set-up (not timed): a fresh enterprise; PEOPLE employees imported through the address-book import
(accounts, encrypted profiles with blind indexes, keys, audit entries); CHECK_INS check-ins each
(transaction records, kept anonymised), bulk-inserted as attendance.services builds them; SHARED
people whose information went to a recipient whose webhook is a real HTTP receiver on 127.0.0.1
(so the cancellation tells it, R3). The manager applies for cancellation through the service and the
grace period is declared over.

Timed: erasure.enterprise.run_cancellation in-process, every step: close every account, queue and
deliver the deletion notices, scrub the kept records and destroy every key, archive them in the
legal-hold schema, drop the enterprise's schema, files and cache keys, and the residue scan, which
must come back empty.
Run: `make bench ARGS=cancel_enterprise`, or `.venv/bin/python bench/cancel_enterprise.py [people]`.
"""
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _addressbook
import _setup
from django.db import connection, models
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from attendance.models import CheckIn
from audit.models import AuditEntry
from consent.models import DeletionNotice, LegalBasis, Recipient
from consent.services import deletion_notices
from consent.services import sharing as sharing_services
from erasure import enterprise as enterprise_services
from tenants.models import EnterpriseCancellation

CODE = "bench-cancel"
PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
CHECK_INS = 5
SHARED = 50
PASSWORD = "Bench-Cancel-9"


class _Receiver(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _footprint(receiver_url: str) -> dict:
    people = list(User.objects.filter(role=User.Role.EMPLOYEE).order_by("pk"))
    started = timezone.now() - timedelta(days=30)
    rows = []
    for person in people:
        for n in range(CHECK_INS):
            row = CheckIn(person=person, kind="in" if n % 2 == 0 else "out",
                          occurred_at=started + timedelta(hours=9 * n), place="Lobby")
            row.person_key_id = person.person_key_id
            rows.append(row)
    models.QuerySet(model=CheckIn).bulk_create(rows, batch_size=2000)
    for person in people[:SHARED]:
        sharing_services.share_with_recipient(actor=_setup.BENCH_SETUP, person=person,
                                              purpose_code="share.affiliate.qince",
                                              legal_basis=LegalBasis.CONTRACT_NECESSITY, reference="bench contract")
    affiliate = Recipient.objects.get(code="affiliate.qince")
    deletion_notices.set_webhook(actor=_setup.BENCH_SETUP, recipient=affiliate, url=receiver_url,
                                 secret="bench-webhook-secret")
    manager = User.objects.get(role=User.Role.MANAGER)
    manager.set_password(PASSWORD)
    manager.save(update_fields=["password"])
    enterprise_services.apply_for_cancellation(actor=manager, password=PASSWORD, confirmation=CODE)
    return {"people": len(people) + 1, "check_ins": CheckIn.objects.count(), "audit": AuditEntry.objects.count()}


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provisioned = _setup.fresh_enterprise(CODE, "Cancellation bench", "13755590001")
    enterprise = provisioned.enterprise
    try:
        with schema_context(enterprise.schema_name):
            job = _addressbook.import_file(_addressbook.csv_bytes(PEOPLE), "people.csv")
            assert job.status == "succeeded", (job.status, job.failure_reason)
            footprint = _footprint(f"http://127.0.0.1:{server.server_port}/notices")
        connection.set_schema_to_public()
        cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise, withdrawn_at__isnull=True)
        EnterpriseCancellation.objects.filter(pk=cancellation.pk).update(cancel_after=timezone.now())

        started = time.perf_counter()
        cancellation = enterprise_services.run_cancellation(cancellation_id=cancellation.pk)
        seconds = time.perf_counter() - started

        assert cancellation.finished_at is not None and cancellation.residue == [], cancellation.steps
        assert not schema_exists(enterprise.schema_name)
        assert _Receiver.received == SHARED, _Receiver.received
        for name, step in cancellation.steps.items():
            print(f"  {name}: {step}")
        print(f"{footprint['people']:,} people, {footprint['check_ins']:,} check-ins, {footprint['audit']:,} audit "
              f"entries, {SHARED} shared with a recipient (notices delivered: {_Receiver.received}); "
              f"archived rows: {sum(cancellation.archived_rows.values()):,}")
        print(f"cancel_enterprise={seconds:.1f} s")
    finally:
        server.shutdown()
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)
    assert DeletionNotice  # the notices are archived with the rest (counted above)


if __name__ == "__main__":
    main()
