"""E10: the service's cessation: announced at least 30 days ahead, shown everywhere, collection
stopped from the stop date, every enterprise cancelled after the wind-down.

Writes (`announce_cessation`, `withdraw_cessation`) are platform staff's, in the Django admin.
Reads (`current_cessation`, `collection_stopped`, `enterprises_cancelled_on`) are asked on every
request (the notice, the response header, the collection stop in tenants.collection_stop) and by
Celery work that collects (the address-book import), so the live announcement is kept per process
(core.process_cache): the announcement is platform-wide, so the entry is one, whatever the schema.
The stale-refill trap: a reader that loaded the row just before an announcement or withdrawal
committed must not store what it read after the change forgot the entry. The reader takes the
cache's generation before reading the database and stores only if no invalidation happened since;
every change invalidates in every process both at once and again after its commit (a reader in
between could only have read the old row). While the invalidation feed or Redis is down the
process cache is not trusted and every call reads the database (one indexed row).

Whether collection has stopped is computed from the cached stop date and today's date on each
call, so nothing cached goes stale at midnight.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from access.actors import is_system_actor
from access.capabilities import Capability, require
from core.process_cache import ProcessCache
from tenants.models import ServiceCessation

_local = ProcessCache("service-cessation", ttl_seconds=60, max_entries=lambda: 1)
_ENTRY = "live"
_NO_ANNOUNCEMENT = "none"  # cached "nothing announced" (the cache's own None means "not cached")


@dataclass(frozen=True)
class CessationNotice:
    """The live announcement, as every surface shows it."""

    id: int
    announced_at: datetime
    stop_on: date
    message: str

    def collection_stopped(self, today: date | None = None) -> bool:
        return (today or timezone.localdate()) >= self.stop_on


# --- reads ------------------------------------------------------------------------------------

def current_cessation() -> CessationNotice | None:
    """The live (not withdrawn) announcement, or None; cheap enough for every request."""
    _local.start_listener()
    cached = _local.get(_ENTRY)
    if cached is not None:
        return None if cached == _NO_ANNOUNCEMENT else cached
    generation = _local.generation  # before the read: an invalidation after it stops the store
    row = ServiceCessation.objects.filter(withdrawn_at__isnull=True).first()
    notice = None if row is None else CessationNotice(row.pk, row.announced_at, row.stop_on, row.message)
    _local.put(_ENTRY, notice or _NO_ANNOUNCEMENT, generation)
    return notice


def current_cessation_if_readable() -> CessationNotice | None:
    """current_cessation(), or None while the database cannot be reached: for the notice and the
    collection stop asked on every request, which must not turn /healthz or a read into a 500 (a
    write fails with the database anyway, answered 503 by core.errors)."""
    try:
        return current_cessation()
    except (OperationalError, InterfaceError):
        return None


def collection_stopped(today: date | None = None) -> bool:
    """E10: whether new personal information is refused: a live announcement's stop date has come."""
    notice = current_cessation()
    return notice is not None and notice.collection_stopped(today)


def enterprises_cancelled_on() -> date | None:
    """The day every enterprise's cancellation is due: the stop date plus the wind-down
    (SERVICE_CESSATION_WIND_DOWN_DAYS), in which enterprises still read and export; None when no
    cessation is announced."""
    notice = current_cessation()
    return None if notice is None else notice.stop_on + timedelta(days=settings.SERVICE_CESSATION_WIND_DOWN_DAYS)


def collection_stopped_message(notice: CessationNotice) -> str:
    """What a refused write says (console page, API detail, a refused import)."""
    return _("The service stopped collecting personal information on %(date)s: nothing new can be "
             "recorded. You can still read and export your information.") % {
        "date": date_format(notice.stop_on, "DATE_FORMAT")}


def earliest_stop_date(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=settings.SERVICE_CESSATION_NOTICE_DAYS)


def forget_cessation() -> None:
    """Drop the cached announcement in this process only (tests whose transaction rolled back)."""
    _local.invalidate(_ENTRY)


def _forget_everywhere() -> None:
    _local.invalidate_everywhere(_ENTRY)
    transaction.on_commit(lambda: _local.invalidate_everywhere(_ENTRY))


def check_announcement(*, stop_on: date, live: ServiceCessation | None = None) -> None:
    """The announcement's rules (the service's, also asked by the admin's form to show its errors):
    a stop date at least SERVICE_CESSATION_NOTICE_DAYS ahead, no other live announcement."""
    earliest = earliest_stop_date()
    if stop_on < earliest:
        raise ValidationError({"stop_on": [
            _("Announce a cessation at least %(days)d days ahead: choose %(date)s or later.") % {
                "days": settings.SERVICE_CESSATION_NOTICE_DAYS, "date": date_format(earliest, "DATE_FORMAT")}]})
    live = live or ServiceCessation.objects.filter(withdrawn_at__isnull=True).first()
    if live is not None:
        raise ValidationError({"stop_on": [
            _("A cessation on %(date)s is already announced; withdraw it first.") % {
                "date": date_format(live.stop_on, "DATE_FORMAT")}]})


# --- writes -----------------------------------------------------------------------------------

@transaction.atomic
def announce_cessation(*, actor, stop_on: date, message: str = "") -> ServiceCessation:
    """E10: announce that the service stops on `stop_on`; every console and app shows it at once.

    Refuses (NotPermitted) an actor without ANNOUNCE_CESSATION (platform staff with the lifecycle
    permission), and (ValidationError) a stop date fewer than SERVICE_CESSATION_NOTICE_DAYS (30)
    days ahead (`stop_on`) or a second live announcement while one is live (`stop_on`: withdraw
    the first).
    """
    require(actor, Capability.ANNOUNCE_CESSATION)
    # Serialises announcements: two at once cannot both find none live (the constraint backs it).
    check_announcement(stop_on=stop_on, live=ServiceCessation.objects.select_for_update().filter(
        withdrawn_at__isnull=True).first())
    cessation = ServiceCessation.objects.create(
        announced_by=None if is_system_actor(actor) else actor, stop_on=stop_on, message=message.strip())
    _forget_everywhere()
    return cessation


@transaction.atomic
def withdraw_cessation(*, actor) -> ServiceCessation:
    """Withdraw the live announcement; the notice disappears everywhere.

    Refuses (NotPermitted) an actor without ANNOUNCE_CESSATION, and (ValidationError, `stop_on`)
    when nothing is announced or the stop date has come: from then on collection has stopped and
    the enterprises' cancellation follows.
    """
    require(actor, Capability.ANNOUNCE_CESSATION)
    live = ServiceCessation.objects.select_for_update().filter(withdrawn_at__isnull=True).first()
    if live is None:
        raise ValidationError({"stop_on": [_("No cessation is announced.")]})
    if timezone.localdate() >= live.stop_on:
        raise ValidationError({"stop_on": [
            _("The cessation took effect on %(date)s; it can no longer be withdrawn.") % {
                "date": date_format(live.stop_on, "DATE_FORMAT")}]})
    live.withdrawn_at = timezone.now()
    live.withdrawn_by = None if is_system_actor(actor) else actor
    live.save(update_fields=["withdrawn_at", "withdrawn_by"])
    _forget_everywhere()
    return live
