"""How the tests of rights requests act as the employee does: signed in to the mobile API, verified by
their password and the one-time code read from the local SMS outbox (R8)."""
from __future__ import annotations

from django_tenants.utils import schema_context

from tests.accounts.factories import FACTORY_PASSWORD
from tests.accounts.signing_in import latest_code
from tests.consent.factories import signed_in
from tests.orgdata.factories import make_employee


def code_for(person) -> str:
    """R8: the one-time code the app asks for, read from the local SMS outbox as a developer would."""
    sent = person.client.post("/api/v1/me/verification-codes", {"purpose": "rights_request"}, format="json")
    assert sent.status_code == 201, sent.content
    return latest_code(person.enterprise.schema_name, person.user.mobile)


def submit(person, kind, details=None, password=FACTORY_PASSWORD, code=None):
    code = code_for(person) if code is None else code
    return person.client.post("/api/v1/rights/requests", {"kind": kind, "details": details or {},
                                                          "password": password, "code": code}, format="json")


def employee_signed_in(enterprises, **fields):
    with schema_context(enterprises.a.schema_name):
        employee = make_employee(**fields)
        employee.account.set_password(FACTORY_PASSWORD)
        employee.account.save(update_fields=["password"])
    return signed_in(enterprises.a, employee.account)


def inbox_of(person) -> list[str]:
    return [message["body"] for message in person.client.get("/api/v1/rights/inbox").json()]
