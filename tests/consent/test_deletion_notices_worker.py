"""R3 through the real Celery worker: a notice queued when the erasure commits is retried by the
worker with backoff until the real local receiver accepts it."""
from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from consent.models import DeletionNotice, LegalBasis, Recipient
from consent.services import deletion_notices
from consent.services import erasure as consent_erasure
from consent.services import sharing as sharing_services
from tests.accounts.factories import EmployeeAccountFactory
from tests.committing import committed
from tests.consent.webhook_receiver import Receiver
from tests.orgdata.factories import TEST_SETUP

pytestmark = pytest.mark.usefixtures("celery_worker")
TIMEOUT = 60
RECIPIENT = "affiliate.qince"


@contextmanager
def a_shared_person_and_a_notice(schema: str, replies: list[int], write_notice):
    """A person shared with the recipient (under a legal basis, C12, so no consent answer is needed
    for the ledger to name it), the recipient's webhook pointing at a real local receiver answering
    `replies`, and the notice `write_notice(person, recipient)` writes. Yields (notice id, receiver,
    a function reading the notice's (status, attempts)); everything is removed afterwards."""
    receiver = Receiver(replies)

    def set_up() -> tuple[int, int]:
        person = EmployeeAccountFactory()
        sharing_services.share_with_recipient(actor=TEST_SETUP, person=person, purpose_code=f"share.{RECIPIENT}",
                                              legal_basis=LegalBasis.LEGAL_OBLIGATION, reference="R3 worker test")
        recipient = Recipient.objects.get(code=RECIPIENT)
        deletion_notices.set_webhook(actor=TEST_SETUP, recipient=recipient, url=receiver.url,
                                     secret="worker-test-secret")
        return person.pk, write_notice(person, recipient).pk

    person_id, notice_id = committed(schema, set_up)

    def look():
        return committed(schema, lambda: DeletionNotice.objects.filter(pk=notice_id)
                         .values_list("status", "attempts").first())

    try:
        yield receiver, look
    finally:
        receiver.close()

        def clean_up():
            DeletionNotice.objects.filter(pk=notice_id).delete()
            consent_erasure.erase_consent_records_of(person_id=person_id)
            Recipient.objects.filter(code=RECIPIENT).update(webhook_url="", webhook_secret_sealed="")
            User.objects.filter(pk=person_id).delete()

        committed(schema, clean_up)


def _wait_while_queued(look) -> None:
    deadline = time.monotonic() + TIMEOUT
    while look()[0] == "queued" and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.promise("R3")
def test_the_worker_retries_a_failing_receiver_until_the_notice_is_delivered(session_enterprises):
    def erased(person, recipient):
        with transaction.atomic():  # the erasure's transaction: the task is sent when it commits
            notice, = deletion_notices.notify_recipients_of_erasure(actor=TEST_SETUP, person=person)
        return notice

    with a_shared_person_and_a_notice(session_enterprises.b.schema_name, [500, 500, 200], erased) as (receiver, look):
        _wait_while_queued(look)
        assert look() == ("delivered", 3)
        assert len(receiver.received) == 3


@pytest.mark.promise("R3")
def test_a_notice_whose_message_was_lost_is_delivered_by_the_worker_after_the_sweep(session_enterprises):
    from consent import tasks

    schema = session_enterprises.b.schema_name

    def erased_and_message_lost(person, recipient):
        # Written by the erasure, but its delivery message never reached a worker.
        notice = DeletionNotice.objects.create(recipient=recipient, person=person)
        DeletionNotice.objects.filter(pk=notice.pk).update(
            created_at=timezone.now() - deletion_notices.STUCK_AFTER - timedelta(minutes=5))
        return notice

    with a_shared_person_and_a_notice(schema, [200], erased_and_message_lost) as (receiver, look):
        assert committed(schema, lambda: tasks.requeue_stuck_deletion_notices.apply().get()) >= 1
        _wait_while_queued(look)
        assert look() == ("delivered", 1)
        assert len(receiver.received) == 1
