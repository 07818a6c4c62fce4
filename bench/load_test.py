"""Load test (issue 18): many enterprises, mixed traffic, through the real stack on loopback.

`python bench/load_test.py [--enterprises 1000] [--users 60] [--run-time 360s] [--actions-per-visit 3-6]`, or
`make bench ARGS=load_test`. Steps:
1. the scale enterprises of bench/_many.py (kept between runs; provisioning the missing ones);
2. each employee the test signs in as has verified their phone once (X6, through the code the
   local SMS outbox received), as a returning user has: a sign-in is then one request;
3. the stack as `make run` starts it (scripts/devstack.py: gunicorn with its workers and threads,
   a Celery worker, beat) on a free loopback port, its output in .data/bench/load_test/stack.log;
4. locust, headless and bounded in time, with a fixed number of users (bench/_load_locustfile.py:
   phone-app employees signing in, reading the directory, checking in and out, changing a consent;
   managers signing in to the web console and opening its pages), every request to 127.0.0.1 with
   the enterprise's host in the Host header;
5. the stack is stopped, whatever happened.

Prints a Markdown table per endpoint (requests, req/s, p50/p95/p99 ms, errors; also written to
.data/bench/load_test/load_test.md) and the steady state after the ramp of sign-ins, writes a PNG
(percentiles per endpoint; throughput and p95 over time) to .data/bench/load_test/, and ends
with the overall figure. Fails (exit 1) on any request that did not get its expected status, on
any exception in a simulated person, and on any fault in the stack's log (a 5xx answer, an error
or traceback of the web server or a Celery task, a worker killed for timing out).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import _many
import _setup
from django.db import connection
from django_tenants.utils import schema_context

sys.path.insert(0, str(_setup.ROOT / "scripts"))
import devstack  # noqa: E402  (scripts/ is not a package: the stack's commands, as `make run` uses them)

OUT = _setup.ROOT / ".data" / "bench" / "load_test"
LOCUSTFILE = Path(__file__).resolve().parent / "_load_locustfile.py"
EMPLOYEES_SIGNING_IN = 2  # per enterprise: the phones that have been verified
STOP_TIMEOUT = 20
STACK_FAULT = re.compile(r'" 5\d\d |Traceback|\[ERROR\]|: ERROR/|CRITICAL|WORKER TIMEOUT')
WORKER_READY = re.compile(r"celery@\S+ ready\.")


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--users", type=int, default=60, help="simulated people at once")
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second")
    parser.add_argument("--run-time", default="360s", help="locust --run-time (e.g. 90s, 2m)")
    parser.add_argument("--actions-per-visit", default="3-6",
                        help="a phone-app visit's actions, MIN-MAX (a manager's console visit is four times "
                             "longer): shorter visits reach more enterprises (the defaults visit every one of "
                             "1,000 in 360 s)")
    return parser.parse_args()


def _device_id(mobile: str) -> str:
    return f"load-test-phone-{mobile}"


def _verify_phone(mobile: str) -> None:
    """X6 through the product: the first sign-in sends a code by SMS (the local outbox), the code
    makes the device known. Skipped for a phone verified in an earlier run."""
    from accounts import verification
    from accounts.errors import DeviceVerificationRequired
    from accounts.models import SmsOutboxMessage, User

    person = User.objects.with_mobile(mobile).get()
    device_id = _device_id(mobile)
    if verification.is_known_device(person=person, device_id=device_id):
        return
    try:
        verification.require_known_device(person=person, device_id=device_id)
    except DeviceVerificationRequired:
        pass
    body = SmsOutboxMessage.objects.filter(person=person, message_kind="verification_code").latest("pk").body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    verification.require_known_device(person=person, device_id=device_id, code=code)


def _switch_attendance_on(manager_mobile: str) -> None:
    """The manager switches the attendance application on for the whole enterprise (E6: it starts off)."""
    from accounts.models import User
    from orgdata.models import Application, ApplicationSwitch
    from orgdata.services import applications as application_services

    attendance = Application.objects.get(code="attendance")
    if not ApplicationSwitch.objects.filter(application=attendance, department=None, account=None,
                                            is_enabled=True).exists():
        application_services.switch_application(actor=User.objects.with_mobile(manager_mobile).get(),
                                                application=attendance, enabled=True)


def _plan(enterprises, port: int, actions_per_visit: str) -> dict:
    started = time.perf_counter()
    planned = []
    for enterprise in enterprises:
        employees = enterprise.employee_mobiles[:EMPLOYEES_SIGNING_IN]
        with schema_context(enterprise.schema_name):
            _switch_attendance_on(enterprise.manager_mobile)
            for mobile in employees:
                _verify_phone(mobile)
            tokens = [_token_kept_on_phone(mobile) for mobile in employees]
        planned.append({"host": enterprise.host, "manager_mobile": enterprise.manager_mobile,
                        "employees": [{"mobile": mobile, "device_id": _device_id(mobile), "token": token}
                                      for mobile, token in zip(employees, tokens)]})
    connection.set_schema_to_public()
    print(f"  attendance on and {len(planned) * EMPLOYEES_SIGNING_IN} phones verified and signed in, in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return {"port": port, "password": _many.PASSWORD, "enterprises": planned,
            "actions_per_visit": [int(bound) for bound in actions_per_visit.split("-", 1)]}


def _token_kept_on_phone(mobile: str) -> str:
    """The token a returning user's phone holds from signing in before (issued as a sign-in issues
    it, after the password check): most visits open the app with it instead of a password."""
    from accounts.models import User
    from accounts.services import issue_device_token

    person = User.objects.with_mobile(mobile).get()
    return issue_device_token(person=person, device_id=_device_id(mobile), device_name="load test phone").token


class Stack:
    """The processes `make run` supervises, started once (a child that dies fails the run instead of
    being restarted) and stopped on exit however the run ends."""

    def __init__(self, port: int, log_path: Path, warm_up_host: str):
        self.port = port
        self.warm_up_host = warm_up_host
        self.log_path = log_path
        self.processes: dict[str, subprocess.Popen] = {}

    def __enter__(self):
        env = {**os.environ, "PUBLIC_PORT": str(self.port)}
        env.setdefault("DJANGO_DEBUG", "0")  # as deployed: the figures are the product's, not debug mode's
        commands = devstack._child_commands(self.port)
        web = commands["web server"]
        self.web_threads = int(web[web.index("--workers") + 1]) * int(web[web.index("--threads") + 1])
        self.log = open(self.log_path, "w", encoding="utf-8")
        try:
            for name, command in commands.items():
                self.processes[name] = subprocess.Popen(command, env=env, cwd=_setup.ROOT, stdout=self.log,
                                                        stderr=subprocess.STDOUT, start_new_session=True)
            self._wait_until_serving()
            self._wait_for_worker()
            self._warm_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_serving(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/healthz", headers={"Host": "localhost"})
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the web server did not answer /healthz within {timeout:.0f} s (see {self.log_path})")

    def _wait_for_worker(self, timeout: float = 120.0) -> None:
        # The measurement starts once the whole stack is up: a Celery worker still importing would
        # take the CPU from the first requests and the figures would be the start-up's.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if WORKER_READY.search(self.log_path.read_text(encoding="utf-8", errors="replace")):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Celery worker was not ready within {timeout:.0f} s (see {self.log_path})")

    def _warm_up(self, rounds: int = 3) -> None:
        # Each worker thread's first requests load templates and code: not what a person waits for
        # once the service has been up a while, so they are made before locust starts measuring.
        for _round in range(rounds):
            for _thread in range(self.web_threads):
                request = urllib.request.Request(f"http://127.0.0.1:{self.port}/console/login/",
                                                 headers={"Host": self.warm_up_host})
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()

    def check_alive(self) -> None:
        dead = [f"{name} (exit {process.returncode})" for name, process in self.processes.items()
                if process.poll() is not None]
        if dead:
            raise RuntimeError(f"stopped during the run: {', '.join(dead)} (see {self.log_path})")

    def __exit__(self, *exc):
        # Each child stops its own workers on SIGTERM, as under `make run` (signalling the whole
        # group would kill Celery's pool processes under running tasks); its process group is
        # killed only when it does not stop in time.
        running = [process for process in self.processes.values() if process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.log.close()


def _run_locust(plan_path: Path, port: int, args) -> int:
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless",
               "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time,
               "--stop-timeout", "10", "--host", f"http://127.0.0.1:{port}", "--csv", str(OUT / "locust"),
               "--csv-full-history", "--only-summary", "--loglevel", "WARNING"]
    env = {**os.environ, "LOAD_TEST_PLAN": str(plan_path), "LOAD_TEST_RESULT": str(OUT / "result.json")}
    with open(OUT / "locust.log", "w", encoding="utf-8") as log:
        return subprocess.run(command, env=env, cwd=_setup.ROOT, stdout=log, stderr=subprocess.STDOUT).returncode


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _table(result: dict) -> str:
    lines = ["| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in [*result["endpoints"], {**result["total"], "name": "**all**"}]:
        lines.append(f"| {row['name']} | {row['requests']} | {row['per_second']:.1f} | {row['p50']:.0f} | "
                     f"{row['p95']:.0f} | {row['p99']:.0f} | {row['failures']} |")
    return "\n".join(lines)


def _plot(result: dict, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    with open(OUT / "locust_stats_history.csv", encoding="utf-8") as history_file:
        history = [row for row in csv.DictReader(history_file) if row["Name"] == "Aggregated"]
    start = _number(history[0]["Timestamp"]) if history else 0.0
    rows = result["endpoints"]
    figure, (bars, timeline) = pyplot.subplots(2, 1, figsize=(11, 11), height_ratios=(3, 2))
    positions = range(len(rows))
    for offset, quantile in enumerate(("p50", "p95", "p99")):
        bars.barh([p + (offset - 1) * 0.27 for p in positions], [row[quantile] for row in rows],
                  height=0.27, label=quantile)
    bars.set_yticks(list(positions), [row["name"] for row in rows], fontsize=8)
    bars.invert_yaxis()
    bars.set_xlabel("response time (ms)")
    bars.set_title(title, fontsize=10)
    bars.legend()
    seconds = [_number(row["Timestamp"]) - start for row in history]
    timeline.plot(seconds, [_number(row["Requests/s"]) for row in history], color="tab:blue")
    timeline.set_xlabel("seconds into the run")
    timeline.set_ylabel("requests per second", color="tab:blue")
    latency = timeline.twinx()
    latency.plot(seconds, [_number(row["95%"]) for row in history], color="tab:red")
    latency.set_ylabel("p95 ms (all endpoints, last 10 s)", color="tab:red")
    if result["steady_state"]:
        timeline.axvline(result["steady_state"]["from_second"], color="grey", linestyle=":")
        timeline.annotate("every user signed in", (result["steady_state"]["from_second"], 0),
                          textcoords="offset points", xytext=(4, 4), fontsize=8, color="grey")
    timeline.set_title("throughput and p95 over time", fontsize=10)
    figure.tight_layout()
    path = OUT / "load_test.png"
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def _stack_problems(log_path: Path, up_to: int) -> list[str]:
    """Lines of the stack's log, as far as it was written when the load ended, that show a fault
    whatever locust saw: an answer with a 5xx status in gunicorn's access log (a 500 is a bug), an
    error or traceback of the web server or of a Celery task, a worker gunicorn had to kill."""
    with open(log_path, "rb") as log:
        written = log.read(up_to).decode("utf-8", errors="replace")
    return [line for line in written.splitlines() if STACK_FAULT.search(line)]


def _interrupt(*_):
    raise KeyboardInterrupt


def main() -> int:
    # SIGTERM ends the run like Ctrl-C: the stack is stopped on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    args = _arguments()
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in [*OUT.glob("locust_*.csv"), OUT / "result.json"]:
        stale.unlink(missing_ok=True)
    print(f"• {args.enterprises} scale enterprises …", flush=True)
    enterprises = _many.ensure_enterprises(args.enterprises)
    port = devstack._free_port(int(os.environ.get("LOAD_TEST_PORT", "8700")))
    plan_path = OUT / "plan.json"
    plan_path.write_text(json.dumps(_plan(enterprises, port, args.actions_per_visit)), encoding="utf-8")
    # The bench's own connection must not hold a slot while the stack works.
    connection.close()
    log_path = OUT / "stack.log"
    print(f"• the stack on 127.0.0.1:{port} (log: {log_path.relative_to(_setup.ROOT)}) …", flush=True)
    with Stack(port, log_path, warm_up_host=f"{enterprises[0].host}:{port}") as stack:
        print(f"• locust: {args.users} users for {args.run_time} …", flush=True)
        locust_status = _run_locust(plan_path, port, args)
        stack.check_alive()
        stack.log.flush()
        load_ended_at = log_path.stat().st_size
    result = json.loads((OUT / "result.json").read_text(encoding="utf-8"))
    problems = _stack_problems(log_path, load_ended_at)
    total = result["total"]
    errors = total["failures"] + sum(exception["count"] for exception in result["exceptions"])
    figure = f"{total['per_second']:.1f} req/s, p95 {total['p95']:.0f} ms, {errors} errors"
    scope = (f"{args.enterprises} enterprises ({result['enterprises_visited']} visited), {args.users} users, "
             f"{args.run_time}")
    steady = result["steady_state"]
    report = [f"Load test: {scope}.", "", _table(result), ""]
    if steady:
        report.append(f"After every user's first sign-in (from second {steady['from_second']:.0f}): "
                      f"{steady['requests']} requests, {steady['per_second']:.1f} req/s, p50 {steady['p50']:.0f} / "
                      f"p95 {steady['p95']:.0f} / p99 {steady['p99']:.0f} ms, {steady['failures']} errors.")
    (OUT / "load_test.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("", *report[2:], sep="\n")
    for failure in result["failures"]:
        print(f"failed {failure['occurrences']}×: {failure['name']}: {failure['error'][:300]}")
    for exception in result["exceptions"]:
        print(f"exception {exception['count']}×: {exception['message']}\n{exception['traceback']}")
    if problems:
        print(f"{len(problems)} faults in {log_path.relative_to(_setup.ROOT)}, the first:", *problems[:10], sep="\n  ")
    print(f"plot: {_plot(result, f'{scope}: {figure}').relative_to(_setup.ROOT)}")
    print(f"load_test={total['per_second']:.1f} req/s p95={total['p95']:.0f} ms errors={errors} ({scope})", flush=True)
    unvisited = args.enterprises - result["enterprises_visited"]
    if unvisited:
        print(f"{unvisited} enterprises were never visited: a longer --run-time or shorter --actions-per-visit")
    return 1 if errors or problems or unvisited or locust_status not in (0, 1) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("load test interrupted; the stack was stopped", flush=True)
        sys.exit(130)
