"""X1: a real gunicorn with config/gunicorn_conf.py writes no full mobile, ID or bank-card number in
its access or error log, whatever the search query holds (plain or percent-encoded, separated,
with a country prefix, full-width)."""
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote_plus

import pytest
from django.conf import settings

from tests.conftest import _test_database_url

ROOT = Path(__file__).resolve().parents[2]
MOBILE, ID_NUMBER, BANK_CARD = "13912345678", "11010519491231002X", "6222021234567890123"
# Spellings the product accepts for the same numbers, as a browser puts them in a query string.
SPELLED = "&".join([
    "search=139%201234%205678", "b=139-1234-5678", "c=139+1234+5678", "d=(139)1234-5678", "e=139.1234.5678",
    "f=" + quote("１３９１２３４５６７８"), "g=%2B86%20139%201234%205678", "h=0086" + MOBILE,
    "id=110105%2019491231%20002x", "i=" + quote("１１０１０５１９４９１２３１００２Ｘ"), "card=6222-0212-3456-7890-123",
])
_TYPED_SEPARATORS = re.compile(r"[\s\-.+()]")


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
                _get(port, host, f"/api/v1/directory?{SPELLED}"),
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = log_path.read_text()

    assert statuses == [401, 401, 400, 401]
    assert output.count("GET /api/v1/directory?search=") == 3, output  # the access lines were written
    assert f"{MOBILE[:3]}****{MOBILE[-4:]}" in output and "1101**********002X" in output
    spelled_request = next(line for line in output.splitlines() if "&i=" in line).split(" HTTP/")[0]
    assert spelled_request.count(f"{MOBILE[:3]}****{MOBILE[-4:]}") == 8, spelled_request
    assert spelled_request.count("1101**********002X") == 2, spelled_request
    assert "6222 **** **** 0123" in spelled_request, spelled_request
    # What a reader recovers from the log: escapes decoded, full-width folded, separators dropped.
    as_read = _TYPED_SEPARATORS.sub("", unicodedata.normalize("NFKC", unquote_plus(output)))
    for plaintext in (MOBILE, ID_NUMBER, ID_NUMBER[:-1], BANK_CARD):
        assert plaintext not in output and plaintext not in as_read, output
