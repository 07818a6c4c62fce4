"""Cost of the consent gate on a customer-visit check-in (A1).

Interleaves, in one run, POST /api/v1/field/visits with a GPS location through
  gated:   the real path — routing, token and device check, the field-visits application switch
           (E6), the serializer, and consent.gate.require_consent("device.location") in the
           service, answered from the ledger-derived state cached per schema and person (the
           person has given location consent), the encrypted save and its audit entry; versus
  ungated: the same endpoint, body and stack with only the gate replaced by a no-op for the
           timed requests (consent.gate.require_consent patched in this process; nothing else
           differs: Visit has no model guard, its service is the one enforcement point),
and prints the median over rounds of throughput(gated) / throughput(ungated), each round timing
both back to back in alternating order (so load from other processes hits both alike).
Target: ≥ 0.95.
"""
import statistics
import time
from contextlib import contextmanager

import _setup
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import User
from consent import gate
from consent.services import ledger as ledger_services
from fieldwork import services as fieldwork_services
from orgdata.models import Application
from orgdata.services import applications as application_services

CODE = "bench-visit-check-in"
ROUNDS, PER_ROUND = 40, 25
DEVICE = "bench-device-visit"


@contextmanager
def ungated():
    real = gate.require_consent
    gate.require_consent = lambda *args, **kwargs: None
    try:
        yield
    finally:
        gate.require_consent = real


def _timed(client: Client, body: dict, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        response = client.post("/api/v1/field/visits", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return time.perf_counter() - started


def _rate(client: Client, body: dict, *, gated: bool) -> float:
    if gated:
        return PER_ROUND / _timed(client, body, PER_ROUND)
    with ungated():
        return PER_ROUND / _timed(client, body, PER_ROUND)


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Visit bench", "13755550031")
    try:
        with schema_context(provisioned.enterprise.schema_name):
            user = User.objects.get(role=User.Role.MANAGER)
            application_services.switch_application(actor=user, application=Application.objects.get(code="field-visits"),
                                                    enabled=True)  # enterprise-wide
            customer = fieldwork_services.add_customer(actor=user, name="Bench customer", address="1 Bench Road")
            token = account_services.issue_device_token(person=user, device_id=DEVICE).token
            ledger_services.grant_consent(actor=user, person=user, purpose_code="device.location", channel="mobile",
                                          explicit_confirmation=True)
        body = {"customer": customer.pk, "location": {"lat": 31.2304, "lng": 121.4737, "accuracy": 10}}
        client = Client(HTTP_HOST=provisioned.domain, HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=DEVICE)
        _timed(client, body, 30)
        with ungated():
            _timed(client, body, 30)
        gated_rates, ungated_rates, ratios = [], [], []
        for round_number in range(ROUNDS):
            order = (True, False) if round_number % 2 == 0 else (False, True)
            rates = {gated: _rate(client, body, gated=gated) for gated in order}
            gated_rates.append(rates[True])
            ungated_rates.append(rates[False])
            ratios.append(rates[True] / rates[False])
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    print(f"gated: {statistics.median(gated_rates):.0f} req/s  ungated: {statistics.median(ungated_rates):.0f} req/s "
          f"({ROUNDS} interleaved rounds of {PER_ROUND} visit check-ins each)")
    print(f"visit_check_in_ratio={statistics.median(ratios):.3f} ratio")


if __name__ == "__main__":
    main()
