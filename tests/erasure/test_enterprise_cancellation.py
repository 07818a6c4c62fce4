"""E9: an enterprise's manager applies for cancellation in the console (re-authenticating, typing
the enterprise code), can withdraw it during the grace period; then the engine closes every account,
tells recipients (R3), keeps only the anonymised records the law requires in an isolated archive
(R4), drops everything else and proves it; an unpaid enterprise is warned and cancelled."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from consent.models import DeletionNotice, Recipient
from consent.services import deletion_notices
from core.errors import NotPermitted
from erasure import enterprise as enterprise_services
from erasure import tasks
from tenants import services as tenant_services
from tenants.models import Enterprise, EnterpriseCancellation, LifecycleEvent
from tests.consent.webhook_receiver import Receiver
from tests.erasure.factories import make_person_everywhere
from tests.orgdata.factories import TEST_SETUP, make_employee
from tests.tenants.factories import TEST_PROVISIONING, platform_operator

PASSWORD = "Leaving-Strong-9"
SECRET = "webhook-secret-of-the-affiliate"


@pytest.fixture
def leaving(db):
    """A fresh enterprise of its own (its schema is dropped), with its manager signed in to the console."""
    result = tenant_services.provision_enterprise(
        actor=TEST_PROVISIONING, code="leaving", name="Leaving Ltd", location="Suzhou", industry="Retail",
        personnel_size="1-20", administrator_mobile="13566660001", administrator_name="Qian Yi",
        administrator_password=PASSWORD)
    enterprise = result.enterprise
    console = Client(HTTP_HOST=result.domain)
    with schema_context(enterprise.schema_name):  # the session lives in the enterprise's schema
        manager = User.objects.get(role=User.Role.MANAGER)
        console.force_login(manager)
    connection.set_schema_to_public()
    return enterprise, manager, console


@pytest.fixture
def receiver():
    started = Receiver([200])
    yield started
    started.close()


def _apply(console, *, password=PASSWORD, confirmation="leaving"):
    return console.post("/console/organisation/cancellation/", {"password": password, "confirmation": confirmation})


def _grace_period_passes(enterprise):
    connection.set_schema_to_public()
    EnterpriseCancellation.objects.filter(enterprise=enterprise, finished_at__isnull=True,
                                          withdrawn_at__isnull=True).update(
        cancel_after=timezone.now() - timedelta(seconds=1))


def _lifecycle_job() -> dict:
    connection.set_schema_to_public()  # where beat sends it (a console request left the test elsewhere)
    return tasks.run_enterprise_lifecycle.apply().get()


def _archive_rows(archive, table, columns):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {", ".join(columns)} FROM "{archive}"."{table}"')
        return cursor.fetchall()


@pytest.mark.promise("E9")
def test_the_manager_applies_sees_the_date_everywhere_and_can_withdraw(leaving):
    enterprise, manager, console = leaving
    page = console.get("/console/organisation/cancellation/").content.decode()
    assert 'data-testid="cancel-form"' in page and "15" in page

    response = _apply(console)

    assert response.status_code == 302
    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)
    grace = timedelta(days=settings.ENTERPRISE_CANCELLATION_GRACE_DAYS)
    assert abs(cancellation.cancel_after - (timezone.now() + grace)) < timedelta(minutes=1)
    assert cancellation.requested_by == f"user:{manager.pk}"
    dashboard = console.get("/console/").content.decode()
    assert 'data-testid="cancellation-banner"' in dashboard
    assert cancellation.cancel_after.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in dashboard
    # Nothing stops during the grace period.
    assert console.get("/console/organisation/employees/").status_code == 200

    withdrawn = console.post("/console/organisation/cancellation/withdraw/")

    assert withdrawn.status_code == 302
    cancellation.refresh_from_db()
    assert cancellation.withdrawn_at is not None and cancellation.withdrawn_by == f"user:{manager.pk}"
    assert 'data-testid="cancellation-banner"' not in console.get("/console/").content.decode()
    assert [event.event for event in LifecycleEvent.objects.filter(enterprise=enterprise)] == [
        "cancellation_scheduled", "cancellation_withdrawn"]


@pytest.mark.promise("E9")
@pytest.mark.parametrize(("password", "confirmation", "field_error"), [
    ("wrong-password", "leaving", "Your password is incorrect."),
    (PASSWORD, "leavin", "Type the enterprise code leaving to confirm."),
])
def test_a_wrong_password_or_confirmation_schedules_nothing(leaving, password, confirmation, field_error):
    enterprise, manager, console = leaving
    response = _apply(console, password=password, confirmation=confirmation)
    assert response.status_code == 400 and field_error in response.content.decode()
    assert not EnterpriseCancellation.objects.filter(enterprise=enterprise).exists()


def test_only_the_manager_may_apply(leaving):
    enterprise, manager, console = leaving
    with schema_context(enterprise.schema_name):
        employee = make_employee(name="普通员工").account
    with schema_context(enterprise.schema_name), pytest.raises(NotPermitted):
        enterprise_services.apply_for_cancellation(actor=employee, password=PASSWORD, confirmation="leaving")
    assert not EnterpriseCancellation.objects.filter(enterprise=enterprise).exists()


@pytest.mark.promise("E9")
@pytest.mark.promise("R3")
@pytest.mark.promise("R4")
def test_after_the_grace_period_everyone_is_erased_and_only_an_anonymised_archive_remains(leaving, receiver):
    enterprise, manager, console = leaving
    with schema_context(enterprise.schema_name):
        person = make_person_everywhere(manager=manager)
        colleague = make_employee(name="同事").account
        affiliate = Recipient.objects.get(code="affiliate.qince")
        deletion_notices.set_webhook(actor=TEST_SETUP, recipient=affiliate, url=receiver.url, secret=SECRET)
    assert _apply(console).status_code == 302
    _grace_period_passes(enterprise)
    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)

    assert tasks.run_enterprise_cancellation.apply(args=[cancellation.pk]).get() == "cancelled"

    cancellation.refresh_from_db()
    enterprise.refresh_from_db()
    assert enterprise.status == Enterprise.Status.CANCELLED
    assert cancellation.residue == [] and cancellation.finished_at is not None
    # Routing refuses the enterprise at once; its schema, files and cache keys are gone.
    refused = Client(HTTP_HOST="leaving.localhost").get("/api/v1/me")
    assert refused.status_code == 403 and refused.json()["code"] == "enterprise_cancelled"
    assert not schema_exists(enterprise.schema_name)
    # R3: the recipient that received the person's information was told.
    assert len(receiver.received) == 1
    # R4: the archive holds only records the law keeps, scrubbed: tombstones without names or
    # blind indexes, check-ins whose location key is destroyed, the audit log.
    archive = cancellation.archive_schema
    assert set(cancellation.archived_rows) >= {"accounts_user", "audit_entry", "attendance_checkin"}
    assert not {"orgdata_employee", "consent_consentevent", "accounts_devicetoken",
                "django_session"} & set(cancellation.archived_rows)
    users = _archive_rows(archive, "accounts_user", ["id", "display_name", "mobile_index", "is_active"])
    assert {row[0] for row in users} >= {person.pk, colleague.pk, manager.pk}
    assert all(row[1:] == ("", None, False) for row in users)
    notices = _archive_rows(archive, "consent_deletionnotice", ["status"])
    assert (DeletionNotice.Status.DELIVERED,) in notices
    months = max(settings.RETENTION_MONTHS.values())
    assert cancellation.hold_until > timezone.localdate() + timedelta(days=months * 30 - 31)
    events = list(LifecycleEvent.objects.filter(enterprise=enterprise).values_list("event", flat=True))
    assert events == ["cancellation_scheduled", "cancellation_started", "archived", "schema_dropped", "cancelled"]

    # The scan reads the archive itself: a name written back into it is residue.
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{archive}".accounts_user SET display_name = %s WHERE id = %s', ["赵六", person.pk])
    assert enterprise_services.scan_for_residue(cancellation) == [f"{archive}.accounts_user.display_name"]
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{archive}".accounts_user SET display_name = %s WHERE id = %s', ["", person.pk])

    # Running it again changes nothing; when the longest retention ends, the archive goes too.
    assert tasks.run_enterprise_cancellation.apply(args=[cancellation.pk]).get() == "cancelled"
    assert enterprise_services.drop_expired_archives(
        actor=enterprise_services.ENTERPRISE_LIFECYCLE, today=cancellation.hold_until) == 1
    assert not schema_exists(archive)


@pytest.mark.promise("E9")
def test_a_paid_enterprise_not_renewed_is_warned_then_cancelled_30_days_after_it_expired(leaving):
    enterprise, manager, console = leaving
    expired = timezone.localdate() - timedelta(days=1)
    Enterprise.objects.filter(pk=enterprise.pk).update(plan=Enterprise.Plan.PAID, paid_until=expired)

    assert _lifecycle_job()["warned"] == 1

    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)
    assert cancellation.reason == EnterpriseCancellation.Reason.UNPAID
    assert timezone.localtime(cancellation.cancel_after).date() == expired + timedelta(days=30)
    dashboard = console.get("/console/").content.decode()
    assert 'data-testid="cancellation-banner"' in dashboard and "renew" in dashboard
    # The manager cannot simply withdraw it; running the job again warns nobody twice.
    refused = console.post("/console/organisation/cancellation/withdraw/")
    assert refused.status_code == 400 and "Renew the subscription" in refused.content.decode()
    assert _lifecycle_job()["warned"] == 0

    # Support staff record the renewal: the cancellation is withdrawn.
    enterprise_services.record_renewal(actor=platform_operator(), enterprise=enterprise,
                                       paid_until=timezone.localdate() + timedelta(days=365))
    cancellation.refresh_from_db()
    assert cancellation.withdrawn_at is not None
    assert 'data-testid="cancellation-banner"' not in console.get("/console/").content.decode()


def test_the_periodic_job_starts_a_cancellation_whose_grace_period_ended(leaving, django_capture_on_commit_callbacks):
    enterprise, manager, console = leaving
    assert _apply(console).status_code == 302
    assert _lifecycle_job()["started"] == 0  # still in its grace period
    _grace_period_passes(enterprise)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert _lifecycle_job()["started"] == 1
    assert len(queued) == 1


def test_a_cancellation_in_its_grace_period_does_not_run_even_when_asked(leaving):
    enterprise, manager, console = leaving
    assert _apply(console).status_code == 302
    connection.set_schema_to_public()
    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)

    assert tasks.run_enterprise_cancellation.apply(args=[cancellation.pk]).get() == "in progress"

    enterprise.refresh_from_db()
    cancellation.refresh_from_db()
    assert enterprise.status == Enterprise.Status.ACTIVE and cancellation.started_at is None
    assert schema_exists(enterprise.schema_name)


@pytest.mark.promise("E9")
def test_support_staff_see_the_lifecycle_and_record_a_renewal_in_the_admin(leaving, client, settings):
    enterprise, manager, console = leaving
    assert _apply(console).status_code == 302
    connection.set_schema_to_public()
    staff = User.objects.create_user(mobile="13800007778", display_name="Support", password="Supp0rt-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_enterprise", "change_enterprise"]))
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(staff)
    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)

    page = client.get(f"/admin/tenants/enterprise/{enterprise.pk}/change/").content.decode()

    assert "cancellation_scheduled" in page and f"user:{manager.pk}" in page
    assert "Applied for by the enterprise" in page
    listing = client.get("/admin/tenants/enterprise/").content.decode()
    assert "Record a renewal for one year" in listing and "Withdraw the scheduled cancellation" in listing

    client.post("/admin/tenants/enterprise/", {"action": "withdraw_cancellation", "_selected_action": [enterprise.pk]})
    cancellation.refresh_from_db()
    assert cancellation.withdrawn_by == f"platform-staff:{staff.pk}"


@pytest.mark.promise("E10")
def test_after_a_ceased_service_winds_down_every_enterprise_is_scheduled_for_cancellation(leaving):
    from tenants import cessation
    from tenants.models import ServiceCessation

    enterprise, manager, console = leaving
    staff = User.objects.create_user(mobile="13800007779", display_name="Support", password="Supp0rt-Desk!",
                                     is_staff=True, is_superuser=True, role=User.Role.PLATFORM_STAFF)
    cessation.announce_cessation(actor=staff, stop_on=cessation.earliest_stop_date(),
                                 message="Closing down.")
    assert _lifecycle_job()["scheduled"] == 0  # announced, not yet stopped: nothing is cancelled
    wind_down = timedelta(days=settings.SERVICE_CESSATION_WIND_DOWN_DAYS)
    ServiceCessation.objects.update(stop_on=timezone.localdate() - wind_down)
    cessation.forget_cessation()

    result = _lifecycle_job()

    ready = Enterprise.objects.ready_for_periodic_work().count()
    assert result["scheduled"] == ready >= 1
    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)
    assert cancellation.reason == EnterpriseCancellation.Reason.SERVICE_CESSATION
    refused = console.post("/console/organisation/cancellation/withdraw/")
    assert refused.status_code == 400 and "The service is ceasing" in refused.content.decode()
