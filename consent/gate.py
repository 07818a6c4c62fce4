"""The one consent enforcement point (C1–C7, C9, C11, C12).

Everything that processes personal information for an additional purpose asks `may_process` /
`require_consent`, directly or through the three adapters below, which all call them:

- `ConsentPermission` — DRF permission; the view names its purposes in `consent_purposes`;
- `consent_required(code)` — decorator for service functions taking a `person` keyword;
- the model guard — a pre_save receiver on every model holding a registry field that a purpose
  `covers` ("app.Model.field"): saving a non-empty value of such a field for a person who has not
  consented raises ConsentRequired, whatever the write path (API, console, import, Celery task).
  bulk_create, bulk_update and QuerySet.update() send no signals and cannot tell whose row they
  write: every gated model's manager is a `GatedQuerySet`, which refuses them for gated fields.

A purpose added at runtime (C7, consent.services.catalogue.add_purpose) may cover further fields
of a guarded model only: the guard and GatedQuerySet read the covered fields from the schema's
catalogue too.

The answer is derived from the append-only ledger and cached per schema and person
(consent.state_cache); a withdrawal deletes the cached state in its own transaction. Processing
without consent under a recorded legal basis (C12) passes through `processing_under`.
"""
from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager
from functools import wraps

from django.apps import apps
from django.db import models
from django.db.models.signals import pre_save
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from consent import catalogue as purpose_catalogue
from consent import state_cache
from consent.errors import ConsentRequired, GatedWriteRefused
from consent.models import LegalBasisRecord, Purpose
from privacy.registry import subject_id_of

# (person id, purpose code) pairs processed under a recorded legal basis in this context (C12).
_legal_basis_in_effect: contextvars.ContextVar[frozenset] = contextvars.ContextVar(
    "consent_legal_basis_in_effect", default=frozenset())


def _person_id(person) -> int | None:
    if person is None:
        return None
    return person if isinstance(person, int) else person.pk


def missing_consents(person, purpose_code: str) -> list[str]:
    """Codes of the purposes (this one and those it requires) the person has not consented to."""
    person_id = _person_id(person)
    if person_id is None:
        return [purpose_code]
    catalogue, state = state_cache.catalogue_and_state(person_id)
    missing, pending, seen = [], [purpose_code], set()
    while pending:
        code = pending.pop()
        if code in seen:
            continue
        seen.add(code)
        facts = catalogue.get(code)
        if facts is None:
            raise LookupError(f"unknown purpose {code!r}")
        if facts.is_basic:
            continue  # C1: basic functions need no separate consent
        if (person_id, code) in _legal_basis_in_effect.get():
            continue
        # C7 / C9: consent counts only for the revision it was given for; inactive purposes are off.
        if not facts.is_active or state["granted"].get(code) != facts.revision:
            missing.append(code)
        pending.extend(facts.requires)
    return missing


def may_process(person, purpose_code: str) -> bool:
    """Whether `person`'s information may be processed for `purpose_code` right now."""
    return not missing_consents(person, purpose_code)


def require_consent(person, purpose_code: str) -> None:
    """Raise ConsentRequired (403, code `consent_required`) unless `may_process`."""
    missing = missing_consents(person, purpose_code)
    if missing:
        raise ConsentRequired(
            _("This needs your consent first. You can give it in My Settings – Privacy."),
            extra={"purpose": purpose_code, "missing": sorted(missing)})


def require_permission_for(person, field_label: str) -> None:
    """C3: `person` sends the value of `field_label` ("app.Model.field") from their phone: refused
    (ConsentRequired, naming the device permission) unless they granted the permission the
    catalogue says it needs (consent.catalogue.APP_UPLOAD_PERMISSIONS)."""
    permission = purpose_catalogue.APP_UPLOAD_PERMISSIONS.get(field_label)
    if permission is not None:
        require_consent(person, permission)


@contextmanager
def processing_under(record: LegalBasisRecord):
    """C12: inside the block the gate lets `record`'s person and purpose through without consent.

    Takes the recorded legal basis itself, so nothing is let through that was not recorded first
    (consent.services.legal_bases.under_legal_basis records it and opens this block).
    """
    token = _legal_basis_in_effect.set(_legal_basis_in_effect.get() | {(record.person_id, record.purpose.code)})
    try:
        yield
    finally:
        _legal_basis_in_effect.reset(token)


class ConsentPermission(BasePermission):
    """DRF adapter: the signed-in person must have consented to each of `view.consent_purposes`."""

    def has_permission(self, request, view):
        for code in getattr(view, "consent_purposes", ()):
            require_consent(request.user, code)
        return True


def consent_required(purpose_code: str):
    """Service adapter: the decorated function's `person` keyword must have consented."""

    def decorate(function):
        @wraps(function)
        def guarded(*args, **kwargs):
            require_consent(kwargs.get("person"), purpose_code)
            return function(*args, **kwargs)

        guarded.consent_purpose = purpose_code
        return guarded

    return decorate


# --- the model guard ---------------------------------------------------------------------------

@functools.cache
def gated_fields() -> dict[str, list[str]]:
    """{"app.Model": [field, ...]} of every registry field an additional purpose covers."""
    fields: dict[str, list[str]] = {}
    for purpose in purpose_catalogue.ALL_PURPOSES:
        if purpose.kind == "basic":
            continue
        for label in purpose.covers:
            model_label, _dot, name = label.rpartition(".")
            fields.setdefault(model_label, [])
            if name not in fields[model_label]:
                fields[model_label].append(name)
    return fields


def _is_new_value(sender, instance, name: str, update_fields) -> bool:
    """Whether this save writes a value of `name` the row did not hold: records made before a
    withdrawal stay as they are and may still be corrected in their other fields (C6)."""
    if instance._state.adding:
        return True
    if update_fields is not None:
        return name in update_fields
    stored = sender._base_manager.filter(pk=instance.pk).first()
    return stored is None or getattr(stored, name) != getattr(instance, name)


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple)) and not value)


def _covered_names(model_label: str, catalogue) -> set[str]:
    """Fields of `model_label` an additional purpose covers: the code catalogue's and, given this
    schema's catalogue, those a purpose added at runtime (C7) covers."""
    names = set(gated_fields().get(model_label, ()))
    prefix = f"{model_label}."
    for facts in (catalogue or {}).values():
        if not facts.is_basic:
            names.update(label.removeprefix(prefix) for label in facts.covers if label.startswith(prefix))
    return names


def _guard_gated_write(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    person_id = subject_id_of(instance)  # None (no single person, or none linked yet): refused below
    # Without a person there is no catalogue to read (it comes with the person's state); the code
    # catalogue's fields are refused below all the same.
    catalogue = state_cache.catalogue_and_state(person_id)[0] if person_id is not None else None
    for name in sorted(_covered_names(sender._meta.label, catalogue)):
        if _is_empty(getattr(instance, name, None)):
            continue
        if not _is_new_value(sender, instance, name, update_fields):
            continue
        label = f"{sender._meta.label}.{name}"
        if person_id is None:
            raise ConsentRequired(_("This needs your consent first."), extra={"field": label})
        for code, facts in catalogue.items():
            if label in facts.covers and not facts.is_basic:
                require_consent(person_id, code)


def fields_needing_consent(model, names) -> list[str]:
    """Which of `names` (fields of `model`) an additional purpose of this schema covers: writers
    that bypass save() (update(), COPY) ask this and refuse to write any of them."""
    model_label = model._meta.label
    static = set(gated_fields().get(model_label, ()))
    covered = {name for name in names if name in static}
    candidates = {f"{model_label}.{name}": name for name in names if name not in covered}
    if candidates:
        for covers in Purpose.objects.exclude(kind=Purpose.Kind.BASIC).filter(
                covers__overlap=list(candidates)).values_list("covers", flat=True):
            covered.update(candidates[label] for label in covers if label in candidates)
    return sorted(covered)


class GatedQuerySet(models.QuerySet):
    """The manager of every model holding a gated field (see `is_guarded`).

    bulk_create, bulk_update and update() write rows without save(), so the pre_save guard never
    sees them, and they cannot cheaply tell whose row each is: they are refused for gated fields,
    whoever calls them. Gated rows are saved one by one, through the app's service (which asks the
    gate) or at least through Model.save() (which the guard checks).
    """

    def _refuse(self, operation: str, fields) -> None:
        raise GatedWriteRefused(
            _("These fields need each person's consent: save the records one by one through their service."),
            extra={"model": self.model._meta.label, "operation": operation, "fields": sorted(fields)})

    def bulk_create(self, objs, *args, **kwargs):
        # No bulk path is needed for these rows; refusing all of them keeps the rule simple.
        self._refuse("bulk_create", _covered_names(self.model._meta.label, None))

    def bulk_update(self, objs, fields, *args, **kwargs):
        self._refuse("bulk_update", fields)

    def update(self, **kwargs):
        # Clearing a gated field (erasure, anonymisation) processes nothing new and stays possible.
        gated = fields_needing_consent(self.model, [name for name, value in kwargs.items() if not _is_empty(value)])
        if gated:
            self._refuse("update", gated)
        return super().update(**kwargs)


def connect_model_guard() -> list[str]:
    """Connect the guard to every gated model that is installed; returns their labels."""
    connected = []
    for model_label in gated_fields():
        try:
            model = apps.get_model(model_label)
        except LookupError:
            continue
        pre_save.connect(_guard_gated_write, sender=model, weak=False, dispatch_uid=f"consent-gate-{model_label}")
        connected.append(model_label)
    return connected


def is_guarded(model) -> bool:
    """Whether every write of `model` passes the gate: save() through the pre_save guard, the
    bulk paths and update() through its GatedQuerySet manager."""
    has_guard = any(receiver_key[0] == f"consent-gate-{model._meta.label}"
                    for receiver_key, *_rest in pre_save.receivers)
    queryset_class = getattr(model._default_manager, "_queryset_class", None)
    return has_guard and queryset_class is not None and issubclass(queryset_class, GatedQuerySet)
