from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from policies.models import PolicyVersion
from tests.consent.factories import signed_in
from tests.policies.factories import PolicyVersionFactory


@pytest.fixture
def staff_admin(enterprises, client, settings):
    connection.set_schema_to_public()
    staff = User.objects.create_user(mobile="13800006666", display_name="Policy editor", password="P0licy-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_policyversion", "view_policyversion",
                                                                          "change_policyversion"]))
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(staff)
    return client


def _form(moment, **extra):
    local = timezone.localtime(moment)
    return {"version": "2027.1", "title_en": "Privacy policy", "title_zh_hans": "隐私政策", "text_en": "Text",
            "text_zh_hans": "正文", "summary_en": "", "summary_zh_hans": "",
            "published_at_0": local.strftime("%Y-%m-%d"), "published_at_1": local.strftime("%H:%M:%S"),
            "effective_at_0": "", "effective_at_1": "", **extra}


@pytest.mark.promise("C8")
def test_platform_staff_publish_in_the_admin_effective_seven_days_later_never_back_dated(staff_admin):
    now = timezone.now()
    back_dated = staff_admin.post("/admin/policies/policyversion/add/", _form(now - timedelta(days=2)))
    assert back_dated.status_code == 200 and "cannot be published in the past" in back_dated.content.decode()

    early = timezone.localtime(now + timedelta(days=3))
    too_early = staff_admin.post("/admin/policies/policyversion/add/", _form(
        now, effective_at_0=early.strftime("%Y-%m-%d"), effective_at_1=early.strftime("%H:%M:%S")))
    assert too_early.status_code == 200 and "at least 7 days after" in too_early.content.decode()

    no_reason = staff_admin.post("/admin/policies/policyversion/add/", _form(now, is_significant="on"))
    assert no_reason.status_code == 200 and "Say why the change is significant" in no_reason.content.decode()

    created = staff_admin.post("/admin/policies/policyversion/add/",
                               _form(now, is_significant="on", significant_reasons=["recipients", "rights"]))
    assert created.status_code == 302
    version = PolicyVersion.objects.get(version="2027.1")
    assert version.effective_at - version.published_at == timedelta(days=7)
    assert version.significant_reasons == ["recipients", "rights"]
    # Published texts are the record of what people agreed to: read-only, never deleted.
    page = staff_admin.get(f"/admin/policies/policyversion/{version.pk}/change/").content.decode()
    assert 'name="text_en"' not in page
    with pytest.raises(ValidationError):
        version.text_en = "changed"
        version.save()


@pytest.mark.promise("C8")
def test_the_database_refuses_an_effective_time_earlier_than_seven_days_after_publication(enterprises):
    from django.db import IntegrityError, transaction

    connection.set_schema_to_public()
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.create(version="bad", title_en="t", title_zh_hans="t", text_en="t", text_zh_hans="t",
                                     published_at=now, effective_at=now + timedelta(days=6))


@pytest.mark.promise("C8")
def test_a_six_day_old_publication_is_upcoming_not_in_force_and_blocks_nothing(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.1", days_ago=30, is_significant=True)
        PolicyVersionFactory(version="2026.2", days_ago=6, is_significant=True)
    person = signed_in(enterprises.a)
    person.post("/api/v1/policy/accept", {"version": "2026.1"})
    state = person.get("/api/v1/policy").json()
    assert state["current"]["version"] == "2026.1"
    assert [v["version"] for v in state["upcoming"]] == ["2026.2"]
    upcoming = state["upcoming"][0]
    assert upcoming["is_significant"] is True and upcoming["significant_reasons"] == ["recipients"]
    assert state["must_accept"] is None
    assert person.get("/api/v1/me").status_code == 200


@pytest.mark.promise("C8")
def test_a_significant_change_in_force_blocks_every_api_until_accepted(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.3", days_ago=8, is_significant=True, significant_reasons=["processing"])
    person = signed_in(enterprises.a)
    for path in ("/api/v1/me", "/api/v1/consent/purposes", "/api/v1/consent/history", "/api/v1/attendance/check-ins"):
        refused = person.get(path)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "policy_acceptance_required" and refused.json()["version"] == "2026.3"
    assert person.check_in(place="Gate 2").status_code == 403
    # Reading and accepting the policy stay open.
    state = person.get("/api/v1/policy").json()
    assert state["must_accept"] == "2026.3" and state["current"]["text"]
    wrong = person.post("/api/v1/policy/accept", {"version": "1999.9"})
    assert wrong.status_code == 400 and "version" in wrong.json()["fields"]
    assert person.post("/api/v1/policy/accept", {"version": "2026.3"}).json()["must_accept"] is None
    assert person.get("/api/v1/me").status_code == 200
    assert person.check_in(place="Gate 2").status_code == 201
    # Unauthenticated requests get the authentication error, not the policy one.
    anonymous = person.client.__class__(HTTP_HOST=enterprises.a.host)
    assert anonymous.get("/api/v1/me").status_code in (401, 403)


@pytest.mark.promise("C8")
def test_a_minor_change_only_notifies(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.4", days_ago=9, is_significant=False)
    person = signed_in(enterprises.a)
    assert person.get("/api/v1/me").status_code == 200
    state = person.get("/api/v1/policy").json()
    assert state["current"]["version"] == "2026.4" and state["must_accept"] is None


@pytest.mark.promise("C8")
def test_the_console_shows_a_blocking_notice_until_the_administrator_accepts(enterprises, client):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.5", days_ago=8, is_significant=True, significant_reasons=["contact"])
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        client.force_login(manager)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    blocked = client.get("/console/")
    assert blocked.status_code == 302 and blocked["Location"] == "/console/privacy/policy/"
    assert client.get("/console/privacy/").status_code == 302
    notice = client.get("/console/privacy/policy/")
    assert notice.status_code == 200 and "2026.5" in notice.content.decode()
    assert client.post("/console/privacy/policy/").status_code == 302
    assert client.get("/console/").status_code == 200
    with schema_context(enterprises.a.schema_name):
        from consent.models import ConsentEvent
        event = ConsentEvent.objects.get(person=manager, action="policy_accepted")
        assert event.channel == "console" and event.policy_version_label == "2026.5"


@pytest.mark.promise("C10")
def test_a_change_of_control_is_a_significant_change_that_needs_new_acceptance(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.6", days_ago=8, is_significant=True, significant_reasons=["control"])
    person = signed_in(enterprises.a)
    assert person.get("/api/v1/me").json()["code"] == "policy_acceptance_required"
    person.post("/api/v1/policy/accept", {"version": "2026.6"})
    assert person.get("/api/v1/me").status_code == 200


# C8: what stays reachable while a significant change waits for acceptance — signing in and out,
# changing the password (account security, E5) and reading and accepting the policy itself.
# The service's status (E10's cessation notice) is for everybody, whatever they still have to accept.
POLICY_EXEMPT_API_ROUTES = {"api-login", "api-logout", "api-logout-all", "api-password", "api-policy",
                            "api-policy-accept", "api-service-status",
                            # Exercising a right (a copy, deletion, cancelling the account rather than
                            # accepting the change) never waits for an acceptance.
                            "api-rights-requests", "api-rights-request", "api-rights-withdraw", "api-rights-inbox",
                            "api-rights-inbox-read", "api-rights-arrangement", "api-rights-protection-contact",
                            "api-rights-download-link", "api-rights-download",
                            # C13: a list can be left at any time.
                            "api-announcements-leave-channel", "api-announcements-settings"}
_SIGNING_OUT = ("api-logout", "api-logout-all")


def _api_v1_routes(resolver=None, prefix=""):
    """(URL name, a concrete path, the HTTP methods its view implements) of every /api/v1/ route."""
    import re

    from django.urls import URLPattern, URLResolver, get_resolver

    for entry in (resolver or get_resolver("config.urls_tenant")).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _api_v1_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith("api/v1/"):
            route = prefix + str(entry.pattern)
            path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", route)
            view_class = entry.callback.cls
            methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]
            yield entry.name, path, methods


def _is_policy_refusal(response) -> bool:
    return response.status_code == 403 and response.get("Content-Type", "").startswith("application/json") \
        and response.json().get("code") == "policy_acceptance_required"


@pytest.mark.promise("C8")
def test_every_api_route_but_the_exempt_ones_is_refused_while_a_significant_change_waits(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.7", days_ago=8, is_significant=True, significant_reasons=["rights"])
    person = signed_in(enterprises.a)
    routes = sorted(_api_v1_routes(), key=lambda route: (route[0] in _SIGNING_OUT, route[0]))
    names = {name for name, _path, _methods in routes}
    assert POLICY_EXEMPT_API_ROUTES <= names, "an exempt route is gone: update the list"
    assert len(routes) > len(POLICY_EXEMPT_API_ROUTES) + 10  # the walk found the API, not a fragment
    wrongly_open, wrongly_refused = [], []
    for name, path, methods in routes:
        for method in methods:
            call = getattr(person.client, method)
            response = call(path) if method == "get" else call(path, {}, format="json")
            if name in POLICY_EXEMPT_API_ROUTES and _is_policy_refusal(response):
                wrongly_refused.append(f"{method.upper()} {path}")
            elif name not in POLICY_EXEMPT_API_ROUTES and not _is_policy_refusal(response):
                wrongly_open.append(f"{method.upper()} {path} → {response.status_code}")
    assert wrongly_open == [] and wrongly_refused == []


@pytest.mark.promise("C8")
def test_the_api_schema_lists_the_consent_and_attendance_endpoints_and_documents_their_refusals(enterprises):
    import json

    from rest_framework.test import APIClient

    response = APIClient(HTTP_HOST=enterprises.a.host).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    expected = {
        "/api/v1/consent/purposes": "get", "/api/v1/consent/purposes/{code}/grant": "post",
        "/api/v1/consent/purposes/{code}/withdraw": "post", "/api/v1/consent/history": "get",
        "/api/v1/consent/receipts/{event_id}": "get", "/api/v1/consent/sharing": "get",
        "/api/v1/attendance/check-ins": "post", "/api/v1/attendance/tracking/pings": "post",
        "/api/v1/policy": "get", "/api/v1/policy/accept": "post",
    }
    for path, method in expected.items():
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not in the schema"

    def refusal(path, method):
        return paths[path][method]["responses"].get("403", {}).get("description", "")

    for path, method in [("/api/v1/attendance/check-ins", "post"), ("/api/v1/attendance/tracking/pings", "post"),
                         ("/api/v1/consent/purposes/{code}/grant", "post")]:
        assert "consent_required" in refusal(path, method) and "policy_acceptance_required" in refusal(path, method)
    for path, method in [("/api/v1/me", "get"), ("/api/v1/consent/history", "get")]:
        assert "policy_acceptance_required" in refusal(path, method)
    for path, method in [("/api/v1/policy", "get"), ("/api/v1/policy/accept", "post"), ("/api/v1/auth/login", "post")]:
        assert "policy_acceptance_required" not in refusal(path, method)


@pytest.mark.promise("C8")
def test_accepting_an_older_significant_version_does_not_satisfy_a_newer_one(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.8", days_ago=30, is_significant=True, significant_reasons=["processing"])
    person = signed_in(enterprises.a)
    assert person.post("/api/v1/policy/accept", {"version": "2026.8"}).json()["must_accept"] is None
    assert person.get("/api/v1/me").status_code == 200

    with schema_context("public"):  # N+1: published 8 days ago, so already in force
        PolicyVersionFactory(version="2026.9", days_ago=8, is_significant=True, significant_reasons=["recipients"])
    refused = person.get("/api/v1/me")
    assert refused.status_code == 403
    assert refused.json()["code"] == "policy_acceptance_required" and refused.json()["version"] == "2026.9"
    assert person.check_in(place="Gate 3").status_code == 403
    assert person.get("/api/v1/policy").json()["must_accept"] == "2026.9"
    # Accepting N again changes nothing; accepting N+1 opens the API again.
    person.post("/api/v1/policy/accept", {"version": "2026.8"})
    assert person.get("/api/v1/me").json()["code"] == "policy_acceptance_required"
    assert person.post("/api/v1/policy/accept", {"version": "2026.9"}).json()["must_accept"] is None
    assert person.get("/api/v1/me").status_code == 200
