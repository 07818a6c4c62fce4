"""The simulated people of bench/load_test.py, for locust (run headless by that script; no Django here).

Each locust user is one person at a time: it takes the next enterprise of the plan (round robin
over every enterprise, so a run spreads over all of them), signs in once, works for a while and
signs out, then moves on. Employees use the phone app's API (directory, check-in, changing a
consent); managers use the web console as a browser does (CSRF token from the sign-in form, the
session cookie, the Origin header). Every answer must have the status the product documents for
it: anything else is counted as a failure, and the bench fails on any.

The plan (LOAD_TEST_PLAN, JSON written by load_test.py) lists per enterprise its host, the
manager's and some employees' mobile numbers, the password, the device id each employee's phone
already verified (X6), so a sign-in is one request as it is for a returning user, and the token
that phone kept from signing in before. Most phone-app visits open the app with that token (and
leave it signed in); one in FRESH_SIGN_INS signs in with the password and signs out at the end.
A password check is Argon2 (slow on purpose): with a sign-in per visit, a run that reaches every
enterprise measures little but hashing.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, events, task

_environment = None
PLAN = json.loads(open(os.environ["LOAD_TEST_PLAN"], encoding="utf-8").read())
PORT = PLAN["port"]
ENTERPRISES = PLAN["enterprises"]
# Marketing push: an additional purpose anyone may give and withdraw as often as they like.
TOGGLED_PURPOSE = "personalised_push"
CONSOLE_PAGES = ("/console/", "/console/organisation/employees/", "/console/organisation/departments/",
                 "/console/attendance/records/", "/console/privacy/")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

FRESH_SIGN_INS = 10
_randomiser = random.Random(18)
_visited: set[str] = set()
# Every request (start, milliseconds, failed), and when the last user's first sign-in ended: the
# figures after it are the steady state, without the burst of sign-ins while users are started.
_samples: list[tuple[float, float, bool]] = []
_first_visits_begun = 0
_all_signed_in_at: float | None = None
_order = list(range(len(ENTERPRISES)))
_randomiser.shuffle(_order)
_next_enterprise = itertools.cycle(_order)


def _pause(user) -> float:
    """A person's think time between two actions (1 to 3 s). The idle connection is dropped first,
    as a phone or browser does after its own idle limit: gunicorn closes a keep-alive connection
    after 2 s (`--keep-alive`), and a request sent on one just as it closes would be reset."""
    user.client.close()
    return _randomiser.uniform(1.0, 3.0)


def _expect(response, status: int, what: str) -> bool:
    if response.status_code != status:
        answer = repr(response.text[:200]) if response.status_code else f"no answer ({response.error!r})"
        response.failure(f"{what}: expected {status}, got {response.status_code}: {answer}")
        return False
    response.success()
    return True


class _Person(HttpUser):
    abstract = True
    wait_time = _pause
    # A person's visit: signed in once, this many actions with the same token or session, then
    # they sign out and the user becomes someone else in the next enterprise (load_test.py's
    # --actions-per-visit: short visits spread a run over every enterprise).
    actions_per_visit = tuple(PLAN["actions_per_visit"])

    # No on_stop: when the run ends, people still signed in stay so, like a phone put away.
    def on_start(self):
        global _first_visits_begun, _all_signed_in_at
        self._begin_visit()
        _first_visits_begun += 1
        if _first_visits_begun == _environment.parsed_options.num_users:
            _all_signed_in_at = time.time()

    def _begin_visit(self):
        self.enterprise = ENTERPRISES[next(_next_enterprise)]
        _visited.add(self.enterprise["host"])
        self.client.cookies.clear()
        self.client.headers["Host"] = f"{self.enterprise['host']}:{PORT}"
        self.actions_left = _randomiser.randint(*self.actions_per_visit)
        self.signed_in = self.sign_in()

    def _end_visit(self):
        if self.signed_in:
            self.sign_out()
        self.signed_in = False

    def _next_action(self) -> bool:
        """Whether this person still acts (starting the next visit when the current one is over)."""
        self.actions_left -= 1
        if self.actions_left < 0 or not self.signed_in:
            self._end_visit()
            self._begin_visit()
        return self.signed_in


class Employee(_Person):
    """Someone with the phone app: signs in with a known device, then reads the address book, checks
    in and out, and changes a consent."""

    weight = 4

    def sign_in(self) -> bool:
        index = _randomiser.randrange(len(self.enterprise["employees"]))
        employee = self.enterprise["employees"][index]
        self.client.headers.pop("Authorization", None)
        self.device_id = employee["device_id"]
        self.token_kept = _randomiser.randrange(FRESH_SIGN_INS) != 0
        if self.token_kept:  # the app opened, still signed in from before
            token = employee["token"]
        else:
            with self.client.post("/api/v1/auth/login", name="API sign-in", catch_response=True, json={
                    "mobile": employee["mobile"], "password": PLAN["password"], "device_id": self.device_id,
                    "device_name": "load test phone"}) as response:
                if not _expect(response, 200, "sign-in"):
                    return False
                token = response.json()["token"]
        self.client.headers["Authorization"] = f"Token {token}"
        self.client.headers["X-Device-Id"] = self.device_id
        # C8: the app reads the policy state first and accepts a version it must accept.
        with self.client.get("/api/v1/policy", name="API policy", catch_response=True) as response:
            if not _expect(response, 200, "policy"):
                return False
            must_accept = response.json()["must_accept"]
        if must_accept:
            with self.client.post("/api/v1/policy/accept", name="API policy accept", catch_response=True,
                                  json={"version": must_accept}) as response:
                if not _expect(response, 200, "policy accept"):
                    return False
        with self.client.get("/api/v1/consent/purposes", name="API consent purposes", catch_response=True) as response:
            if not _expect(response, 200, "purposes"):
                return False
            answers = {row["code"]: row["has_consented"] for row in response.json()}
        self.has_consented = answers.get(TOGGLED_PURPOSE, False)
        self.checked_in = False
        return True

    def sign_out(self):
        if not self.token_kept:  # the kept token stays for the next visit, as on a phone put away
            with self.client.post("/api/v1/auth/logout", name="API sign-out", catch_response=True) as response:
                _expect(response, 204, "sign-out")
        self.client.headers.pop("Authorization", None)

    @task(4)
    def directory(self):
        if not self._next_action():
            return
        params = _randomiser.choice([{}, {"search": "员工"}, {"page": 1}])
        with self.client.get("/api/v1/directory", params=params, name="API directory",
                             catch_response=True) as response:
            _expect(response, 200, "directory")

    @task(2)
    def check_in(self):
        if not self._next_action():
            return
        kind = "out" if self.checked_in else "in"
        with self.client.post("/api/v1/attendance/check-ins", name="API check-in", catch_response=True,
                              json={"kind": kind, "place": "总部三楼"}) as response:
            if _expect(response, 201, "check-in"):
                self.checked_in = not self.checked_in

    @task(1)
    def change_consent(self):
        if not self._next_action():
            return
        action = "withdraw" if self.has_consented else "grant"
        with self.client.post(f"/api/v1/consent/purposes/{TOGGLED_PURPOSE}/{action}", name="API consent change",
                              catch_response=True, json={} if action == "grant" else None) as response:
            if _expect(response, 201, f"consent {action}"):
                self.has_consented = not self.has_consented


class Manager(_Person):
    """An enterprise manager in the web console, as a browser: the sign-in form with its CSRF token,
    then a few pages of the console."""

    weight = 1
    # An administrator spends longer in the console than a person in the app.
    actions_per_visit = tuple(4 * bound for bound in PLAN["actions_per_visit"])

    def sign_in(self) -> bool:
        self.origin = f"http://{self.enterprise['host']}:{PORT}"
        with self.client.get("/console/login/", name="console sign-in form", catch_response=True) as response:
            if not _expect(response, 200, "sign-in form"):
                return False
            found = CSRF_FIELD.search(response.text)
            if found is None:
                response.failure("sign-in form without a CSRF token")
                return False
        with self.client.post("/console/login/", name="console sign-in", catch_response=True, allow_redirects=False,
                              headers={"Origin": self.origin, "Referer": f"{self.origin}/console/login/"},
                              data={"username": self.enterprise["manager_mobile"], "password": PLAN["password"],
                                    "csrfmiddlewaretoken": found.group(1)}) as response:
            if not _expect(response, 302, "console sign-in"):
                return False
        return True

    def sign_out(self):
        csrf = self.client.cookies.get("csrftoken", "")
        with self.client.post("/console/logout/", name="console sign-out", catch_response=True, allow_redirects=False,
                              headers={"Origin": self.origin, "Referer": f"{self.origin}/console/"},
                              data={"csrfmiddlewaretoken": csrf}) as response:
            _expect(response, 302, "console sign-out")

    @task
    def console_page(self):
        if not self._next_action():
            return
        path = _randomiser.choice(CONSOLE_PAGES)
        with self.client.get(path, name=f"console {path}", catch_response=True, allow_redirects=False) as response:
            _expect(response, 200, f"console {path}")


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    global _environment
    _environment = environment


@events.request.add_listener
def _note_request(response_time, exception, start_time=None, **_kwargs):
    started = start_time if start_time is not None else time.time() - response_time / 1000
    _samples.append((started, response_time, exception is not None))


def _percentile(ordered: list[float], quantile: float) -> float:
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] if ordered else 0.0


def _steady_state(run_started: float) -> dict | None:
    if _all_signed_in_at is None:
        return None
    after = [(started, milliseconds, failed) for started, milliseconds, failed in _samples
             if started >= _all_signed_in_at]
    if not after:
        return None
    ended = max(started + milliseconds / 1000 for started, milliseconds, _failed in after)
    ordered = sorted(milliseconds for _started, milliseconds, _failed in after)
    return {"from_second": _all_signed_in_at - run_started, "requests": len(after),
            "failures": sum(1 for *_rest, failed in after if failed),
            "per_second": len(after) / max(ended - _all_signed_in_at, 1e-9),
            **{f"p{int(q * 100)}": _percentile(ordered, q) for q in (0.5, 0.95, 0.99)}}


@events.quit.add_listener
def _write_result(exit_code, **_kwargs):
    """The final figures per endpoint for load_test.py (locust's CSV is written before the last
    requests end), and every failure and exception: an exception in a simulated person is an error too."""
    stats = _environment.runner.stats
    duration = max(stats.total.last_request_timestamp - stats.total.start_time, 1e-9)

    def entry(stats_entry, name):
        return {"name": name, "requests": stats_entry.num_requests, "failures": stats_entry.num_failures,
                "per_second": stats_entry.num_requests / duration,
                **{f"p{int(q * 100)}": stats_entry.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)}}

    result = {
        "duration_seconds": duration,
        "enterprises_visited": len(_visited),
        "endpoints": [entry(e, f"{e.method} {e.name}") for e in sorted(stats.entries.values(), key=lambda e: e.name)],
        "total": entry(stats.total, "all"),
        "steady_state": _steady_state(stats.total.start_time),
        "failures": [{"name": f"{f.method} {f.name}", "error": str(f.error), "occurrences": f.occurrences}
                     for f in stats.errors.values()],
        "exceptions": [{"message": e["msg"], "count": e["count"], "traceback": e["traceback"][-1500:]}
                       for e in _environment.runner.exceptions.values()],
    }
    with open(os.environ["LOAD_TEST_RESULT"], "w", encoding="utf-8") as out:
        json.dump(result, out, ensure_ascii=False, indent=1)
