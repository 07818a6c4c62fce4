"""Host → enterprise routing facts, cached across processes (the shared 'routing' cache).

Only what routing needs is cached. Every write that changes those facts (status, domains) goes
through tenants.services or the model signals, which forget the entry, so a suspended or
cancelled enterprise is refused on the very next request in every process.
"""
from __future__ import annotations

from django.core.cache import caches

_MISSING_HOST = "__none__"


def _key(host: str) -> str:
    return f"tenant-route:v1:{host}"


def _cache():
    return caches["routing"]


def lookup(host: str, load):
    """Return the cached routing facts for `host`, loading them with `load(host)` on a miss."""
    facts = _cache().get(_key(host))
    if facts is None:
        facts = load(host) or _MISSING_HOST
        _cache().set(_key(host), facts)
    return None if facts == _MISSING_HOST else facts


def forget_host(host: str) -> None:
    _cache().delete(_key(host))


def forget_enterprise(enterprise) -> None:
    from tenants.models import Domain

    hosts = list(Domain.objects.filter(tenant_id=enterprise.pk).values_list("domain", flat=True))
    if hosts:
        _cache().delete_many([_key(host) for host in hosts])
