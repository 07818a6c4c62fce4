"""X1: a real gunicorn with config/gunicorn_conf.py writes no full mobile, ID or bank-card number in
its access or error log, whatever the search query holds (plain or percent-encoded)."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import _test_database_url

ROOT = Path(__file__).resolve().parents[2]
MOBILE, ID_NUMBER, BANK_CARD = "13912345678", "11010519491231002X", "6222021234567890123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, host: str, path_and_query: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path_and_query}", headers={
        "Host": host, "Referer": f"http://{host}/console/?q={MOBILE}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.promise("X1")
def test_the_servers_own_log_never_holds_a_full_identifier(session_enterprises, django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    port, log_path = _free_port(), tmp_path / "gunicorn.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url,
           "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"], "DJANGO_DEBUG": "0"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-c", "config/gunicorn_conf.py",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            host = session_enterprises.a.host
            statuses = [
                _get(port, host, f"/api/v1/directory?search={MOBILE}&id={ID_NUMBER}&card={BANK_CARD}"),
                _get(port, host, f"/api/v1/directory?search=%20{MOBILE}&id=%20{ID_NUMBER}&card=%2B86{MOBILE}"),
                _get(port, host, f"/console/organisation/employees/?q={MOBILE}%00"),
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = log_path.read_text()

    assert statuses == [401, 401, 400]
    assert output.count("GET /api/v1/directory?search=") == 2, output  # the access lines were written
    assert f"{MOBILE[:3]}****{MOBILE[-4:]}" in output and "1101**********002X" in output
    for plaintext in (MOBILE, ID_NUMBER, BANK_CARD):
        assert plaintext not in output, output
