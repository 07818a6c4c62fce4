"""Disclosure: the one policy deciding whether a declared personal field is shown masked or clear,
to whom, and with which mask. Every surface that shows a person's field asks it (mobile API,
console pages, the address-book export, the Django admin); none calls privacy.masking itself.

The mask of each field is part of its declaration in the data map (`PI(..., mask=Mask.EMAIL)` in
privacy.registry), so what masking, export and erasure know about a field is written once.

The rule (X2), the same for a field and a viewer on every surface:
- `Mask.NONE`: shown as stored to anyone the scope rules let see the record (name, department…);
- `Mask.HIDDEN`: never shown (keyed digests kept for look-ups);
- any other mask: shown masked to every viewer, the enterprise manager and the person included.
Clear values leave only through two named routes, which a surface asks for explicitly:
- `Route.OWN_RECORD` (R1): the person reads their own record ("my profile"); basic fields are
  clear, sensitive ones (C2: the ID number, whereabouts) stay masked;
- `Route.REVEAL` (X2): a viewer who may unmask (privacy.unmask.may_unmask) asks to see the values;
  each one is released through privacy.unmask.reveal, which refuses without the permission and
  records the view. An unmasked export is the bulk form of this route: the export service checks
  the same permission and records one audit entry per exported person (orgdata.services.exports).
"""
from __future__ import annotations

import enum

from privacy import masking
from privacy.registry import PI, Mask, declaration_for, personal_fields, subject_id_of
from privacy.unmask import may_unmask, reveal

_MASKERS = {
    Mask.MOBILE: masking.mask_mobile,
    Mask.LANDLINE: masking.mask_landline,
    Mask.EMAIL: masking.mask_email,
    Mask.ID_NUMBER: masking.mask_id_number,
    Mask.BANK_CARD: masking.mask_bank_card,
    Mask.NAME: masking.mask_name,
    Mask.LOCATION: masking.mask_location,
}


class Route(enum.Enum):
    """How a surface reaches a value: see the module's docstring for what each route releases."""

    SURFACE = "surface"
    OWN_RECORD = "own_record"
    REVEAL = "reveal"


def masked_fields(model) -> list[str]:
    """The declared fields of `model` no surface shows as stored: what a reveal releases."""
    return [name for name, rule in personal_fields(model).items() if rule.mask not in (Mask.NONE, Mask.HIDDEN)]


def is_shown_clear(*, viewer, instance, field: str, route: Route = Route.SURFACE) -> bool:
    """Whether `viewer` sees `instance.<field>` as stored when reaching it through `route`."""
    return _is_clear(viewer=viewer, rule=_rule(type(instance), field), route=route, instance=instance)


def shown_value(*, viewer, instance, field: str, route: Route = Route.SURFACE):
    """`instance.<field>` as `viewer` sees it through `route`: as stored, masked, or "" when hidden.

    Through `Route.REVEAL` a masked value is released by privacy.unmask.reveal (audited), which
    refuses (NotPermitted) a viewer who may not unmask.
    """
    rule = _rule(type(instance), field)
    if rule.mask == Mask.HIDDEN:
        return ""
    if route is Route.REVEAL and rule.mask != Mask.NONE:
        return reveal(actor=viewer, instance=instance, field=field)
    value = getattr(instance, field)
    if _is_clear(viewer=viewer, rule=rule, route=route, instance=instance):
        return value
    return _MASKERS[rule.mask](value)


def shown_plain_value(*, viewer, model, field: str, value):
    """A value a selector read without its row (e.g. an address-book page of plain dicts), as any
    surface shows it to `viewer`: the answer `shown_value` gives through `Route.SURFACE`."""
    rule = _rule(model, field)
    if rule.mask == Mask.HIDDEN:
        return ""
    if _is_clear(viewer=viewer, rule=rule, route=Route.SURFACE):
        return value
    return _MASKERS[rule.mask](value)


def plain_value_shower(*, viewer, model, field: str):
    """`shown_plain_value` for one column, its rule read once: a function of the stored value, for
    the bulk export (issue 14: 100,000 rows, twenty columns)."""
    rule = _rule(model, field)
    if rule.mask == Mask.HIDDEN:
        return lambda value: ""
    if _is_clear(viewer=viewer, rule=rule, route=Route.SURFACE):
        return lambda value: value
    return _MASKERS[rule.mask]


def _rule(model, field: str) -> PI:
    # Read in place, not copied: an export asks once per cell.
    declaration = declaration_for(model)
    rule = declaration.fields.get(field) if declaration else None
    if rule is None:
        raise LookupError(f"{model._meta.label}.{field} is not a declared personal-information field")
    return rule


def _is_clear(*, viewer, rule: PI, route: Route, instance=None) -> bool:
    if rule.mask == Mask.NONE:
        return True
    if rule.mask == Mask.HIDDEN:
        return False
    if route is Route.OWN_RECORD:
        # R1: the person's own record; C2: sensitive values stay masked even for them.
        is_own = (instance is not None and viewer is not None and viewer.pk is not None
                  and subject_id_of(instance) == viewer.pk)
        return is_own and not rule.is_sensitive
    if route is Route.REVEAL:
        return may_unmask(viewer)
    return False  # X2: masked for every viewer on every surface, the manager and the person included
