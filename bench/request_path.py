"""Cost of tenant routing on a real request.

Interleaves, in one run, an authenticated DRF GET (/api/v1/me) through
  full:     the whole middleware stack, tenant resolved from the Host header, versus
  baseline: the same stack and view without the tenant middleware, the connection pinned
            to the enterprise's schema beforehand (plain Django),
and prints throughput(full) / throughput(baseline). Target: ≥ 0.90.
"""
import statistics
import time

import _setup
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import User

CODE = "bench-request-path"
ROUNDS, PER_ROUND = 30, 100
DEVICE = "bench-device-0001"


def _client(token: str, host: str) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_DEVICE_ID=DEVICE)


def _timed(client: Client, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        response = client.get("/api/v1/me")
    assert response.status_code == 200, response.content
    return time.perf_counter() - started


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Request path bench", "13755550001")
    try:
        with schema_context(provisioned.enterprise.schema_name):
            user = User.objects.get(role=User.Role.MANAGER)
            token = account_services.issue_device_token(person=user, device_id=DEVICE).token

        full = _client(token, provisioned.domain)
        baseline = _client(token, provisioned.domain)
        without_routing = [m for m in settings.MIDDLEWARE if m != "tenants.routing.TenantRoutingMiddleware"]
        connection.set_tenant(provisioned.enterprise)
        with override_settings(MIDDLEWARE=without_routing):
            _timed(baseline, 1)  # the handler loads its middleware chain on first use
        _timed(full, 50)
        _timed(baseline, 50)

        full_rates, baseline_rates = [], []
        for _ in range(ROUNDS):
            full_rates.append(PER_ROUND / _timed(full, PER_ROUND))
            baseline_rates.append(PER_ROUND / _timed(baseline, PER_ROUND))
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)

    full_rps, baseline_rps = statistics.median(full_rates), statistics.median(baseline_rates)
    print(f"full stack: {full_rps:.0f} req/s  pinned baseline: {baseline_rps:.0f} req/s "
          f"({ROUNDS} interleaved rounds of {PER_ROUND})")
    print(f"request_path_ratio={full_rps / baseline_rps:.3f} ratio")


if __name__ == "__main__":
    main()
