"""Seconds to erase one person with a realistic footprint, end to end (R4/R5, issue 12).

Each of PERSONS employees of a bench enterprise gets (not timed): a profile added through the
address-book service, two consents, a disclosure to a recipient (so erasure queues a deletion
notice, R3), CHECK_INS check-ins and the audit entries those services write. Of the check-ins,
AUDITED go through attendance.services.check_in; the rest are inserted in one bulk statement of
CheckIn rows built as that service builds them (the person's key on the row, each field encrypted
by its own pre_save under that key), so the table holds what the product stores.

Timed per person: erasure.services.erase_person (records the job and its steps) and then
erasure.services.run_erasure_job in-process — every step, the residue scan included, which must
come back empty. Check-ins are transaction records: their rows stay, crypto-shredded by the
destruction of the person's key (R4), which the bench checks. Prints each person's seconds and
the median. Target: median ≤ 1 s.
Run: `make bench ARGS=erase_person`, or `.venv/bin/python bench/erase_person.py`.
"""
import statistics
import time
from datetime import timedelta

import _setup
from django.db import connection, models
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from attendance import services as attendance_services
from attendance.models import CheckIn
from audit.models import AuditEntry
from consent.models import LegalBasis
from consent.services import ledger as ledger_services
from consent.services import sharing as sharing_services
from erasure import services as erasure_services
from erasure.models import ErasureJob
from orgdata.services import departments as department_services
from orgdata.services import employees as employee_services
from privacy.models import PersonKey

CODE = "bench-erase-person"
PERSONS = 7
CHECK_INS = 1_000
AUDITED = 10
GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


def _make_person(number: int, department) -> User:
    """One employee with the footprint described above (not timed)."""
    employee = employee_services.add_employee(
        actor=_setup.BENCH_SETUP, mobile=f"1390000{number:04d}", display_name=f"Bench {number}",
        employee_number=f"B{number:06d}", department=department,
        email=f"bench.{number}@example.com", landline="021-12345678", address="1 Nanjing Road")
    person = employee.account
    ledger_services.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                                  explicit_confirmation=True)
    ledger_services.grant_consent(actor=person, person=person, purpose_code="location_tracking", channel="mobile",
                                  explicit_confirmation=True)
    sharing_services.share_with_recipient(actor=_setup.BENCH_SETUP, person=person,
                                          purpose_code="share.affiliate.qince",
                                          legal_basis=LegalBasis.CONTRACT_NECESSITY, reference="bench contract")
    for _ in range(AUDITED):
        attendance_services.check_in(person=person, kind="in", location=GPS, place="Lobby")
    started = timezone.now() - timedelta(days=400)
    rows = []
    for n in range(CHECK_INS - AUDITED):
        row = CheckIn(person=person, kind="in" if n % 2 == 0 else "out",
                      occurred_at=started + timedelta(hours=9 * n), location=GPS, place="Lobby")
        row.person_key_id = person.person_key_id
        rows.append(row)
    # CheckIn's manager refuses bulk writes of consented fields; the person consented above, and a
    # plain queryset still encrypts each field under the row's key (pre_save), as the service's save does.
    models.QuerySet(model=CheckIn).bulk_create(rows, batch_size=500)
    assert CheckIn.objects.filter(person=person).count() == CHECK_INS
    with connection.cursor() as cursor:  # stored as the product stores them: never the clear value
        cursor.execute("SELECT count(*) FROM attendance_checkin WHERE person_id = %s AND location LIKE %s",
                       [person.pk, "%31.2304%"])
        assert cursor.fetchone()[0] == 0
    return person


def _erase(manager: User, person: User) -> float:
    started = time.perf_counter()
    job = erasure_services.erase_person(actor=manager, person=person, reason="Benchmark: erasure on request")
    job = erasure_services.run_erasure_job(job_id=job.pk)
    seconds = time.perf_counter() - started
    assert job.status == ErasureJob.Status.DONE and not job.residue, (job.status, job.residue)
    assert PersonKey.objects.get(pk=person.person_key_id).wrapped_key is None
    return seconds


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Erasure bench", "13755550003")
    timings = []
    try:
        with schema_context(provisioned.enterprise.schema_name):
            manager = User.objects.get(role=User.Role.MANAGER)
            department = department_services.create_department(name="Bench", parent=None, actor=_setup.BENCH_SETUP)
            persons = [_make_person(number, department) for number in range(PERSONS)]
            audit_entries = AuditEntry.objects.count()
            for number, person in enumerate(persons):
                seconds = _erase(manager, person)
                timings.append(seconds)
                print(f"person {number + 1}: {seconds:.3f} s")
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    print(f"footprint each: profile, {CHECK_INS:,} check-ins ({AUDITED} through the service), 2 consents, "
          f"1 disclosure ({audit_entries:,} audit entries in the enterprise before erasing)")
    print(f"{PERSONS} persons erased one after another, residue scan included")
    print(f"erase_person_median={statistics.median(timings):.3f} s")


if __name__ == "__main__":
    main()
