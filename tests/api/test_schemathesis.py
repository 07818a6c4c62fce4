"""The API as a fuzzer sees it: schemathesis generates requests from our own OpenAPI schema
(/api/schema/) — valid ones and deliberately invalid ones — and sends them to a real HTTP server,
signed in through the real login API as the enterprise manager and as an employee. No response may
be a 5xx, and every documented response must match its schema.

Bounded: about FUZZ_CASES_PER_ROLE cases per role, spread over the operations, derandomised so
`make test` stays reproducible (a failure here fails the same way on the next run). The requests
go to an enterprise of this module alone (they change data: check-ins, consents, records) that is
retired afterwards. Logout (it would revoke the token mid-run) and the password change are left
out.
"""
from __future__ import annotations

import json
import os
import time

import pytest
import requests
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, Phase, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.accounts.signing_in import latest_code
from tests.orgdata.conftest import _own_enterprise, _retire
from tests.orgdata.factories import TEST_SETUP

FUZZ_CASES_PER_ROLE = int(os.environ.get("FUZZ_CASES_PER_ROLE", "1500"))
EMPLOYEE_PASSWORD = "Fuzz-Empl0yee!"
# Endpoints that would end the run's own session or change its credentials.
EXCLUDED_PATHS = ("/api/v1/auth/logout", "/api/v1/auth/logout-all", "/api/v1/auth/password")


@pytest.fixture(scope="module")
def fuzzed_enterprise(session_enterprises, django_db_blocker):
    from orgdata.services import employees as employee_services

    enterprise = _own_enterprise("fuzz-api", "Fuzz API Co", "13766660001", django_db_blocker)
    with django_db_blocker.unblock(), schema_context(enterprise.schema_name):
        employee = employee_services.add_employee(mobile="13766660002", display_name="被测员工", employee_number="FZ-1",
                                                  actor=TEST_SETUP)
        employee.account.set_password(EMPLOYEE_PASSWORD)
        employee.account.save(update_fields=["password"])
    yield enterprise, employee.account.mobile
    _retire(enterprise, django_db_blocker)


@pytest.fixture(scope="module")
def server(fuzzed_enterprise, live_server_port):
    enterprise, employee_mobile = fuzzed_enterprise
    host = f"{enterprise.host}:{live_server_port}"
    session = requests.Session()
    session.headers["Host"] = host
    base_url = f"http://127.0.0.1:{live_server_port}"
    schema = session.get(f"{base_url}/api/schema/", params={"format": "json"}, timeout=60)
    assert schema.status_code == 200, schema.text[:500]

    def sign_in(mobile, password, device_id):
        credentials = {"mobile": mobile, "password": password, "device_id": device_id}
        response = session.post(f"{base_url}/api/v1/auth/login", timeout=60, json=credentials)
        if response.status_code == 403 and response.json()["code"] == "device_verification_required":
            # X6: a first sign-in from this device; the code is in the local SMS outbox.
            credentials["code"] = latest_code(enterprise.schema_name, mobile)
            response = session.post(f"{base_url}/api/v1/auth/login", timeout=60, json=credentials)
        assert response.status_code == 200, response.text[:500]
        return {"Authorization": f"Token {response.json()['token']}", "X-Device-Id": device_id, "Host": host}

    return {
        "schema": schema.json(), "base_url": base_url,
        "manager": lambda: sign_in(enterprise.admin_mobile, enterprise.admin_password, "fuzz-manager"),
        "employee": lambda: sign_in(employee_mobile, EMPLOYEE_PASSWORD, "fuzz-employee"),
    }


def _operations(raw_schema, excluded):
    import schemathesis

    schema = schemathesis.openapi.from_dict(raw_schema)
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path not in excluded:
            operations.append(operation)
    return operations


def _describe(case, response) -> str:
    body = case.body if not isinstance(case.body, bytes) else case.body[:200]
    return (f"{case.method} {case.formatted_path} query={case.query!r} body={json.dumps(body, default=repr)[:300]}"
            f" → {response.status_code} {response.text[:200]!r}")


def _fuzz(server, headers, excluded) -> tuple[int, list[str]]:
    operations = _operations(server["schema"], excluded)
    assert len(operations) > 15, [op.label for op in operations]  # the whole API, not a fragment
    per_operation = max(10, FUZZ_CASES_PER_ROLE // len(operations))
    session = requests.Session()
    failures, sent = [], [0]

    for operation in operations:
        cases = strategies.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                                  operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        @settings(max_examples=per_operation, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=cases)
        def exercise(case):
            response = case.call(base_url=server["base_url"], session=session, headers=headers, timeout=60)
            sent[0] += 1
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)
            # schemathesis raises a FailureGroup (a BaseExceptionGroup); every failing case is
            # collected and reported, not just the first.
            except (Exception, BaseExceptionGroup) as failure:
                found = [f"{type(each).__name__}: {(str(each).splitlines() or [''])[0][:200]}"
                         for each in getattr(failure, "exceptions", [failure])]
                failures.append(f"{_describe(case, response)}\n    {'; '.join(found)}")

        exercise()
    print(f"schemathesis: {sent[0]} requests over {len(operations)} operations, {len(failures)} failed")
    return sent[0], failures


@pytest.mark.parametrize("role", ["employee", "manager"])  # the employee first: the manager may change them
def test_no_generated_request_gets_a_server_error_or_an_undocumented_response(server, role):
    started = time.monotonic()
    # Sign-in is the same unauthenticated endpoint for both: fuzzed once (each failed attempt costs
    # a password hash and an axes record).
    excluded = EXCLUDED_PATHS if role == "employee" else (*EXCLUDED_PATHS, "/api/v1/auth/login")
    sent, failures = _fuzz(server, server[role](), excluded)
    print(f"as {role}: {time.monotonic() - started:.0f} s")
    assert sent >= FUZZ_CASES_PER_ROLE // 2, sent
    assert not failures, f"{len(failures)} of {sent} requests as {role} failed:\n" + "\n".join(failures[:40])
