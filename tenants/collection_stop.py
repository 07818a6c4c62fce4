"""E10: the one place that stops collection on the cessation's stop date, and tells the apps.

From the stop date of a live announcement (tenants.cessation), every request to an enterprise's
host that writes (POST, PUT, PATCH, DELETE) is refused with 403 `collection_stopped`, naming the
date: the API in its JSON shape (core.errors), the console with the refusal page. Reads and the
routes in COLLECTION_STOP_EXEMPT (signing in and out, exports, withdrawals, erasure: what collects
nothing new or removes) still work. A new route is refused from the stop date unless it is listed
here with its reason; tests/tenants/test_cessation.py walks every route and fails on a change to
this list it does not expect. The platform host (the Django admin, where staff announce and
withdraw) is never refused.

While an announcement is live, every API response carries `Service-Cessation: stop-on=YYYY-MM-DD`
so the mobile app can show the notice (GET /api/v1/service-status gives the message too).
"""
from __future__ import annotations

from django.urls import Resolver404, resolve
from django_tenants.utils import get_public_schema_name

from core.errors import domain_error_response, refusal_page
from tenants import cessation
from tenants.errors import CollectionStopped

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CESSATION_HEADER = "Service-Cessation"

# Routes (URL names, as `reverse` knows them) that still accept writes after the stop date, each
# with why: they collect nothing new, or they remove.
COLLECTION_STOP_EXEMPT: dict[str, str] = {
    "api-login": "signing in, so people can read and export what is held about them",
    "api-logout": "signing out ends a token; removes",
    "api-logout-all": "signing out everywhere ends tokens and sessions; removes",
    "api-password": "a password change protects the account; collects nothing about the person",
    "api-policy-accept": "accepting the policy in force lets a person who must accept it read again (C8)",
    "api-consent-withdraw": "withdrawing consent stops processing (C6)",
    "console:login": "signing in to the console, to read and export",
    "console:logout": "signing out; removes",
    "console:password-change": "a password change protects the account; collects nothing about the person",
    "consent-console:policy-notice": "accepting the policy in force lets an administrator read again (C8)",
    "orgdata:export": "exporting the address book reads (the POST only queues the export of what is held)",
    "erasure-console:erase_employee": "erasing a person's information removes (R4)",
    "set_language": "the language cookie; no personal information",
    "erasure-console:cancellation": "applying for the enterprise's cancellation removes (E9)",
    "erasure-console:withdraw_cancellation": "withdrawing a cancellation collects nothing",
    "api-verification-codes": "the one-time code that verifies a rights request (R8); collects nothing new",
    "api-rights-requests": "exercising a right (a copy, deletion, account cancellation, a complaint) (R2–R10)",
    "api-rights-withdraw": "withdrawing one's own request collects nothing",
    "api-rights-inbox-read": "marking a message read collects nothing about the person",
    "api-rights-download-link": "a link to download one's own copy reads (R2)",
    "rights-console:authorise": "answering a request, or authorising a deletion, is the individual's right (R2–R10)",
    "incidents-console:open": "telling people of a security incident (X5) collects nothing about them",
    "rights-console:refuse": "refusing a request for a recorded reason answers it (R8)",
    "rights-console:next_of_kin": "a deceased person's relative exercises their rights (R7)",
    "rights-console:message_read": "marking one's own message read collects nothing about anyone",
    "rights-console:reveal_correct_value": "showing a correction's value reads (audited, X2)",
    "rights-console:remove_protection_contact": "removing the protection contact withdraws a grant; removes",
    "rights-console:protection_contact": "requests and complaints must still reach the PI protection contact (R10)",
    "api-approvals-withdraw": "withdrawing one's own approval request collects nothing",
    "api-announcements-read": "marking an announcement read collects nothing about the person",
    "api-announcements-leave-channel": "leaving a channel stops sending (C13)",
    "api-announcements-settings": "leaving channels and switching personalisation off stop processing (C13)",
    "announcements-unsubscribe": "the e-mail's one-click link leaves a channel (C13)",
    "cookies-clear": "signing out everywhere and deleting the cookies removes (X8)",
}


def is_exempt(request) -> bool:
    try:
        match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return True  # no route: nothing is written; the 404 answers
    return match.view_name in COLLECTION_STOP_EXEMPT


def _on_enterprise_host(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name != get_public_schema_name()


class CollectionStopMiddleware:
    """Installed after tenant routing and the language (its refusal is in the reader's language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        notice = cessation.current_cessation_if_readable()
        if notice is None:
            return self.get_response(request)
        if (request.method in WRITE_METHODS and notice.collection_stopped() and _on_enterprise_host(request)
                and not is_exempt(request)):
            refusal = CollectionStopped(cessation.collection_stopped_message(notice),
                                        extra={"stop_on": notice.stop_on.isoformat()})
            response = domain_error_response(refusal) if request.path.startswith("/api/") else refusal_page(refusal)
        else:
            response = self.get_response(request)
        if request.path.startswith("/api/"):
            response[CESSATION_HEADER] = f"stop-on={notice.stop_on.isoformat()}"
        return response

