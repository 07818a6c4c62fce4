"""Reads of privacy-policy versions.

The consent gate asks "which version must be accepted?" on every API request, so the few facts it
needs (ids, dates, significance) are memoised per process for a minute. That is safe because a
version takes effect 7 days after publication (C8) and published versions are immutable: a memo
that has not seen a version published in the last minute cannot wrongly allow or refuse anything.
Pages that show policy texts read the database.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from policies.models import PolicyVersion

_MEMO_SECONDS = 60
# Keyed by the schema the rows live in (public), like every in-process memo here.
_memo: dict[str, tuple[float, tuple["PolicyFacts", ...]]] = {}
_memo_lock = threading.Lock()


@dataclass(frozen=True)
class PolicyFacts:
    id: int
    version: str
    published_at: datetime
    effective_at: datetime
    is_significant: bool


def timeline() -> tuple[PolicyFacts, ...]:
    """Every version (scheduled ones too), oldest effective first; memoised for a minute."""
    key = get_public_schema_name()
    entry = _memo.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    rows = PolicyVersion.objects.order_by("effective_at", "published_at").values_list(
        "id", "version", "published_at", "effective_at", "is_significant")
    facts = tuple(PolicyFacts(*row) for row in rows)
    with _memo_lock:
        _memo[key] = (time.monotonic() + _MEMO_SECONDS, facts)
    return facts


def forget_timeline() -> None:
    with _memo_lock:
        _memo.clear()


def version_in_force(now: datetime | None = None) -> PolicyFacts | None:
    """The version that applies now: the latest one already effective."""
    now = now or timezone.now()
    effective = [facts for facts in timeline() if facts.effective_at <= now]
    return effective[-1] if effective else None


def version_requiring_acceptance(now: datetime | None = None) -> PolicyFacts | None:
    """C8: the latest significant version that has taken effect (people must have accepted it)."""
    now = now or timezone.now()
    significant = [facts for facts in timeline() if facts.is_significant and facts.effective_at <= now]
    return significant[-1] if significant else None


def facts_of(version_id: int) -> PolicyFacts | None:
    return next((facts for facts in timeline() if facts.id == version_id), None)


def satisfies(accepted_version_ids, required: PolicyFacts) -> bool:
    """Accepting the required version, or any version effective later, satisfies the requirement."""
    for version_id in accepted_version_ids:
        facts = facts_of(version_id)
        if facts is not None and facts.effective_at >= required.effective_at:
            return True
    return False


def published_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(published_at__lte=timezone.now())


def current_version() -> PolicyVersion | None:
    """The full text of the version in force (what employees read)."""
    return published_versions().filter(effective_at__lte=timezone.now()).order_by("-effective_at", "-published_at").first()


def upcoming_versions() -> list[PolicyVersion]:
    """Published versions not yet in force (C8: announced 7 days ahead), soonest first."""
    now = timezone.now()
    return list(published_versions().filter(effective_at__gt=now).order_by("effective_at", "published_at"))


def published_version(label: str) -> PolicyVersion | None:
    return published_versions().filter(version=label).first()
