"""`make run` and `make test`: bring the system up, or run every test, on any machine.

Without DATABASE_URL / CELERY_BROKER_URL the embedded PostgreSQL and Redis of config.embedded
are started (and stopped again by whoever started them); with them set, the real servers are used.
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
from pathlib import Path

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
        return self

    def __exit__(self, *exc):
        if self._redis_started_here:
            embedded.stop_redis(self.env["CELERY_BROKER_URL"])
        if self._pg_handle is not None:
            self._pg_handle.cleanup()


def _manage(env, *args, capture=False):
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                          text=True, capture_output=capture)


def _free_port(preferred: int) -> int:
    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port near %d" % preferred)


def run() -> int:
    with Services() as services:
        env = services.env
        env.setdefault("DJANGO_DEBUG", "1")
        port = _free_port(int(env.get("PORT", "8000")))
        env["PUBLIC_PORT"] = str(port)
        print("• migrating the public schema and every enterprise schema …")
        _manage(env, "migrate_schemas", "--executor", "standard", "-v", "0")
        print("• seeding the demo enterprise …")
        logins = json.loads(_manage(env, "seed_demo", "--json", capture=True).stdout)

        children = [
            subprocess.Popen([str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
                              "--workers", "2", "--threads", "4", "--access-logfile", "-"], env=env, cwd=ROOT),
            subprocess.Popen([str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO",
                              "--concurrency", "2"], env=env, cwd=ROOT),
            subprocess.Popen([str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO"], env=env, cwd=ROOT),
        ]
        time.sleep(2)
        _print_banner(port, logins)
        stop = {"now": False}

        def _stop(*_):
            stop["now"] = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop["now"]:
                if any(child.poll() is not None for child in children):
                    print("A process stopped unexpectedly; shutting everything down.")
                    break
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
            print("Stopped web, worker and beat.")
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
        _manage(services.env, "migrate_schemas", "--executor", "standard", "-v", "0")
        status = 0
        for script in scripts:
            print(f"== {script.name}", flush=True)
            status |= subprocess.run([PYTHON, str(script)], env=services.env, cwd=ROOT).returncode
        return status


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["run"]
    sys.exit({"run": lambda: run(), "test": lambda: test(rest), "bench": lambda: bench(rest)}[command]())
