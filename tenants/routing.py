"""Tenant routing: the one place a request is bound to an enterprise's schema.

The stock django-tenants middleware costs four queries per request (reset to public, look up the
domain, set the schema). Here a warm request costs one cache read and, when the connection is
already on that schema, no query at all (see tenants.postgresql_backend).
"""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpResponseNotFound
from django.shortcuts import render
from django.http.request import split_domain_port
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import domain_error_response
from core.schemas import is_behind_the_code
from tenants import routing_cache, selectors
from tenants.errors import EnterpriseUnavailable, EnterpriseUpgrading
from tenants.models import Enterprise

_REFUSALS = {
    Enterprise.Status.SUSPENDED: ("enterprise_suspended", gettext_lazy("This enterprise's service is suspended.")),
    Enterprise.Status.CANCELLING: ("enterprise_cancelled", gettext_lazy("This enterprise's account is being cancelled.")),
    Enterprise.Status.CANCELLED: ("enterprise_cancelled", gettext_lazy("This enterprise's account has been cancelled.")),
    Enterprise.Status.PROVISIONING: ("enterprise_not_ready", gettext_lazy("This enterprise is still being set up.")),
}
# A schema is brought up to date in seconds to minutes (manage.py migrate_schemas).
UPGRADING_RETRY_AFTER_SECONDS = 30


def platform_hosts() -> set[str]:
    return {settings.PLATFORM_DOMAIN, "127.0.0.1"}


def _load_facts(host: str):
    connection.set_schema_to_public()
    return selectors.routing_facts_for_host(host)


class TenantRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host, _port = split_domain_port(request.get_host())
        if host in platform_hosts():
            connection.set_schema_to_public()
            request.tenant = connection.tenant  # the public schema (django-tenants' admin templates read it)
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            return self.get_response(request)

        facts = routing_cache.lookup(host, _load_facts)
        if facts is None:
            return HttpResponseNotFound(_("No enterprise is served at this address."))
        if facts["status"] != Enterprise.Status.ACTIVE:
            return _refusal(request, facts)
        if is_behind_the_code(facts["migrations"]):
            return _upgrading(request)

        tenant = Enterprise(
            id=facts["id"], schema_name=facts["schema_name"], code=facts["code"],
            name=facts["name"], status=facts["status"],
        )
        connection.set_tenant(tenant)
        request.tenant = tenant
        # E1: read by tenants.basic_details (facts cached before it existed mean complete details).
        request.missing_basic_details = facts.get("missing_basic_details", [])
        return self.get_response(request)


def _refusal(request, facts):
    code, message = _REFUSALS.get(facts["status"], ("enterprise_not_ready", gettext_lazy("Not available.")))
    if request.path.startswith("/api/"):
        return domain_error_response(EnterpriseUnavailable(str(message), code=code))
    return render(request, "tenants/refused.html", {"message": message, "code": code}, status=403)


def _upgrading(request):
    # Issue 18: the schema lacks a migration this code expects; nothing of it is read or written.
    refusal = EnterpriseUpgrading(
        _("This enterprise's service is being upgraded. Try again in a moment."),
        retry_after=UPGRADING_RETRY_AFTER_SECONDS)
    if request.path.startswith("/api/"):
        return domain_error_response(refusal)
    response = render(request, "tenants/refused.html", {"message": refusal.detail, "code": refusal.code},
                      status=refusal.status_code)
    response["Retry-After"] = str(UPGRADING_RETRY_AFTER_SECONDS)
    return response
