"""X2/X4: every data change, login and unmasked view of personal information is in the audit log,
with who, from where (IP, browser, language) and when, and never with a value."""
from datetime import timedelta

import pytest
from celery import shared_task
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_tenants.utils import schema_context

from accounts.models import User
from audit import context, recording, selectors
from audit.models import AuditEntry
from core.errors import NotPermitted
from privacy.unmask import note_bulk_reveal, reveal
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.audit.conftest import audit_rows_as_text
from tests.accounts.signing_in import api_login

PHONE = "audit-phone-0001"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"
NEW_PASSWORD = "Harbour-Lights-42"


def _entries(schema, **filters):
    with schema_context(schema):
        return list(AuditEntry.objects.filter(**filters).order_by("id"))


@pytest.mark.promise("X4")
@pytest.mark.promise("X2")
def test_an_api_login_and_a_password_change_are_recorded_with_ip_browser_language_and_time(
    enterprises, api_client_for
):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13655550001", display_name="Lin Tao")
    client = api_client_for(enterprises.a)
    started = timezone.now()

    login = api_login(client, {"mobile": "13655550001", "password": FACTORY_PASSWORD,
                                               "device_id": PHONE},
                        HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
                        REMOTE_ADDR="203.0.113.9")
    assert login.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}", HTTP_X_DEVICE_ID=PHONE)
    changed = client.post("/api/v1/auth/password", {"old_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD},
                          format="json", HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT_LANGUAGE="en-GB",
                          REMOTE_ADDR="203.0.113.9")
    assert changed.status_code == 204

    entries = _entries(enterprises.a.schema_name, object_type="accounts.user", object_id=str(person.pk))
    login_entry = next(e for e in entries if e.action == "login")
    assert login_entry.actor == f"user:{person.pk}"  # a reference, never a name
    assert (login_entry.ip, login_entry.user_agent, login_entry.language) == ("203.0.113.9", BROWSER, "zh-CN")
    assert started <= login_entry.occurred_at <= timezone.now()

    update = [e for e in entries if e.action == "update" and "password" in e.changed_fields]
    assert len(update) == 1
    assert update[0].changed_fields == ["password"]  # must_change_password was saved but did not change
    assert (update[0].actor, update[0].ip, update[0].user_agent, update[0].language) == (
        f"user:{person.pk}", "203.0.113.9", BROWSER, "en-GB")

    with schema_context(enterprises.a.schema_name):
        person.refresh_from_db()
    stored = audit_rows_as_text(enterprises.a.schema_name)
    for value in ("13655550001", "Lin Tao", FACTORY_PASSWORD, NEW_PASSWORD, person.password):
        assert value not in stored


@pytest.mark.promise("X4")
def test_console_logins_failed_logins_and_logouts_are_recorded_without_the_mobile_number(enterprises, client):
    host = {"HTTP_HOST": enterprises.a.host, "HTTP_USER_AGENT": BROWSER, "HTTP_ACCEPT_LANGUAGE": "zh-Hans"}
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.with_mobile(enterprises.a.admin_mobile).get()
        before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    failed = client.post("/console/login/", {"username": enterprises.a.admin_mobile, "password": "Wrong-Pass-1!"}, **host)
    unknown = client.post("/console/login/", {"username": "13999999999", "password": "Wrong-Pass-1!"}, **host)
    signed_in = client.post("/console/login/", {"username": enterprises.a.admin_mobile,
                                                "password": enterprises.a.admin_password}, **host)
    signed_out = client.post("/console/logout/", **host)
    assert (failed.status_code, unknown.status_code, signed_in.status_code, signed_out.status_code) == (200, 200, 302, 302)

    new = _entries(enterprises.a.schema_name, id__gt=before)
    assert [(e.action, e.actor, e.object_id) for e in new if e.action != "update"] == [
        ("login_failed", "anonymous", str(manager.pk)),
        ("login_failed", "anonymous", ""),  # no such account here: nothing names the attempt
        ("login", f"user:{manager.pk}", str(manager.pk)),
        ("logout", f"user:{manager.pk}", str(manager.pk)),
    ]
    assert all(e.user_agent == BROWSER and e.language == "zh-Hans" and e.ip == "127.0.0.1" for e in new)
    stored = audit_rows_as_text(enterprises.a.schema_name)
    assert enterprises.a.admin_mobile not in stored and "13999999999" not in stored


@pytest.mark.promise("X4")
def test_creates_updates_and_deletes_name_the_changed_fields_only(enterprises):
    with schema_context(enterprises.b.schema_name):
        person = User.objects.create_user(mobile="13655550004", display_name="Guo Fei")
        person.display_name = "Guo Feifei"
        person.role = User.Role.SUB_ADMIN
        person.save()
        person.save()  # nothing changed: no entry
        person_id = person.pk
        person.delete()

    entries = _entries(enterprises.b.schema_name, object_type="accounts.user", object_id=str(person_id))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert {"mobile", "display_name", "role"} <= set(entries[0].changed_fields)  # what was set, by name
    assert "last_login" not in entries[0].changed_fields  # left empty: not listed
    assert sorted(entries[1].changed_fields) == ["display_name", "role"]
    assert entries[2].changed_fields == []
    assert all(e.actor.startswith("system:") for e in entries)  # no request, no task: the process itself
    stored = audit_rows_as_text(enterprises.b.schema_name)
    assert "13655550004" not in stored and "Guo Fei" not in stored


@pytest.mark.promise("X2")
def test_platform_staff_working_on_enterprise_data_are_recorded_as_platform_staff(enterprises):
    staff = UserFactory(mobile="13800001234", display_name="Support Wang", role=User.Role.PLATFORM_STAFF,
                        is_staff=True)  # in the public schema: a platform account
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13655550002", display_name="Zhou Min")
        with context.acting_as_platform_staff(staff):
            person.display_name = "Zhou Ming"
            person.save()

    [entry] = _entries(enterprises.a.schema_name, object_id=str(person.pk), action="update")
    assert (entry.actor, entry.changed_fields) == (f"platform-staff:{staff.pk}", ["display_name"])
    stored = audit_rows_as_text(enterprises.a.schema_name)
    assert "Support Wang" not in stored and "Zhou Ming" not in stored


@pytest.mark.promise("X2")
def test_a_staff_request_on_the_platform_host_that_touches_enterprise_data_is_attributed_to_the_staff(enterprises):
    staff = UserFactory(mobile="13800001235", display_name="Support Li", role=User.Role.PLATFORM_STAFF, is_staff=True)
    request = RequestFactory().post("/admin/", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.4")
    request.user, request.tenant = staff, None
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13655550005")
    token = context.bind_request(request)
    try:
        with schema_context(enterprises.a.schema_name):
            person.is_active = False
            person.save()
    finally:
        context.unbind_request(token)

    [entry] = _entries(enterprises.a.schema_name, object_id=str(person.pk), action="update")
    assert (entry.actor, entry.ip, entry.user_agent) == (f"platform-staff:{staff.pk}", "198.51.100.4", BROWSER)


@pytest.mark.promise("X2")
def test_a_staff_user_first_looked_up_inside_an_enterprise_is_still_loaded_from_the_platform(enterprises):
    """request.user is lazy: it must be loaded from the platform's accounts, not the enterprise's."""
    staff = UserFactory(mobile="13800001237", role=User.Role.PLATFORM_STAFF, is_staff=True)
    request = RequestFactory().post("/admin/", REMOTE_ADDR="198.51.100.5")
    request.user, request.tenant = SimpleLazyObject(lambda: User.objects.get(pk=staff.pk)), None
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13655550006")
    token = context.bind_request(request)  # bound in public, as the middleware does on the platform host
    try:
        with schema_context(enterprises.a.schema_name):
            person.is_active = False
            person.save()
    finally:
        context.unbind_request(token)

    [entry] = _entries(enterprises.a.schema_name, object_id=str(person.pk), action="update")
    assert entry.actor == f"platform-staff:{staff.pk}"


@pytest.mark.promise("X2")
def test_an_unmasked_view_is_recorded_with_the_field_name_and_a_refused_one_is_not(enterprises):
    with schema_context(enterprises.a.schema_name):
        manager = UserFactory(role=User.Role.MANAGER)
        employee = UserFactory()
        subject = UserFactory(mobile="13655550003")
        assert reveal(actor=manager, instance=subject, field="mobile") == "13655550003"
        with pytest.raises(NotPermitted):
            reveal(actor=employee, instance=subject, field="mobile")
        note_bulk_reveal(actor=manager, model=User, object_ids=[subject.pk, employee.pk], fields=["mobile"])

    entries = _entries(enterprises.a.schema_name, action__startswith="view_unmasked", actor=f"user:{manager.pk}")
    assert [(e.action, e.actor, e.object_type, e.object_id, e.changed_fields) for e in entries] == [
        ("view_unmasked", f"user:{manager.pk}", "accounts.user", str(subject.pk), ["mobile"]),
        ("view_unmasked_bulk", f"user:{manager.pk}", "accounts.user", "", ["mobile"]),
    ]
    assert "13655550003" not in audit_rows_as_text(enterprises.a.schema_name)


@shared_task
def _deactivate(user_id: int) -> None:
    person = User.objects.get(pk=user_id)
    person.is_active = False
    person.save()


def test_work_done_by_a_celery_task_is_attributed_to_the_task(enterprises):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory()
        _deactivate.apply(args=(person.pk,)).get()
        assert context.current_actor().reference != f"system:{_deactivate.name}"  # unbound after the task

    [entry] = _entries(enterprises.a.schema_name, action="update", object_id=str(person.pk))
    assert (entry.actor, entry.changed_fields) == (f"system:{_deactivate.name}", ["is_active"])


def test_bulk_changes_are_recorded_through_record_bulk(enterprises):
    with schema_context(enterprises.b.schema_name):
        people = UserFactory.create_batch(3)
        ids = [person.pk for person in people]
        User.objects.filter(pk__in=ids).update(is_active=False)  # no signals
        recording.record_bulk(model=User, action="update", object_ids=ids, changed_fields=["is_active"])
        recorded = list(AuditEntry.objects.filter(action="update", object_id__in=[str(i) for i in ids])
                        .values_list("object_id", "changed_fields"))
        assert sorted(recorded) == sorted((str(i), ["is_active"]) for i in ids)
        assert selectors.verify_audit_chain().is_intact


def test_the_audited_models_are_those_the_registry_declares_personal():
    from privacy import registry

    audited = {model._meta.label for model in recording.audited_models()}
    declared = {declaration.label for declaration in registry.declarations()}
    assert audited == declared - {"audit.AuditEntry", "audit.AccessLogEntry"}
    assert {"accounts.User", "orgdata.Employee"} <= audited


def test_nothing_is_recorded_in_the_public_schema(db):
    connection.set_schema_to_public()
    assert recording.record_event(action="update", object_type="accounts.user", object_id=1) is None
    UserFactory(mobile="13800001236")  # a platform account: saved without an audit log to write to


def test_entries_are_timestamped_in_order(enterprises, at_time):
    with schema_context(enterprises.b.schema_name):
        first = recording.record_event(action="export", object_type="accounts.user", object_id=1)
        with at_time(timezone.now() + timedelta(seconds=5)):
            second = recording.record_event(action="export", object_type="accounts.user", object_id=1)
        times = dict(AuditEntry.objects.filter(id__in=[first, second]).values_list("id", "occurred_at"))
    assert second == first + 1 and times[second] > times[first]
