"""The one way push notifications leave the platform: `send_push(...)`.

The backend is settings.PUSH_BACKEND (a dotted class path), the adapter slot for the vendor's
channel (APNs, a phone maker's push service, a push aggregator):

- `announcements.push.LocalOutboxBackend` (the default): nothing is sent; each push is kept in the
  enterprise's PushOutboxMessage table for developers and tests to read.
- A vendor adapter is a class with `send(*, person, title, body, link, priority)` named in
  PUSH_BACKEND; it finds the person's device registration itself and raises PushNotSent when the
  vendor does not take the message.

`priority` is "high" (a heads-up notification) or "normal". Nothing here logs a title or a text.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PRIORITIES = ("high", "normal")


class PushNotSent(Exception):
    """The vendor refused or could not be reached (no personal data in the message)."""


def send_push(*, person, title: str, body: str, link: str = "", priority: str = "normal") -> None:
    """Push `title`/`body` to `person`'s devices. Refuses (ValueError) an unknown priority."""
    if priority not in PRIORITIES:
        raise ValueError(f"unknown push priority {priority!r}")
    backend = get_backend()
    backend.send(person=person, title=title[:200], body=body, link=link[:300], priority=priority)
    logger.info("push sent: priority=%s backend=%s", priority, type(backend).__name__)


def get_backend():
    return import_string(getattr(settings, "PUSH_BACKEND", "announcements.push.LocalOutboxBackend"))()


class LocalOutboxBackend:
    """Development and tests: keep the push in the enterprise's outbox table."""

    def send(self, *, person, title: str, body: str, link: str, priority: str) -> None:
        from announcements.models import PushOutboxMessage

        PushOutboxMessage.objects.create(person=person, title=title, body=body, link=link, priority=priority)
