"""The one place a sensitive value is released unmasked: permission check plus audit signal.

Console, API, export and admin show masked values by default (privacy.masking); anything that
shows the real value calls `reveal()`, which refuses without the permission and records the view
(the audit app listens to `sensitive_value_revealed`).
"""
from __future__ import annotations

from access.capabilities import Capability, may, require
from privacy.signals import sensitive_value_revealed


def may_unmask(user) -> bool:
    """X2: the catalogue's answer (the enterprise manager, and anyone granted `privacy.unmask_sensitive`)."""
    return may(user, Capability.UNMASK_SENSITIVE_VALUES)


def reveal(*, user, instance, field: str):
    """The unmasked value of `instance.<field>` for `user`; recorded in the audit log."""
    require(user, Capability.UNMASK_SENSITIVE_VALUES)
    value = getattr(instance, field)
    sensitive_value_revealed.send(sender=type(instance), actor=user, model=type(instance),
                                  object_id=instance.pk, field=field)
    return value


def note_bulk_reveal(*, user, model, object_ids, fields) -> None:
    """Record that `user` saw `fields` of many rows unmasked (e.g. an unmasked export)."""
    require(user, Capability.UNMASK_SENSITIVE_VALUES)
    object_ids = list(object_ids)
    # One entry per field for the whole set: an export of 100,000 rows is one audited act.
    for field in fields:
        sensitive_value_revealed.send(sender=model, actor=user, model=model, object_id=None, field=field,
                                      count=len(object_ids))
