"""E10: the service's cessation is announced at least 30 days ahead by platform staff, every console
and app shows it, and from the stop date collection stops (writes refused with a clear error; reads,
exports, signing in and out and removals still work), the import worker included."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.models import User
from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from tenants import cessation
from tenants.collection_stop import CESSATION_HEADER, COLLECTION_STOP_EXEMPT
from tenants.models import ServiceCessation
from tests.consent.factories import signed_in
from tests.orgdata.importing import processed
from tests.orgdata.exporting import exported_through_console

STOP_MESSAGE = "The service stopped collecting personal information"
ADD_URL = "/admin/tenants/servicecessation/add/"
LIST_URL = "/admin/tenants/servicecessation/"


@pytest.fixture
def staff(enterprises):
    connection.set_schema_to_public()
    person = User.objects.create_user(mobile="13800006666", display_name="Support", password="Supp0rt-Desk!",
                                      is_staff=True, role=User.Role.PLATFORM_STAFF)
    person.user_permissions.add(Permission.objects.get(codename="change_enterprise"))
    return User.objects.get(pk=person.pk)  # permissions are cached on the instance


@pytest.fixture
def admin_site(client, settings, staff):
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(staff)
    return client


def _announce(staff, days: int | None = None, message: str = "We are closing down. Export your data in time."):
    connection.set_schema_to_public()  # where platform staff and their permissions are
    stop_on = cessation.earliest_stop_date() if days is None else timezone.localdate() + timedelta(days=days)
    return cessation.announce_cessation(actor=staff, stop_on=stop_on, message=message)


def _the_stop_date_comes():
    """As if the notice period had passed: the live announcement's stop date is today."""
    ServiceCessation.objects.filter(withdrawn_at__isnull=True).update(stop_on=timezone.localdate())
    cessation.forget_cessation()


def _manager_console(client, enterprises):
    with schema_context(enterprises.a.schema_name):
        client.force_login(User.objects.get(role=User.Role.MANAGER))
    client.defaults["HTTP_HOST"] = enterprises.a.host
    return client


def _refused(response) -> bool:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.status_code == 403 and response.json().get("code") == "collection_stopped"
    return response.status_code == 403 and STOP_MESSAGE in response.content.decode()


# --- announcing and withdrawing -----------------------------------------------------------------

@pytest.mark.promise("E10")
def test_platform_staff_announce_in_the_admin_at_least_30_days_ahead(admin_site, staff, settings):
    today = timezone.localdate()
    too_early = admin_site.post(ADD_URL, {"stop_on": (today + timedelta(days=29)).isoformat(), "message": "Bye"})
    assert too_early.status_code == 200
    assert "at least 30 days ahead" in too_early.content.decode()
    assert not ServiceCessation.objects.exists()

    stop_on = today + timedelta(days=30)
    announced = admin_site.post(ADD_URL, {"stop_on": stop_on.isoformat(), "message": "Export your data."})
    assert announced.status_code == 302
    row = ServiceCessation.objects.get()
    assert (row.stop_on, row.announced_by_id, row.message) == (stop_on, staff.pk, "Export your data.")

    # The admin pages show the notice too, and a second announcement is refused while one is live.
    listing = admin_site.get(LIST_URL).content.decode()
    assert 'data-testid="service-cessation"' in listing and "Export your data." in listing
    second = admin_site.post(ADD_URL, {"stop_on": (today + timedelta(days=60)).isoformat()})
    assert second.status_code == 200 and "already announced" in second.content.decode()
    assert ServiceCessation.objects.count() == 1


def test_staff_without_the_lifecycle_right_cannot_announce(client, settings, enterprises):
    connection.set_schema_to_public()
    plain = User.objects.create_user(mobile="13800006667", display_name="Desk", password="Supp0rt-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(plain)
    assert client.post(ADD_URL, {"stop_on": cessation.earliest_stop_date().isoformat()}).status_code == 403
    assert not ServiceCessation.objects.exists()
    with pytest.raises(Exception) as refused:
        cessation.announce_cessation(actor=plain, stop_on=cessation.earliest_stop_date())
    assert getattr(refused.value, "code", "") == "not_permitted"


@pytest.mark.promise("E10")
def test_staff_withdraw_before_the_stop_date_and_the_notice_disappears(admin_site, staff, enterprises):
    row = _announce(staff)
    assert APIClient(HTTP_HOST=enterprises.a.host).get("/api/v1/service-status").json()["cessation"] is not None

    withdrawn = admin_site.post(LIST_URL, {"action": "withdraw", "_selected_action": [row.pk]})
    assert withdrawn.status_code == 302
    assert ServiceCessation.objects.get().withdrawn_by_id == staff.pk
    status = APIClient(HTTP_HOST=enterprises.a.host).get("/api/v1/service-status")
    assert status.json() == {"cessation": None} and CESSATION_HEADER not in status
    assert 'data-testid="service-cessation"' not in admin_site.get(LIST_URL).content.decode()


@pytest.mark.promise("E10")
def test_a_cessation_cannot_be_withdrawn_once_its_stop_date_has_come(admin_site, staff):
    row = _announce(staff)
    _the_stop_date_comes()
    response = admin_site.post(LIST_URL, {"action": "withdraw", "_selected_action": [row.pk]}, follow=True)
    assert "can no longer be withdrawn" in response.content.decode()
    assert ServiceCessation.objects.get().withdrawn_at is None
    assert cessation.collection_stopped()


# --- the notice everywhere ---------------------------------------------------------------------

@pytest.mark.promise("E10")
def test_every_console_page_the_sign_in_page_and_the_app_show_the_notice(client, staff, enterprises):
    anonymous = APIClient(HTTP_HOST=enterprises.a.host)
    before = anonymous.get("/api/v1/service-status")
    assert before.status_code == 200 and before.json() == {"cessation": None}
    assert CESSATION_HEADER not in before

    row = _announce(staff, days=45, message="The platform closes; export your data in time.")
    stop_on = row.stop_on.isoformat()

    login_page = APIClient(HTTP_HOST=enterprises.a.host).get("/console/login/").content.decode()
    assert f'data-stop-on="{stop_on}"' in login_page and "export your data in time" in login_page
    dashboard = _manager_console(client, enterprises).get("/console/").content.decode()
    assert f'data-stop-on="{stop_on}"' in dashboard and "This service will cease on" in dashboard

    status = anonymous.get("/api/v1/service-status")
    assert status.json() == {"cessation": {"stop_on": stop_on, "collection_stopped": False,
                                           "message": "The platform closes; export your data in time."}}
    # Every API response carries the header, so the app shows the notice whatever it asked.
    person = signed_in(enterprises.a)
    me = person.client.get("/api/v1/me")
    assert me.status_code == 200 and me[CESSATION_HEADER] == f"stop-on={stop_on}"
    assert person.client.get("/api/v1/no-such-thing")[CESSATION_HEADER] == f"stop-on={stop_on}"
    # The platform host's lookup too (the app asks it before choosing an enterprise).
    lookup = APIClient(HTTP_HOST="localhost").get("/api/v1/enterprises/lookup", {"code": "alpha-test"})
    assert lookup[CESSATION_HEADER] == f"stop-on={stop_on}"


def test_the_service_status_is_in_the_api_schema(enterprises):
    schema = APIClient(HTTP_HOST=enterprises.a.host).get("/api/schema/?format=json").json()
    assert "/api/v1/service-status" in schema["paths"]


# --- collection stops ---------------------------------------------------------------------------

@pytest.mark.promise("E10")
def test_from_the_stop_date_the_api_refuses_writes_and_still_reads(staff, enterprises):
    person = signed_in(enterprises.a)
    _announce(staff)
    # Before the stop date, writing works as usual.
    assert person.client.patch("/api/v1/me/profile", {}, format="json").status_code != 403
    _the_stop_date_comes()

    refused = person.client.patch("/api/v1/me/profile", {"email": "new@example.com"}, format="json")
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "collection_stopped" and body["stop_on"] == timezone.localdate().isoformat()
    assert STOP_MESSAGE in body["detail"] and "read and export" in body["detail"]
    granted = person.client.post("/api/v1/consent/purposes/location_tracking/grant", {}, format="json")
    assert _refused(granted)
    checked_in = person.client.post("/api/v1/attendance/check-ins", {"kind": "in"}, format="json")
    assert _refused(checked_in)

    # Reading, withdrawing consent and signing out still work.
    assert person.client.get("/api/v1/me").status_code == 200
    assert person.client.get("/api/v1/consent/purposes").status_code == 200
    assert person.client.get("/api/v1/consent/history").status_code == 200
    assert not _refused(person.client.post("/api/v1/consent/purposes/location_tracking/withdraw", {},
                                           format="json"))
    status = APIClient(HTTP_HOST=enterprises.a.host).get("/api/v1/service-status").json()
    assert status["cessation"]["collection_stopped"] is True
    assert person.client.post("/api/v1/auth/logout").status_code in (200, 204)


@pytest.mark.promise("E10")
def test_from_the_stop_date_the_console_refuses_writes_and_still_reads_and_exports(client, staff, enterprises):
    _announce(staff)
    _the_stop_date_comes()
    console = _manager_console(client, enterprises)

    added = console.post("/console/organisation/employees/add/", {"employee_number": "Z1", "display_name": "Late"})
    assert added.status_code == 403 and STOP_MESSAGE in added.content.decode()
    with schema_context(enterprises.a.schema_name):
        assert not Employee.objects.filter(employee_number="Z1").exists()

    listing = console.get("/console/organisation/employees/")
    assert listing.status_code == 200 and "stopped collecting personal information" in listing.content.decode()
    exported = exported_through_console(console, {"file_format": "csv"})
    assert exported.status_code == 200 and "attachment" in exported["Content-Disposition"]
    assert console.post("/console/logout/").status_code == 302


@pytest.mark.promise("E10")
def test_an_import_accepted_before_the_stop_date_writes_nothing_after_it(staff, enterprises):
    _announce(staff)
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        upload = SimpleUploadedFile(
            "people.csv", "工号,姓名,手机号,部门\nQ001,张伟,13966669901,总部\n".encode(), content_type="text/csv")
        job = import_services.start_import(actor=manager, upload=upload, consent_confirmed=True)
        _the_stop_date_comes()

        job = processed(job)  # what the worker's task runs

        assert job.status == ImportJob.Status.FAILED and STOP_MESSAGE in job.failure_reason
        assert not Employee.objects.filter(employee_number="Q001").exists()
        assert not job.file


# --- no write route escapes ----------------------------------------------------------------------

# Why each route still takes writes after the stop date is said in tenants.collection_stop; changing
# that list changes this one, deliberately.
EXPECTED_EXEMPT = {
    "api-login", "api-logout", "api-logout-all", "api-password", "api-policy-accept", "api-consent-withdraw",
    "console:login", "console:logout", "console:password-change", "consent-console:policy-notice",
    "orgdata:export", "erasure-console:erase_employee", "set_language",
    "erasure-console:cancellation", "erasure-console:withdraw_cancellation",
    "api-verification-codes", "api-rights-requests", "api-rights-withdraw", "api-rights-inbox-read", "api-rights-download-link",
    "rights-console:authorise", "rights-console:refuse", "rights-console:next_of_kin",
    "rights-console:message_read", "rights-console:reveal_correct_value", "rights-console:protection_contact",
    "rights-console:remove_protection_contact",
    "incidents-console:open",
    "api-approvals-withdraw", "api-announcements-read", "api-announcements-leave-channel",
    "api-announcements-settings", "announcements-unsubscribe",
    "cookies-clear",
}


def _routes(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver("config.urls_tenant")).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield "/" + prefix + str(entry.pattern), name


def _concrete(pattern: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) in (None, "int") else "x", pattern).lstrip("^")


@pytest.mark.promise("E10")
def test_every_route_refuses_writes_from_the_stop_date_unless_listed_as_exempt(staff, enterprises):
    assert set(COLLECTION_STOP_EXEMPT) == EXPECTED_EXEMPT, "an exemption changed: say why in both places"
    assert all(COLLECTION_STOP_EXEMPT.values()), "every exemption says why"
    routes = list(_routes())
    names = {name for _path, name in routes}
    assert EXPECTED_EXEMPT <= names, f"exemptions naming no route: {EXPECTED_EXEMPT - names}"
    _announce(staff)
    _the_stop_date_comes()

    client = APIClient(HTTP_HOST=enterprises.a.host)
    escaped, blocked_exemptions, checked = [], [], 0
    for pattern, name in routes:
        path = _concrete(pattern)
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, {}, format="json")
            checked += 1
            if name in EXPECTED_EXEMPT:
                if _refused(response):
                    blocked_exemptions.append(f"{method.upper()} {path}")
            elif not _refused(response):
                escaped.append(f"{method.upper()} {path} ({name}): {response.status_code}")
    assert checked >= 4 * 40, checked
    assert not escaped, f"these routes still accept writes after the stop date: {escaped}"
    assert not blocked_exemptions, blocked_exemptions

    # The platform host is not an enterprise's: staff still use the Django admin.
    assert not _refused(APIClient(HTTP_HOST="localhost").post("/admin/login/", {}))


def test_the_announcement_service_refuses_what_it_says(staff):
    with pytest.raises(ValidationError) as too_early:
        _announce(staff, days=10)
    assert "stop_on" in too_early.value.message_dict
    _announce(staff)
    with pytest.raises(ValidationError) as second:
        _announce(staff, days=90)
    assert "stop_on" in second.value.message_dict
    assert cessation.enterprises_cancelled_on() == cessation.earliest_stop_date() + timedelta(days=30)
    assert not cessation.collection_stopped()
    assert cessation.collection_stopped(today=cessation.earliest_stop_date())
    cessation.withdraw_cessation(actor=staff)
    assert cessation.current_cessation() is None and cessation.enterprises_cancelled_on() is None
    with pytest.raises(ValidationError):
        cessation.withdraw_cessation(actor=staff)


def test_a_read_that_raced_an_announcement_cannot_store_the_old_answer(staff):
    """The stale-refill trap: a reader that loaded "nothing announced" just before an announcement
    committed stores it after the announcement forgot the entry; it must not be kept."""
    cessation.current_cessation()  # starts this process's invalidation feed
    assert cessation._local.listening.wait(5), "the invalidation feed did not start"
    generation_before_the_read = cessation._local.generation
    _announce(staff)
    generation_after_the_change = cessation._local.generation
    stored = cessation._local.put(cessation._ENTRY, cessation._NO_ANNOUNCEMENT, generation_before_the_read)
    assert not stored
    # The announcement's own message comes back through this process's feed and drops the entry
    # once more, late on a loaded machine: the read below starts after it (or after 5 s).
    deadline = time.monotonic() + 5
    while cessation._local.generation == generation_after_the_change and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cessation.current_cessation() is not None
    # A read that began after the change is kept, and answers without the database.
    assert cessation._local.get(cessation._ENTRY) is not None
