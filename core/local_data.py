"""The machine's own data folder (git-ignored `.data/`, or PLATFORM_DATA_DIR) and the development
secrets generated once into it, never written into the repository."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PLATFORM_DATA_DIR", BASE_DIR / ".data"))


def persistent_secret(name: str, nbytes: int = 48) -> str:
    """A development secret generated once and kept in the data folder (never in the repository)."""
    path = DATA_DIR / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value)
    path.chmod(0o600)
    return value
