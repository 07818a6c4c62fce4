"""OpenAPI: the two refusals that come from the enforcement points, not from any one view.

consent.middleware answers 403 `policy_acceptance_required` on every API operation except the
exempt ones (C8); the gate answers 403 `consent_required` where a view or its service asks it.
Views that ask the gate document that themselves (`consent_required_response`); this
post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) adds the policy refusal to
every operation the middleware can refuse, so the schema cannot drift from the middleware.
"""
from __future__ import annotations

import re

from django.urls import Resolver404, resolve
from drf_spectacular.utils import OpenApiResponse

from consent.api.serializers import RefusalSerializer
from consent.middleware import EXEMPT_URL_NAMES

POLICY_REFUSAL = ("403 `policy_acceptance_required` (C8): a significant privacy-policy change is in force "
                  "and the signed-in person has not accepted it yet; read GET /api/v1/policy and accept "
                  "with POST /api/v1/policy/accept. The body names the `version`.")
CONSENT_REFUSAL = ("403 `consent_required`: the person has not consented (or has withdrawn) to a purpose this "
                   "needs; the body names the `purpose` and the `missing` ones. Consent is given in "
                   "My Settings – Privacy (POST /api/v1/consent/purposes/{code}/grant).")

_REFUSAL_COMPONENT = {
    "type": "object",
    "properties": {
        "code": {"type": "string"}, "detail": {"type": "string"}, "version": {"type": "string"},
        "purpose": {"type": "string"}, "missing": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["code", "detail"],
}


def consent_required_response(why: str = "") -> OpenApiResponse:
    """The 403 a view documents when it (or its service) asks the consent gate."""
    return OpenApiResponse(response=RefusalSerializer, description=" ".join(filter(None, [CONSENT_REFUSAL, why])))


def _may_refuse_for_policy(path: str) -> bool:
    """Whether consent.middleware can refuse this API path (mirrors its `_is_exempt`)."""
    try:
        match = resolve(re.sub(r"\{[^}]+\}", "1", path), urlconf="config.urls_tenant")
    except Resolver404:
        return False
    view_class = getattr(match.func, "cls", None)
    return view_class is not None and not getattr(view_class, "policy_acceptance_exempt", False) \
        and match.url_name not in EXEMPT_URL_NAMES


def document_policy_acceptance_refusal(result, generator, request, public):
    """Post-processing hook: a 403 `policy_acceptance_required` on every operation it applies to."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Refusal", _REFUSAL_COMPONENT)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/") or not _may_refuse_for_policy(path):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            refusal = operation["responses"].get("403")
            if refusal is None:
                operation["responses"]["403"] = {"description": POLICY_REFUSAL, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Refusal"}}}}
            elif POLICY_REFUSAL not in refusal.get("description", ""):
                refusal["description"] = " ".join(filter(None, [refusal.get("description", ""), POLICY_REFUSAL]))
    return result
