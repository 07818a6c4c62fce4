"""Per-person cache keys (R4): each app that keeps something about one person in the shared cache
(Redis) names those keys here, once, by registering a function from the person's account id to
the keys (logical keys of the default cache, which prefixes the enterprise schema itself).

The erasure engine deletes them (erasure.services, step "cached_values") and its residue scan asks
`remaining_for` which of them still exist, reported as "redis:<name>". The data map's idea for the
cache: a new per-person key that is not registered is one the scan cannot see, so register it
where the key is built. This module imports no app; apps register from their AppConfig.ready().
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.cache import cache

_KEYS_OF: dict[str, Callable[[int], Iterable[str]]] = {}


def register(name: str, keys_of: Callable[[int], Iterable[str]]) -> None:
    """Name the cache keys about one person that `keys_of(person_id)` returns. Refuses
    (ValueError) a name registered twice with another function."""
    known = _KEYS_OF.get(name)
    if known is not None and known is not keys_of:
        raise ValueError(f"per-person cache keys {name!r} are registered twice")
    _KEYS_OF[name] = keys_of


def registered() -> dict[str, Callable[[int], Iterable[str]]]:
    return dict(_KEYS_OF)


def keys_of(person_id: int) -> dict[str, list[str]]:
    """{name: [logical keys]} of every registered kind, for one person."""
    return {name: list(keys(person_id)) for name, keys in _KEYS_OF.items()}


def remaining_for(person_id: int) -> list[str]:
    """The registered names with at least one key about the person still in the cache (of the
    current schema); never the keys' values."""
    return sorted(name for name, keys in keys_of(person_id).items() if any(cache.has_key(key) for key in keys))


def delete_for(person_id: int) -> int:
    """Delete every registered key about the person (of the current schema); returns how many kinds
    had one."""
    present = remaining_for(person_id)
    cache.delete_many([key for keys in keys_of(person_id).values() for key in keys])
    return len(present)
