"""Seconds per enterprise registered through the platform host's API (E1), median of 10.

Each run is what a registrant's app does: POST /api/v1/registrations/code, then
POST /api/v1/registrations/ with the code from the development SMS outbox. The second request
checks every field and the code, provisions from the pool of spare schemas (kept full by a Celery
task: filled before timing, as in bench/provision.py) and removes the stand-in account; only that
second request is timed. Run: `make bench ARGS=register_enterprise`.
"""
import re
import secrets
import statistics
import time

import _setup
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import SmsOutboxMessage, User
from tenants import services as tenant_services
from tenants.models import Enterprise

RUNS = 10
PASSWORD = "Bench-Regist3r-2026!"


def _latest_code(mobile: str) -> str:
    connection.set_schema_to_public()
    person = User.objects.with_mobile(mobile).get()
    message = SmsOutboxMessage.objects.filter(person=person).order_by("-created_at", "-pk").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def main():
    prefix = f"Bench Registration {secrets.token_hex(3)}"
    tenant_services.replenish_spare_schemas(target=RUNS)  # what the pool task keeps ready, not timed
    durations = []
    try:
        for index in range(RUNS):
            client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=f"10.77.{index}.{secrets.randbelow(250) + 1}")
            mobile = "135" + f"{secrets.randbelow(10 ** 8):08d}"
            sent = client.post("/api/v1/registrations/code", {"mobile": mobile}, content_type="application/json")
            assert sent.status_code == 202, sent.content
            body = {"name": f"{prefix} {index}", "manager_name": "Bench Manager", "mobile": mobile,
                    "code": _latest_code(mobile), "password": PASSWORD}
            started = time.perf_counter()
            registered = client.post("/api/v1/registrations/", body, content_type="application/json")
            durations.append(time.perf_counter() - started)
            assert registered.status_code == 201, registered.content
    finally:
        connection.set_schema_to_public()
        for code in Enterprise.objects.filter(name__startswith=prefix).values_list("code", flat=True):
            _setup.drop_enterprise(code)
    print(f"registration: min={min(durations):.3f}s max={max(durations):.3f}s")
    print(f"register_enterprise_median={statistics.median(durations):.3f} s")


if __name__ == "__main__":
    main()
