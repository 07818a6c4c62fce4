"""C9 through the real Celery worker: a transfer queued when its transaction commits is sent by the
worker to the local delivery outbox, with exactly the consented types of the consenting person."""
from __future__ import annotations

import json
import time

import pytest
from django.db import transaction

from accounts.models import User
from consent import transfer_delivery
from consent.models import Recipient, Transfer
from consent.services import erasure as consent_erasure
from consent.services import ledger as ledger_services
from consent.services import sharing as sharing_services
from tests.accounts.factories import EmployeeAccountFactory
from tests.committing import committed
from tests.orgdata.factories import TEST_SETUP

pytestmark = pytest.mark.usefixtures("celery_worker")
TIMEOUT = 60


@pytest.mark.promise("C9")
def test_the_worker_sends_a_queued_transfer_with_exactly_the_consented_types(session_enterprises):
    schema = session_enterprises.b.schema_name

    def set_up() -> tuple[int, int]:
        person = EmployeeAccountFactory()
        ledger_services.grant_consent(actor=person, person=person, purpose_code="share.partner.mobo",
                                      channel="mobile", explicit_confirmation=True)
        with transaction.atomic():  # the console's transaction: the task is sent when it commits
            transfer = sharing_services.queue_transfer(actor=TEST_SETUP, recipient=Recipient.objects.get(
                code="partner.mobo"), dataset=Transfer.Dataset.INSURANCE)
        return person.pk, transfer.pk

    person_id, transfer_id = committed(schema, set_up)
    path = transfer_delivery.LocalOutbox.path_for(schema, transfer_id)
    try:
        deadline = time.monotonic() + TIMEOUT
        while committed(schema, lambda: Transfer.objects.get(pk=transfer_id).status) == "queued" \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        transfer = committed(schema, lambda: Transfer.objects.get(pk=transfer_id))
        mobile = committed(schema, lambda: User.objects.get(pk=person_id).mobile)
        assert transfer.status == "sent" and transfer.sent_count >= 1
        received = json.loads(path.read_text())
        assert received["recipient"] == "partner.mobo" and received["dataset"] == "insurance"
        mine = [r for r in received["records"] if r.get("mobile") == mobile]
        assert len(mine) == 1 and set(mine[0]) == {"login_account", "name", "mobile"}
    finally:
        path.unlink(missing_ok=True)

        def clean_up():
            Transfer.objects.filter(pk=transfer_id).delete()
            consent_erasure.erase_consent_records_of(person_id=person_id)
            User.objects.filter(pk=person_id).delete()

        committed(schema, clean_up)
