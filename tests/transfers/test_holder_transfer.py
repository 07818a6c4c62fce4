"""C10: platform staff record in the Django admin that an enterprise's data passes to a new holder;
a task in the enterprise's schema tells every person (inbox, e-mail where known, SMS where not).
Without a change of purpose the new holder is bound to the policy in force (recorded); with one,
the consent gate refuses the changed purposes until each person consents again."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import SmsOutboxMessage, User
from audit.models import AuditEntry
from tenants.models import LifecycleEvent
from tests.consent.factories import signed_in
from tests.consent.test_gate import GPS
from tests.orgdata.factories import make_employee
from tests.policies.factories import PolicyVersionFactory
from transfers import tasks
from transfers.models import HolderTransfer

ADD = "/admin/transfers/holdertransfer/add/"


@pytest.fixture
def staff(enterprises, client, settings):
    connection.set_schema_to_public()
    person = User.objects.create_user(mobile="13800007791", display_name="Support", password="Supp0rt-Desk!",
                                      is_staff=True, role=User.Role.PLATFORM_STAFF)
    person.user_permissions.add(Permission.objects.get(codename="change_enterprise"))
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(person)
    return client


def _form(enterprise, **extra):
    return {"enterprise": enterprise.enterprise.pk, "new_holder_name": "Acquirer Holdings Ltd",
            "new_holder_contact": "privacy@acquirer.example", "effective_on":
            (timezone.localdate() + timedelta(days=30)).isoformat(), **extra}


def _record(staff, enterprise, capture, **extra) -> HolderTransfer:
    with capture(execute=False) as queued:
        response = staff.post(ADD, _form(enterprise, **extra))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(queued) == 1  # the enterprise's task, queued once the record commits
    connection.set_schema_to_public()
    return HolderTransfer.objects.latest("id")


def _run_task(enterprise, transfer, capture) -> int:
    """The queued task, run as the worker runs it: in the enterprise's schema."""
    with schema_context(enterprise.schema_name), capture(execute=True):
        return tasks.tell_people_of_transfer.apply(args=[transfer.pk]).get()


def _inbox(person):
    return [message["body"] for message in person.get("/api/v1/rights/inbox").json()
            if message.get("topic", "account") == "account"]


@pytest.mark.promise("C10")
def test_without_a_change_of_purpose_every_person_is_told_and_the_holder_is_bound_to_the_policy_in_force(
        enterprises, staff, django_capture_on_commit_callbacks):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.t1", days_ago=40)
    with schema_context(enterprises.a.schema_name):
        with_email = make_employee(name="有邮箱", email="you.youxiang@example.com").account
        without_email = make_employee(name="无邮箱").account
    reader, texter = signed_in(enterprises.a, with_email), signed_in(enterprises.a, without_email)

    transfer = _record(staff, enterprises.a, django_capture_on_commit_callbacks)
    assert transfer.bound_policy_version.version == "2026.t1" and transfer.changed_purposes == []
    assert transfer.recorded_by.mobile == "13800007791"
    assert LifecycleEvent.objects.filter(enterprise=enterprises.a.enterprise, event="holder_transfer_recorded",
                                         detail__bound_policy_version="2026.t1").exists()

    told = _run_task(enterprises.a, transfer, django_capture_on_commit_callbacks)
    with schema_context(enterprises.a.schema_name):
        people = User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).count()
        assert told == people >= 3  # the manager too
        sms = list(SmsOutboxMessage.objects.filter(message_kind="holder_transfer").values_list("person_id", flat=True))
        assert without_email.pk in sms and with_email.pk not in sms
        assert AuditEntry.objects.filter(action="holder_transfer_told", object_id=str(transfer.pk)).exists()
    for person in (reader, texter):
        assert any("Acquirer Holdings Ltd" in body and "version 2026.t1" in body for body in _inbox(person))
    assert any(sent.to == ["you.youxiang@example.com"] and "Acquirer Holdings Ltd" in sent.subject
               for sent in mail.outbox)
    connection.set_schema_to_public()
    transfer.refresh_from_db()
    assert transfer.people_told_at is not None
    # Run again (a redelivered message): nobody is told twice.
    assert _run_task(enterprises.a, transfer, django_capture_on_commit_callbacks) == 0


@pytest.mark.promise("C10")
def test_a_changed_purpose_is_not_processed_until_the_person_consents_again(
        enterprises, staff, django_capture_on_commit_callbacks):
    person = signed_in(enterprises.a)
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.location").status_code == 201
    assert person.check_in(location=GPS).status_code == 201

    transfer = _record(staff, enterprises.a, django_capture_on_commit_callbacks, changes_purpose="on",
                       changed_purposes=["device.location"])
    assert transfer.changed_purposes == ["device.location"]
    _run_task(enterprises.a, transfer, django_capture_on_commit_callbacks)

    refused = person.check_in(location=GPS)
    assert refused.status_code == 403 and refused.json()["purpose"] == "device.location"
    purposes = {row["code"]: row for row in person.get("/api/v1/consent/purposes").json()}
    assert purposes["device.location"]["has_consented"] is False
    assert any("consent again" in body for body in _inbox(person))
    # Other purposes are untouched; a new consent lets processing resume.
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.location").status_code == 201
    assert person.check_in(location=GPS).status_code == 201


@pytest.mark.promise("C10")
def test_the_admin_refuses_a_purpose_change_without_purposes_and_nobody_without_the_permission_records(
        enterprises, staff, client, settings):
    unnamed = staff.post(ADD, _form(enterprises.a, changes_purpose="on"))
    assert unnamed.status_code == 200 and "Name the purposes that change." in unnamed.content.decode()
    basic = staff.post(ADD, _form(enterprises.a, changes_purpose="on", changed_purposes=["basic_service"]))
    assert basic.status_code == 200
    connection.set_schema_to_public()
    assert not HolderTransfer.objects.exists()
    plain = User.objects.create_user(mobile="13800007792", display_name="Desk", password="Supp0rt-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    client.force_login(plain)
    assert client.post(ADD, _form(enterprises.a)).status_code == 403


class RefusingGateway:
    """An SMS provider that takes no message (the outside thing this test replaces)."""

    def send(self, **message):
        from accounts.sms import SmsNotSent

        raise SmsNotSent("provider refused")


@pytest.mark.promise("C10")
def test_a_refused_text_message_leaves_nobody_untold(enterprises, staff, settings, django_capture_on_commit_callbacks):
    with schema_context(enterprises.a.schema_name):
        texted = make_employee(name="短信").account
    person = signed_in(enterprises.a, texted)
    transfer = _record(staff, enterprises.a, django_capture_on_commit_callbacks)
    settings.SMS_BACKEND = "tests.transfers.test_holder_transfer.RefusingGateway"
    told = _run_task(enterprises.a, transfer, django_capture_on_commit_callbacks)
    with schema_context(enterprises.a.schema_name):
        assert told == User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).count()
    assert any("Acquirer Holdings Ltd" in body for body in _inbox(person))
