"""Cost of the consent gate on a check-in request.

Interleaves, in one run, POST /api/v1/attendance/check-ins with a GPS location (A1) through
  gated:   the real path — consent.gate.require_consent in the service plus the model guard on save,
           both answered from the ledger-derived state cached per schema and person, versus
  ungated: the same endpoint and stack with the gate removed (service check and model guard off),
and prints the median over rounds of throughput(gated) / throughput(ungated), each round timing
both back to back in alternating order (so load from other processes hits both alike).
Target: ≥ 0.95.
"""
import statistics
import time
from contextlib import contextmanager

import _setup
from django.db import connection
from django.db.models.signals import pre_save
from django.test import Client
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import User
from attendance.models import CheckIn
from consent import gate
from consent.services import ledger as ledger_services
from tenants import services as tenant_services

CODE = "bench-consent-check"
ROUNDS, PER_ROUND = 40, 25
DEVICE = "bench-device-consent"
BODY = {"kind": "in", "location": {"lat": 31.2304, "lng": 121.4737, "accuracy": 10}}


@contextmanager
def ungated():
    real = gate.require_consent
    gate.require_consent = lambda *args, **kwargs: None
    pre_save.disconnect(sender=CheckIn, dispatch_uid="consent-gate-attendance.CheckIn")
    try:
        yield
    finally:
        gate.require_consent = real
        gate.connect_model_guard()


def _timed(client: Client, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        response = client.post("/api/v1/attendance/check-ins", BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    return time.perf_counter() - started


def _rate(client: Client, *, gated: bool) -> float:
    if gated:
        return PER_ROUND / _timed(client, PER_ROUND)
    with ungated():
        return PER_ROUND / _timed(client, PER_ROUND)


def main():
    _setup.drop_enterprise(CODE)
    provisioned = tenant_services.provision_enterprise(
        actor=_setup.BENCH_SETUP, code=CODE, name="Consent bench", location="Beijing", industry="Software",
        personnel_size="1-20",
        administrator_mobile="13755550002", administrator_name="Bench", administrator_password=None,
    )
    try:
        with schema_context(provisioned.enterprise.schema_name):
            user = User.objects.get(role=User.Role.MANAGER)
            token = account_services.issue_device_token(person=user, device_id=DEVICE).token
            ledger_services.grant_consent(actor=user, person=user, purpose_code="device.location", channel="mobile",
                                          explicit_confirmation=True)
        client = Client(HTTP_HOST=provisioned.domain, HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=DEVICE)
        _timed(client, 30)
        with ungated():
            _timed(client, 30)
        gated_rates, ungated_rates, ratios = [], [], []
        for round_number in range(ROUNDS):
            order = (True, False) if round_number % 2 == 0 else (False, True)
            rates = {gated: _rate(client, gated=gated) for gated in order}
            gated_rates.append(rates[True])
            ungated_rates.append(rates[False])
            ratios.append(rates[True] / rates[False])
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    print(f"gated: {statistics.median(gated_rates):.0f} req/s  ungated: {statistics.median(ungated_rates):.0f} req/s "
          f"({ROUNDS} interleaved rounds of {PER_ROUND} check-ins each)")
    print(f"consent_check_ratio={statistics.median(ratios):.3f} ratio")


if __name__ == "__main__":
    main()
