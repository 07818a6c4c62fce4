"""Row locks are taken in one order (the person's row before the audit-chain head), so a consent
change and a check-in by the same person at the same moment never deadlock.

Both writes go through the real API, from two threads with their own database connections and
transactions that really commit (the session enterprises' committed data, not a rolled-back test
transaction).
"""
import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from attendance.models import CheckIn
from audit import selectors
from consent.models import ConsentEvent
from rest_framework.test import APIClient

from tests.committing import committed
from tests.consent.factories import Person, signed_in

ROUNDS = 40


def test_a_consent_change_and_a_check_in_of_one_person_at_once_both_succeed(session_enterprises, django_db_blocker):
    enterprise = session_enterprises.b
    with django_db_blocker.unblock():
        consenting = committed("public", lambda: signed_in(enterprise))
        # The same person and token on a second client (one client per thread).
        checking_in = Person(enterprise, consenting.user, APIClient(HTTP_HOST=enterprise.host), consenting.device_id)
        checking_in.client.credentials(**consenting.client._credentials)
        statuses = {"consent": [], "check-in": []}
        failures = []
        start = threading.Barrier(2)

        def consent_changes():
            try:
                start.wait()
                for index in range(ROUNDS):
                    answer = consenting.grant("device.location") if index % 2 == 0 else consenting.withdraw("device.location")
                    statuses["consent"].append(answer.status_code)
            except Exception as error:  # a deadlock surfaces here as a raised DatabaseError
                failures.append(repr(error))
            finally:
                connections.close_all()

        def check_ins():
            try:
                start.wait()
                for index in range(ROUNDS):
                    statuses["check-in"].append(checking_in.check_in(place=f"Gate {index}").status_code)
            except Exception as error:
                failures.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=consent_changes), threading.Thread(target=check_ins)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        with schema_context(enterprise.schema_name):
            events = ConsentEvent.objects.filter(person=consenting.user).count()
            check_ins_recorded = CheckIn.objects.filter(person=consenting.user).count()
            chain = selectors.verify_audit_chain()
        connection.set_schema_to_public()

    assert failures == []
    assert statuses == {"consent": [201] * ROUNDS, "check-in": [201] * ROUNDS}
    assert (events, check_ins_recorded) == (ROUNDS, ROUNDS)
    assert chain.is_intact, chain


def test_locking_a_person_after_the_chain_head_in_one_transaction_is_refused(enterprises):
    """The guard: a service that wrote something audited (taking the chain head) and only then asks
    for a person's row fails every time, instead of deadlocking now and then under load."""
    from django.db import transaction

    from audit.errors import LockOrderViolation
    from consent.services import ledger as ledger_services
    from tests.accounts.factories import EmployeeAccountFactory

    with schema_context(enterprises.a.schema_name):
        person = EmployeeAccountFactory()
        with pytest.raises(LockOrderViolation, match="after the audit-chain head"), transaction.atomic():
            person.display_name = "Renamed first"
            person.save()  # audited: takes the chain head
            ledger_services.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                                          explicit_confirmation=True)
        # The right order in one transaction is accepted: the person first, then audited writes.
        with transaction.atomic():
            ledger_services.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                                          explicit_confirmation=True)
            person.display_name = "Renamed after"
            person.save()
        assert ConsentEvent.objects.filter(person=person).count() == 1
