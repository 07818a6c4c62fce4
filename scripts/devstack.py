"""`make run`, `make test`, `make bench` and `make mutants`: bring the system up, or check it, on
any machine.

Without DATABASE_URL / CELERY_BROKER_URL the embedded PostgreSQL and Redis of config.embedded
are started (and stopped again by whoever started them, also when startup fails half-way); with
them set, the real servers are used. `make run` supervises the web server, worker and beat: a
child that dies is restarted with exponential back-off (said on the console), and Ctrl-C or
SIGTERM stops every child and then the embedded servers.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import embedded  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent


class Services:
    """The database and broker this run uses, started here when the environment names none."""

    def __init__(self):
        self.env = dict(os.environ)
        self._pg_handle = None
        self._redis_started_here = False

    def __enter__(self):
        try:
            if not self.env.get("DATABASE_URL"):
                self._pg_handle, self.env["DATABASE_URL"] = embedded.start_postgres()
                print("• database: embedded PostgreSQL (data in .data/pg)")
            else:
                print("• database: DATABASE_URL")
            if not self.env.get("CELERY_BROKER_URL"):
                self._redis_started_here, self.env["CELERY_BROKER_URL"] = embedded.start_redis()
                print("• broker:   embedded Redis (append-only file in .data/redis)")
            else:
                print("• broker:   CELERY_BROKER_URL")
        except BaseException:
            # `with` calls __exit__ only after __enter__ returned: stop what did start.
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self._redis_started_here:
                self._redis_started_here = False
                embedded.stop_redis(self.env["CELERY_BROKER_URL"])
                print("• stopped the embedded Redis")
        finally:
            if self._pg_handle is not None:
                handle, self._pg_handle = self._pg_handle, None
                handle.cleanup()
                print("• stopped the embedded PostgreSQL")


def _manage(env, *args, capture=False):
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                          text=True, capture_output=capture)


def _free_port(preferred: int) -> int:
    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port near %d" % preferred)


@dataclass
class _Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts_in_a_row: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Keeps named child processes running.

    A child that exits is started again after a back-off that doubles with each exit in a row
    (first_delay, 2×, 4× …, at most max_delay); a child that stayed up for stable_after seconds
    starts again from first_delay. Each exit and restart is said on the console. stop() ends
    every child (SIGTERM, then SIGKILL after stop_timeout seconds) and nothing restarts after it.
    """

    commands: dict[str, list[str]]
    env: dict | None = None
    cwd: Path | None = None
    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    stop_timeout: float = 20.0
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    children: list[_Child] = field(init=False, default_factory=list)
    stopping: bool = field(init=False, default=False)

    def start(self) -> None:
        self.children = [_Child(name, command) for name, command in self.commands.items()]
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: _Child) -> None:
        # Their own process group: Ctrl-C reaches only the supervisor, which stops them in order
        # (a terminal's SIGINT to every child at once would look like crashes to restart).
        child.process = subprocess.Popen(child.command, env=self.env, cwd=self.cwd, start_new_session=True)
        child.started_at = time.monotonic()
        child.restart_at = None

    def poll_once(self) -> None:
        """Notice exited children and restart those whose back-off has passed."""
        now = time.monotonic()
        for child in self.children:
            if self.stopping:
                return
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._spawn(child)
                    self.say(f"{child.name} restarted (pid {child.process.pid})")
                continue
            code = child.process.poll() if child.process is not None else None
            if code is None:
                continue
            if now - child.started_at >= self.stable_after:
                child.restarts_in_a_row = 0
            delay = min(self.first_delay * 2 ** child.restarts_in_a_row, self.max_delay)
            child.restarts_in_a_row += 1
            child.restart_at = now + delay
            how = f"exit {code}" if code >= 0 else f"signal {-code}"
            self.say(f"{child.name} stopped ({how}); restarting in {delay:g} s")

    def run(self, should_stop: Callable[[], bool] = lambda: False, interval: float = 0.2) -> None:
        while not should_stop():
            self.poll_once()
            time.sleep(interval)

    def stop(self) -> None:
        self.stopping = True
        running = [child.process for child in self.children
                   if child.process is not None and child.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.children:
            self.say("Stopped " + ", ".join(child.name for child in self.children) + ".")


def _child_commands(port: int) -> dict[str, list[str]]:
    gunicorn = [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--threads", "4", "--access-logfile", "-"]
    if (ROOT / "config" / "gunicorn_conf.py").exists():
        gunicorn[1:1] = ["-c", str(ROOT / "config" / "gunicorn_conf.py")]
    return {
        "web server": gunicorn,
        "worker": [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO"],
    }


def _interrupt(*_):
    raise KeyboardInterrupt


def run() -> int:
    # SIGTERM ends the run like Ctrl-C does: every `finally` below runs (children, then the
    # embedded servers), wherever startup has got to.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    supervisor = None
    try:
        with Services() as services:
            env = services.env
            env.setdefault("DJANGO_DEBUG", "1")
            port = _free_port(int(env.get("PORT", "8000")))
            env["PUBLIC_PORT"] = str(port)
            print("• migrating the public schema and every enterprise schema …")
            _manage(env, "migrate_schemas", "-v", "0")
            print("• seeding the demo enterprise …")
            logins = json.loads(_manage(env, "seed_demo", "--json", capture=True).stdout)
            supervisor = Supervisor(_child_commands(port), env=env, cwd=ROOT)
            try:
                supervisor.start()
                time.sleep(2)
                _print_banner(port, logins)
                supervisor.run()
            finally:
                # A second Ctrl-C must not cut the shutdown short.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                supervisor.stop()
    except KeyboardInterrupt:
        pass
    return 0


def _print_banner(port: int, logins: dict) -> None:
    enterprise_host = f"{logins['enterprise_host']}:{port}"
    platform = f"localhost:{port}"
    print(
        "\n"
        "────────────────────────────────────────────────────────────────────\n"
        f" {logins['enterprise_name']} is up.\n"
        f"   Web console : http://{enterprise_host}/console/\n"
        f"     sign in   : mobile {logins['manager_mobile']}  password {logins['manager_password']}\n"
        f"   Mobile API  : http://{enterprise_host}/api/v1/   (docs: http://{enterprise_host}/api/docs/)\n"
        f"     employee  : mobile {logins['employee_mobile']}  password {logins['employee_password']}\n"
        f"   Django admin: http://{platform}/admin/\n"
        f"     sign in   : mobile {logins['staff_mobile']}  password {logins['staff_password']}\n"
        f"   Enterprise lookup: http://{platform}/api/v1/enterprises/lookup?code={logins['enterprise_code']}\n"
        f"   Health      : http://{platform}/healthz\n"
        " Ctrl-C stops everything.\n"
        "────────────────────────────────────────────────────────────────────",
        flush=True,
    )


def _ensure_chromium() -> None:
    if shutil.which("chromium") or os.environ.get("CHROMIUM_PATH"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("The browser tests need Debian's `chromium` package: apt-get install chromium")
    print("• installing Debian's chromium for the browser tests …")
    quiet = {"stdout": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, **quiet)


def test(args: list[str]) -> int:
    _ensure_chromium()
    with Services() as services:
        env = {**services.env, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
        return subprocess.run([PYTHON, "-m", "pytest", *args], env=env, cwd=ROOT).returncode


def bench(names: list[str]) -> int:
    """Run every bench/ script, or only those named (`make bench ARGS="retention crypto_fields"`)."""
    scripts = [path for path in sorted((ROOT / "bench").glob("*.py")) if not path.name.startswith("_")]
    if names:
        scripts = [path for path in scripts if path.stem in names]
    with Services() as services:
        print("• migrating the public schema and every enterprise schema …")
        _manage(services.env, "migrate_schemas", "-v", "0")
        status = 0
        for script in scripts:
            print(f"== {script.name}", flush=True)
            status |= subprocess.run([PYTHON, str(script)], env=services.env, cwd=ROOT).returncode
        return status


def mutants(args: list[str]) -> int:
    """`make mutants`: each curated single-point breakage must make the tests fail (scripts/mutants.py)."""
    import mutants as mutation_testing  # scripts/ is this script's own folder

    if "--list" in args:
        return mutation_testing.main(args)
    _ensure_chromium()
    with Services() as services:
        return mutation_testing.main(args, services.env)


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["run"]
    sys.exit({"run": lambda: run(), "test": lambda: test(rest), "bench": lambda: bench(rest),
              "mutants": lambda: mutants(rest)}[command]())
