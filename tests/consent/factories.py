"""Factories and helpers for consent and attendance tests: people with a signed-in mobile client."""
from __future__ import annotations

from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts import services as account_services
from orgdata.models import Application, ApplicationSwitch
from tests.accounts.factories import EmployeeAccountFactory


class Person:
    """An account of a session enterprise with a signed-in mobile client."""

    def __init__(self, enterprise, user, client: APIClient, device_id: str):
        self.enterprise, self.user, self.client, self.device_id = enterprise, user, client, device_id

    def post(self, path, data=None):
        return self.client.post(path, data or {}, format="json", REMOTE_ADDR="203.0.113.7")

    def get(self, path):
        return self.client.get(path)

    def grant(self, code, *, explicit=True):
        return self.post(f"/api/v1/consent/purposes/{code}/grant", {"explicit_confirmation": explicit})

    def withdraw(self, code):
        return self.post(f"/api/v1/consent/purposes/{code}/withdraw")

    def check_in(self, **data):
        return self.post("/api/v1/attendance/check-ins", {"kind": "in", **data})


def signed_in(enterprise, user=None, *, with_attendance: bool = True, **user_fields) -> Person:
    """A signed-in person; unless told otherwise, with the attendance application (default off)
    switched on for them, so the attendance API answers them (E6)."""
    with schema_context(enterprise.schema_name):
        user = user or EmployeeAccountFactory(**user_fields)
        if with_attendance:
            ApplicationSwitch.objects.get_or_create(application=Application.objects.get(code="attendance"),
                                                    account=user, department=None, defaults={"is_enabled": True})
        device_id = f"device-{user.pk}"
        token = account_services.issue_device_token(person=user, device_id=device_id).token
    client = APIClient(HTTP_HOST=enterprise.host)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=device_id)
    return Person(enterprise, user, client, device_id)
