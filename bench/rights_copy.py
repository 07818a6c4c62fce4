"""Seconds to build the copy of one person's personal information (R2, issue 13).

Footprint (not timed): an employee added through the address-book service with CHECK_INS check-ins
and CONSENT_EVENTS consent events. Of the check-ins, AUDITED go through
attendance.services.check_in; the rest are inserted in one bulk statement of CheckIn rows built as
that service builds them (the person's key on the row, each field encrypted by its own pre_save),
as bench/erase_person.py does. The consent events are answers through the consent ledger,
granting and withdrawing one purpose alternately, audited as the person's, and SIGN_INS sign-ins
are in the audit log.

Timed: rights.copy_archive.build_copy_archive for that person (every table about a person, every
encrypted value decrypted, JSON and CSV per category, zipped), checked to hold every check-in and
consent event. Target: ≤ 2 s.
Run: `make bench ARGS=rights_copy`, or `.venv/bin/python bench/rights_copy.py`.
"""
import io
import json
import time
import zipfile
from datetime import timedelta

import _setup
from django.db import connection, models
from django.utils import timezone
from django_tenants.utils import schema_context

from attendance import services as attendance_services
from attendance.models import CheckIn
from audit.context import Actor, acting_as
from audit.recording import record_event
from consent.services import ledger as ledger_services
from orgdata.services import employees as employee_services
from privacy import crypto
from rights import copy_archive

CODE = "bench-rights-copy"
CHECK_INS = 10_000
AUDITED = 10
CONSENT_EVENTS = 200
SIGN_INS = 100
GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


def _make_person():
    """One employee with the footprint described above (not timed)."""
    employee = employee_services.add_employee(
        actor=_setup.BENCH_SETUP, mobile="13900009999", display_name="复制 测试", employee_number="C000001",
        email="copy.bench@example.com", landline="021-12345678", address="1 Nanjing Road")
    person = employee.account
    ledger_services.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                                  explicit_confirmation=True)
    for _ in range(AUDITED):
        attendance_services.check_in(person=person, kind="in", location=GPS, place="Lobby")
    started = timezone.now() - timedelta(days=400)
    rows = []
    for n in range(CHECK_INS - AUDITED):
        row = CheckIn(person=person, kind="in" if n % 2 == 0 else "out",
                      occurred_at=started + timedelta(hours=n), location=GPS, place="Lobby")
        row.person_key_id = person.person_key_id
        rows.append(row)
    # CheckIn's manager refuses bulk writes of consented fields; the person consented above, and a
    # plain queryset still encrypts each field under the row's key (pre_save), as the service's save does.
    models.QuerySet(model=CheckIn).bulk_create(rows, batch_size=500)
    # One answer above; the rest alternate on a purpose of its own, each audited as the person's.
    with acting_as(Actor.for_user(person)):
        _answer_alternately(person)
    return person


def _answer_alternately(person):
    for n in range(CONSENT_EVENTS - 1):
        if n % 2 == 0:
            ledger_services.grant_consent(actor=person, person=person, purpose_code="location_tracking",
                                          channel="mobile", explicit_confirmation=True)
        else:
            ledger_services.withdraw_consent(actor=person, person=person, purpose_code="location_tracking",
                                             channel="mobile")


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Copy bench", "13755550013")
    try:
        with schema_context(provisioned.enterprise.schema_name):
            person = _make_person()
            with acting_as(Actor.for_user(person)):  # the person's own sign-ins, as the audit log has them
                for _ in range(SIGN_INS):
                    record_event(action="login", object_type="accounts.user", object_id=person.pk)
            started = time.perf_counter()
            archive = copy_archive.build_copy_archive(person=person)
            seconds = time.perf_counter() - started
            # Sealed under the person's data key as rights.copy_archive.fulfil stores it, and opened
            # as the download streams it (timed apart: the figure above is the build alone).
            started = time.perf_counter()
            sealed = crypto.encrypt_bytes(archive, key_id=person.person_key_id, context="bench")
            assert crypto.decrypt_bytes(sealed, context="bench") == archive
            sealing_ms = (time.perf_counter() - started) * 1000
            with zipfile.ZipFile(io.BytesIO(archive)) as opened:
                rows = {category["name"]: category["rows"]
                        for category in json.loads(opened.read("manifest.json"))["categories"]}
                assert len(json.loads(opened.read("check-ins.json"))) == CHECK_INS
            assert rows["check-ins"] == CHECK_INS and rows["consents"] == CONSENT_EVENTS, rows
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    print(f"footprint: profile, {CHECK_INS:,} check-ins ({AUDITED} through the service), "
          f"{CONSENT_EVENTS} consent events, {rows['audit-log']:,} audit entries of theirs")
    print(f"archive: {len(archive) / 1024:,.0f} KiB, {len(rows)} categories; sealed and opened in {sealing_ms:.0f} ms")
    print(f"rights_copy={seconds:.3f} s")


if __name__ == "__main__":
    main()
