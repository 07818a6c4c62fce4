"""Signing in through the API as the phone app does, including X6's first-sign-in code step: the
code is read from the local SMS outbox (accounts.sms.LocalOutboxBackend), as a developer would."""
from __future__ import annotations

import re

from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import SmsOutboxMessage, User

LOGIN = "/api/v1/auth/login"


def schema_of(client) -> str:
    from tenants.models import Domain

    with schema_context(get_public_schema_name()):
        return Domain.objects.select_related("tenant").get(domain=client.defaults["HTTP_HOST"]).tenant.schema_name


def latest_code(schema_name: str, mobile: str) -> str:
    """The 6-digit code of the newest verification message sent to the account of `mobile`."""
    with schema_context(schema_name):
        person = User.objects.with_mobile(mobile).get()
        message = (SmsOutboxMessage.objects.filter(person=person, message_kind="verification_code")
                   .order_by("-created_at", "-pk").first())
    assert message is not None, "no verification code in the outbox"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def api_login(client, payload: dict, **extra):
    """POST the sign-in; when the device is new (403 `device_verification_required`), repeat it
    with the code the outbox received. Returns the last response."""
    response = client.post(LOGIN, payload, format="json", **extra)
    if response.status_code == 403 and response.json().get("code") == "device_verification_required":
        code = latest_code(schema_of(client), payload["mobile"])
        response = client.post(LOGIN, {**payload, "code": code}, format="json", **extra)
    return response
