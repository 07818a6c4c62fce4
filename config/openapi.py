"""The API documentation's shared parts: its domain tags and the refusals every operation can answer.

Two drf-spectacular post-processing hooks (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]), here in
the composition root because they read several apps' enforcement points:

- `group_by_domain` puts each operation under the tag of its path (API_TAGS, the order Swagger shows);
- `document_shared_refusals` adds to every operation the refusals that come from enforcement points
  rather than from its view, each with the one JSON body core.errors gives every refusal
  (`{"code", "detail", ...}`), so the schema cannot drift from the middleware that answers them:
  400 `invalid` (field by field) and `bad_request`, 401 without a valid token and device, 403
  `not_permitted`, `password_change_required` (accounts.middleware), `collection_stopped`
  (tenants.collection_stop), the enterprise refusals of routing, 404 `not_found`, 413 `too_large`,
  429 `login_locked` (sign-in throttling) and 503 `unavailable`. consent's hook adds
  `policy_acceptance_required` (C8) before this one runs.
"""
from __future__ import annotations

import copy
import re

from django.urls import Resolver404, resolve

from accounts.errors import LoginLocked, PasswordChangeRequired
from accounts.middleware import EXEMPT_URL_NAMES as PASSWORD_CHANGE_EXEMPT_URL_NAMES
from core.errors import InvalidCharacters, MalformedRequest, NotPermitted, RequestTooLarge, UnknownAddress
from tenants.collection_stop import COLLECTION_STOP_EXEMPT, WRITE_METHODS
from tenants.errors import CollectionStopped

# (tag, description, path prefixes): the first tag whose prefix matches names the operation.
API_TAGS: list[tuple[str, str, tuple[str, ...]]] = [
    ("auth", "Signing in and out, the password, the devices holding a token.", ("/api/v1/auth/",)),
    ("profile", "The signed-in person: who they are, their own profile, the applications switched on for them.",
     ("/api/v1/me",)),
    ("directory", "The enterprise's address book and department tree, masked as the data map says.",
     ("/api/v1/directory", "/api/v1/departments")),
    ("policy", "The privacy policy in force and its acceptance (C8).", ("/api/v1/policy",)),
    ("consent", "Purposes and consents, the consent history and receipts, what was shared with whom.",
     ("/api/v1/consent/",)),
    ("attendance", "Check-ins and location tracking, each asked of the consent gate.", ("/api/v1/attendance/",)),
    ("field work", "Customer visits (check-in, photos, check-out) and daily/weekly reports; positions and "
                   "photos each asked of the consent gate (A1).", ("/api/v1/field/",)),
    ("rights", "The individual's requests (a copy, a correction, deletion, cancelling the account…), "
               "the inbox, the pre-death arrangement.", ("/api/v1/rights/",)),
    ("approvals", "Leave, expense and business-trip requests, the approver's inbox and decisions (X4).",
     ("/api/v1/approvals/",)),
    ("announcements", "Announcements sent to me, reading them, leaving channels, personalisation (C13).",
     ("/api/v1/announcements",)),
    ("admin", "Administrators' employee records, within their scope.", ("/api/v1/admin/",)),
    ("service", "The service's status: an announced cessation (E10).", ("/api/v1/service-status",)),
    ("enterprises", "Finding an enterprise's host by its code (platform host).", ("/api/v1/enterprises/",)),
]

SWAGGER_TAGS = [{"name": name, "description": description} for name, description, _ in API_TAGS]


def tag_of(path: str) -> str | None:
    for name, _, prefixes in API_TAGS:
        if path.startswith(prefixes):
            return name
    return None


def group_by_domain(result, generator, request, public):
    """Post-processing hook: each operation under its domain's tag."""
    for path, operations in result.get("paths", {}).items():
        tag = tag_of(path)
        for operation in operations.values():
            if tag and isinstance(operation, dict):
                operation["tags"] = [tag]
    result["tags"] = SWAGGER_TAGS
    return result


ERROR_COMPONENT = {
    "type": "object",
    "description": "Every refusal's body (core.errors): a stable `code`, a `detail` in the reader's language, "
                   "and the keys some refusals add.",
    "properties": {
        "code": {"type": "string", "description": "Stable; what the client branches on."},
        "detail": {"type": "string", "description": "What happened, in the language asked for (Accept-Language)."},
        "fields": {"type": "object", "additionalProperties": True,
                   "description": "`invalid`: the messages of each refused field (or `non_field_errors`)."},
        "version": {"type": "string", "description": "`policy_acceptance_required`: the version to accept."},
        "purpose": {"type": "string", "description": "`consent_required`: the purpose asked for."},
        "missing": {"type": "array", "items": {"type": "string"},
                    "description": "`consent_required`: the purposes still to consent to."},
        "stop_on": {"type": "string", "format": "date", "description": "`collection_stopped`: the stop date."},
    },
    "required": ["code", "detail"],
}
_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

VALIDATION = (f"400 `{InvalidCharacters.code}`: some fields are refused; `fields` names each with its messages. "
              f"400 `{MalformedRequest.code}` (or `parse_error`): the request could not be read.")
NOT_SIGNED_IN = ("401 `not_authenticated` or `authentication_failed`: no token, a token that expired or was revoked, "
                 "or an `X-Device-Id` other than the device the token was issued to (X6).")
NOT_PERMITTED = (f"403 `{NotPermitted.code}` or `permission_denied`: the signed-in person may not do this "
                 "(access/capabilities.py). "
                 "403 `enterprise_suspended` (or another `enterprise_…` code): the enterprise is not active.")
PASSWORD_CHANGE = (f"403 `{PasswordChangeRequired.code}` (E5): an administrator reset the password; change it "
                   "with POST /api/v1/auth/password first.")
COLLECTION_STOP = (f"403 `{CollectionStopped.code}` (E10): the service has stopped collecting personal information "
                   "on `stop_on`; reading, exporting and removing still work.")
NOT_FOUND = f"404 `{UnknownAddress.code}`: no such object, or not one the signed-in person may see."
TOO_LARGE = f"413 `{RequestTooLarge.code}`: the request body is too large."
THROTTLED = (f"429 `{LoginLocked.code}`: too many failed sign-ins for this mobile number or address; every attempt "
             "is refused for 15 minutes.")
UNAVAILABLE = "503 `unavailable`: the database is briefly unreachable; try again shortly."


def _view_of(path: str):
    try:
        return resolve(re.sub(r"\{[^}]+\}", "1", path), urlconf="config.urls_tenant")
    except Resolver404:
        return None


def _document(operation: dict, status: str, description: str) -> None:
    response = operation["responses"].setdefault(status, {"description": ""})
    if description not in response.get("description", ""):
        response["description"] = " ".join(filter(None, [response.get("description", ""), description]))
    response.setdefault("content", copy.deepcopy(_ERROR_REF))


def _refusals(path: str, method: str, operation: dict, match) -> list[tuple[str, str]]:
    view_class = getattr(match.func, "cls", None) if match else None
    is_signed_in = bool(operation.get("security")) and {} not in operation["security"]
    may_refuse = [("503", UNAVAILABLE)]
    if operation.get("requestBody") or operation.get("parameters"):
        may_refuse.append(("400", VALIDATION))
    if operation.get("requestBody"):
        may_refuse.append(("413", TOO_LARGE))
    if "{" in path:
        may_refuse.append(("404", NOT_FOUND))
    if is_signed_in:
        may_refuse += [("401", NOT_SIGNED_IN), ("403", NOT_PERMITTED)]
        if view_class is not None and not getattr(view_class, "password_change_exempt", False) \
                and match.url_name not in PASSWORD_CHANGE_EXEMPT_URL_NAMES:
            may_refuse.append(("403", PASSWORD_CHANGE))
    if method.upper() in WRITE_METHODS and match is not None and match.view_name not in COLLECTION_STOP_EXEMPT:
        may_refuse.append(("403", COLLECTION_STOP))
    if "429" in operation["responses"]:
        may_refuse.append(("429", THROTTLED))
    return may_refuse


def document_shared_refusals(result, generator, request, public):
    """Post-processing hook: the refusals of the enforcement points, on every operation they apply to."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for path, operations in result.get("paths", {}).items():
        match = _view_of(path)
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in _refusals(path, method, operation, match):
                _document(operation, status, description)
            for status, response in operation["responses"].items():
                if status >= "400" and "content" not in response:
                    response["content"] = copy.deepcopy(_ERROR_REF)  # a view's own refusal (e.g. `invalid_credentials`)
            operation["responses"] = dict(sorted(operation["responses"].items()))
    return result
