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
    reduces_rights: bool


def timeline() -> tuple[PolicyFacts, ...]:
    """Every version (scheduled ones too), oldest effective first; memoised for a minute."""
    key = get_public_schema_name()
    entry = _memo.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    rows = PolicyVersion.objects.order_by("effective_at", "published_at").values_list(
        "id", "version", "published_at", "effective_at", "is_significant", "reduces_rights")
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
    """C8: the latest significant version that has taken effect (people must have accepted it
    before anything else works). A version that reduces users' rights is not among them: nobody is
    locked out for declining it; they keep the earlier terms (`terms_of`) until they accept."""
    now = now or timezone.now()
    significant = [facts for facts in timeline()
                   if facts.is_significant and not facts.reduces_rights and facts.effective_at <= now]
    return significant[-1] if significant else None


def terms_of(accepted_version_ids, now: datetime | None = None) -> PolicyFacts | None:
    """C8: the version whose terms apply to a person who accepted `accepted_version_ids`.

    Versions apply as they take effect, minor ones without any answer, except a version that
    reduces users' rights: continued use never accepts it. Until the person accepts it (or a later
    version) explicitly, their terms stay the last version before it, and later versions, which
    build on the reduced text, wait with it.
    """
    now = now or timezone.now()
    terms = None
    for facts in timeline():
        if facts.effective_at > now:
            break
        if facts.reduces_rights and not satisfies(accepted_version_ids, facts):
            break
        terms = facts
    return terms


def rights_reduction_to_accept(accepted_version_ids, now: datetime | None = None) -> PolicyFacts | None:
    """C8: the latest version in effect that reduces users' rights and that the person has not
    accepted explicitly (accepting it accepts the earlier ones too), or None."""
    now = now or timezone.now()
    pending = [facts for facts in timeline() if facts.reduces_rights and facts.effective_at <= now
               and not satisfies(accepted_version_ids, facts)]
    return pending[-1] if pending else None


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
