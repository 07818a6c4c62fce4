"""Push backends standing in for a vendor (an outside thing): one that refuses some people."""
from __future__ import annotations

from announcements.push import LocalOutboxBackend, PushNotSent


class RefusingBackend(LocalOutboxBackend):
    """Like the vendor refusing some devices: PushNotSent for the people in `refused` (account ids),
    the local outbox for everyone else."""

    refused: set[int] = set()

    def send(self, *, person, title: str, body: str, link: str, priority: str) -> None:
        if person.pk in self.refused:
            raise PushNotSent("the vendor refused the device")
        super().send(person=person, title=title, body=body, link=link, priority=priority)
