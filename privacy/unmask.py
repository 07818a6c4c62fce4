"""The one place a sensitive value is released unmasked: permission check plus audit signal.

Console, API, export and admin show masked values by default (privacy.masking); anything that
shows the real value calls `reveal()`, which refuses without the permission and records the view
(the audit app listens to `sensitive_value_revealed`).
"""
from __future__ import annotations

from access.capabilities import Capability, may, require
from privacy.signals import sensitive_value_revealed


def may_unmask(actor) -> bool:
    """X2: the catalogue's answer (the enterprise manager, and anyone granted `privacy.unmask_sensitive`)."""
    return may(actor, Capability.UNMASK_SENSITIVE_VALUES)


def reveal(*, actor, instance, field: str):
    """The unmasked value of `instance.<field>` for `actor`; recorded in the audit log."""
    require(actor, Capability.UNMASK_SENSITIVE_VALUES)
    value = getattr(instance, field)
    sensitive_value_revealed.send(sender=type(instance), actor=actor, model=type(instance),
                                  object_id=instance.pk, field=field)
    return value


def note_bulk_reveal(*, actor, model, object_ids, fields) -> None:
    """Record that `actor` saw `fields` of many rows unmasked (e.g. an unmasked export)."""
    require(actor, Capability.UNMASK_SENSITIVE_VALUES)
    object_ids = list(object_ids)
    # One entry per field for the whole set: an export of 100,000 rows is one audited act.
    for field in fields:
        sensitive_value_revealed.send(sender=model, actor=actor, model=model, object_id=None, field=field,
                                      count=len(object_ids))
