"""R3: recipients the person's information was shared with are told to delete it — through the
service, the Celery task and a real HTTP receiver on 127.0.0.1."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from consent import tasks
from consent.models import DeletionNotice, Recipient
from consent.services import deletion_notices
from consent.services import sharing as sharing_services
from tests.consent.factories import signed_in
from tests.consent.webhook_receiver import Receiver
from tests.orgdata.factories import TEST_SETUP, make_employee

SECRET = "test-webhook-secret-of-the-affiliate"


@pytest.fixture
def receiver_answering():
    receivers = []

    def start(*statuses):
        receivers.append(Receiver(statuses))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.close()


def shared_with_affiliate(enterprise, receiver, user=None):
    """A person whose information went to the Qince affiliate (C9), whose webhook is `receiver`."""
    person = signed_in(enterprise, user)
    assert person.grant("share.affiliate.qince").status_code == 201
    with schema_context(enterprise.schema_name):
        sharing_services.share_with_recipient(actor=TEST_SETUP, person=person.user,
                                              purpose_code="share.affiliate.qince")
        affiliate = Recipient.objects.get(code="affiliate.qince")
        deletion_notices.set_webhook(actor=TEST_SETUP, recipient=affiliate, url=receiver.url, secret=SECRET)
    return person


def notify_and_deliver(enterprise, person, django_capture_on_commit_callbacks):
    with schema_context(enterprise.schema_name):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            notices = deletion_notices.notify_recipients_of_erasure(actor=TEST_SETUP, person=person.user)
        assert len(queued) == len(notices)  # delivery is queued only after the erasure commits
        for notice in notices:
            tasks.deliver_deletion_notice.apply(args=[notice.pk])
        return [DeletionNotice.objects.get(pk=notice.pk) for notice in notices]


@pytest.mark.promise("R3")
def test_a_recipient_that_received_the_information_gets_a_signed_notice_without_personal_data(
        enterprises, receiver_answering, django_capture_on_commit_callbacks):
    receiver = receiver_answering(200)
    person = shared_with_affiliate(enterprises.a, receiver)

    notice, = notify_and_deliver(enterprises.a, person, django_capture_on_commit_callbacks)

    assert notice.recipient.code == "affiliate.qince"
    assert (notice.status, notice.attempts, notice.last_error_code) == ("delivered", 1, "")
    (headers, body), = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[deletion_notices.SIGNATURE_HEADER], expected)
    payload = json.loads(body)
    assert payload["notice_id"] == notice.pk and payload["recipient"] == "affiliate.qince"
    assert payload["subject"] == hmac.new(SECRET.encode(), f"person:{person.user.pk}".encode(),
                                          hashlib.sha256).hexdigest()
    with schema_context(enterprises.a.schema_name):
        person.user.refresh_from_db()
        personal = [person.user.display_name, person.user.mobile]
    assert all(personal) and not [value for value in personal if value in body.decode()]
    assert sorted(payload) == ["erased_at", "notice_id", "recipient", "sent_at", "subject", "type"]
    assert person.user.pk not in payload.values() and str(person.user.pk) not in payload.values()
    # The secret is stored only wrapped by the master key.
    assert SECRET not in notice.recipient.webhook_secret_sealed

    # Delivered once: running the task again sends nothing.
    with schema_context(enterprises.a.schema_name):
        assert tasks.deliver_deletion_notice.apply(args=[notice.pk]).get() == "delivered"
    assert len(receiver.received) == 1


@pytest.mark.promise("R3")
def test_a_receiver_failing_twice_then_answering_gets_the_notice_after_retries(
        enterprises, receiver_answering, django_capture_on_commit_callbacks):
    receiver = receiver_answering(500, 500, 200)
    person = shared_with_affiliate(enterprises.a, receiver)

    notice, = notify_and_deliver(enterprises.a, person, django_capture_on_commit_callbacks)

    assert (notice.status, notice.attempts) == ("delivered", 3)
    assert len({json.loads(body)["notice_id"] for _headers, body in receiver.received}) == 1


@pytest.mark.promise("R3")
def test_a_receiver_that_never_answers_2xx_ends_failed_with_an_error_code_only(
        enterprises, receiver_answering, django_capture_on_commit_callbacks):
    receiver = receiver_answering(500)
    person = shared_with_affiliate(enterprises.a, receiver)

    notice, = notify_and_deliver(enterprises.a, person, django_capture_on_commit_callbacks)

    assert (notice.status, notice.attempts, notice.last_error_code) == (
        "failed", deletion_notices.MAX_ATTEMPTS, "http_500")
    assert len(receiver.received) == deletion_notices.MAX_ATTEMPTS


@pytest.mark.promise("R3")
def test_only_recipients_in_the_sharing_ledger_are_told(enterprises, receiver_answering,
                                                       django_capture_on_commit_callbacks):
    receiver = receiver_answering(200)
    person = shared_with_affiliate(enterprises.a, receiver)
    never_shared = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        for other in Recipient.objects.exclude(code="affiliate.qince"):
            deletion_notices.set_webhook(actor=TEST_SETUP, recipient=other, url=receiver.url)

    assert [n.recipient.code for n in notify_and_deliver(enterprises.a, person, django_capture_on_commit_callbacks)] \
        == ["affiliate.qince"]
    assert notify_and_deliver(enterprises.a, never_shared, django_capture_on_commit_callbacks) == []
    # A second erasure run tells nobody twice.
    assert notify_and_deliver(enterprises.a, person, django_capture_on_commit_callbacks) == []
    assert len(receiver.received) == 1


@pytest.mark.promise("R3")
def test_the_person_and_the_administrator_see_each_notice_and_its_status(
        enterprises, receiver_answering, django_capture_on_commit_callbacks, console_as):
    receiver = receiver_answering(503)
    with schema_context(enterprises.a.schema_name):
        employee = make_employee(name="通知人")
        manager = User.objects.get(role=User.Role.MANAGER)
    person = shared_with_affiliate(enterprises.a, receiver, user=employee.account)
    assert person.get("/api/v1/consent/deletion-notices").json() == []

    notice, = notify_and_deliver(enterprises.a, person, django_capture_on_commit_callbacks)

    mine, = person.get("/api/v1/consent/deletion-notices").json()
    assert (mine["id"], mine["status"], mine["attempts"]) == (notice.pk, "failed", deletion_notices.MAX_ATTEMPTS)
    assert mine["recipient"]["code"] == "affiliate.qince"
    assert signed_in(enterprises.a).get("/api/v1/consent/deletion-notices").json() == []  # only one's own

    page = console_as(manager).get(f"/console/privacy/people/{employee.account_id}/").content.decode()
    row = page.split('data-testid="deletion-notices"')[1].split("</table>")[0]
    assert 'data-recipient="affiliate.qince" data-status="failed"' in row


def _lost_notice(enterprise, person, django_capture_on_commit_callbacks, **state):
    """A notice written by the erasure whose delivery message never reached a worker."""
    with schema_context(enterprise.schema_name):
        with django_capture_on_commit_callbacks(execute=False):
            notice, = deletion_notices.notify_recipients_of_erasure(actor=TEST_SETUP, person=person.user)
        DeletionNotice.objects.filter(pk=notice.pk).update(**state)
        return notice.pk


@pytest.mark.promise("R3")
def test_the_sweep_sends_again_only_notices_nobody_tried_for_too_long(
        enterprises, receiver_answering, django_capture_on_commit_callbacks, monkeypatch):
    receiver = receiver_answering(200)
    long_ago = timezone.now() - deletion_notices.STUCK_AFTER - timedelta(minutes=1)
    just_now = timezone.now() - timedelta(minutes=1)
    states = {
        "never tried": {"created_at": long_ago},
        "tried long ago": {"created_at": long_ago, "last_attempt_at": long_ago, "attempts": 2},
        "in its retries": {"created_at": long_ago, "last_attempt_at": just_now, "attempts": 1},
        "just written": {},
        "delivered": {"created_at": long_ago, "status": DeletionNotice.Status.DELIVERED},
        "failed": {"created_at": long_ago, "status": DeletionNotice.Status.FAILED},
    }
    notices = {name: _lost_notice(enterprises.a, shared_with_affiliate(enterprises.a, receiver),
                                  django_capture_on_commit_callbacks, **state)
               for name, state in states.items()}
    sent = []
    monkeypatch.setattr(tasks.deliver_deletion_notice, "delay", sent.append)

    with schema_context(enterprises.a.schema_name):
        assert tasks.requeue_stuck_deletion_notices.apply().get() == 2
    assert sent == [notices["never tried"], notices["tried long ago"]]

    # Sent again, each is delivered once and counts the attempts it already had.
    with schema_context(enterprises.a.schema_name):
        for notice_id in sent:
            assert tasks.deliver_deletion_notice.apply(args=[notice_id]).get() == "delivered"
        assert DeletionNotice.objects.get(pk=notices["tried long ago"]).attempts == 3
    assert len(receiver.received) == 2


@pytest.mark.promise("R3")
def test_a_notice_sent_again_is_never_tried_more_than_max_attempts_in_all(
        enterprises, receiver_answering, django_capture_on_commit_callbacks):
    receiver = receiver_answering(500)
    long_ago = timezone.now() - deletion_notices.STUCK_AFTER * 2
    notice_id = _lost_notice(enterprises.a, shared_with_affiliate(enterprises.a, receiver),
                             django_capture_on_commit_callbacks, created_at=long_ago, last_attempt_at=long_ago,
                             attempts=deletion_notices.MAX_ATTEMPTS - 1)

    with schema_context(enterprises.a.schema_name):
        assert tasks.deliver_deletion_notice.apply(args=[notice_id]).get() == "failed"
        notice = DeletionNotice.objects.get(pk=notice_id)
    assert (notice.status, notice.attempts, notice.last_error_code) == (
        "failed", deletion_notices.MAX_ATTEMPTS, "http_500")
    assert len(receiver.received) == 1
