"""Legal bases (C12): processing a person's information without consent, recorded with its basis
and reference before anything is processed.
"""
from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import account_of
from consent import gate
from consent.models import LegalBasis, LegalBasisRecord, Purpose
from core.bulk_rows import RowTemplate, allocate_ids


def _legal_basis_purpose(*, purpose_code: str, basis: str, reference: str) -> Purpose:
    """The purpose a legal-basis record is for, after refusing a basis outside the listed ones,
    an empty reference and an unknown purpose."""
    errors = {}
    if basis not in LegalBasis.values:
        errors["basis"] = [_("Processing without consent needs one of the listed legal bases.")]
    if not (reference or "").strip():
        errors["reference"] = [_("Give the reference of the obligation or request.")]
    purpose = Purpose.objects.filter(code=purpose_code).first()
    if purpose is None:
        errors["purpose_code"] = [_("No such purpose.")]
    if errors:
        raise ValidationError(errors)
    return purpose


@transaction.atomic
def record_legal_basis(*, actor, person, purpose_code: str, basis: str, reference: str) -> LegalBasisRecord:
    """C12: record that `person`'s information is processed for `purpose_code` without consent, and
    why, naming `actor` as its recorder (nobody for system work). The caller decides who may.

    Refuses a missing actor, a basis outside the listed ones, an empty reference and an unknown
    purpose.
    """
    recorded_by = account_of(actor)
    purpose = _legal_basis_purpose(purpose_code=purpose_code, basis=basis, reference=reference)
    return LegalBasisRecord.objects.create(person=person, purpose=purpose, purpose_revision=purpose.revision,
                                           basis=basis, reference=reference.strip()[:200], recorded_by=recorded_by,
                                           occurred_at=timezone.now())


def record_legal_basis_in_bulk(*, actor, person_ids, purpose_code: str, basis: str, reference: str) -> int:
    """C12 for bulk writes (an import of 100,000 people): the record `record_legal_basis` makes,
    once for each of `person_ids`, written with COPY in the caller's transaction. Returns how many.

    Refuses what `record_legal_basis` refuses (a missing actor, a basis outside the listed ones,
    an empty reference, an unknown purpose).
    """
    recorded_by = account_of(actor)
    purpose = _legal_basis_purpose(purpose_code=purpose_code, basis=basis, reference=reference)
    person_ids = list(person_ids)
    if not person_ids:
        return 0
    template = RowTemplate(LegalBasisRecord, fixed={
        "purpose_id": purpose.pk, "purpose_revision": purpose.revision, "basis": str(basis),
        "reference": reference.strip()[:200], "recorded_by_id": getattr(recorded_by, "pk", None),
        "occurred_at": timezone.now()})
    at_id, at_person = template.position("id"), template.position("person_id")
    ids = allocate_ids(LegalBasisRecord, len(person_ids))  # before COPY: it holds the connection
    with template.copy() as copy:
        for record_id, person_id in zip(ids, person_ids):
            row = template.row()
            row[at_id], row[at_person] = record_id, person_id
            copy.write_row(row)
    return len(person_ids)


@contextmanager
def under_legal_basis(person, purpose_code: str, *, actor, basis: str, reference: str):
    """C12: process `person`'s information for `purpose_code` without consent, under `basis`.

    Records the basis (record_legal_basis) before anything is processed; inside the block the gate
    lets this person and purpose through. Refuses what record_legal_basis refuses.
    """
    record = record_legal_basis(actor=actor, person=person, purpose_code=purpose_code, basis=basis,
                                reference=reference)
    with gate.processing_under(record):
        yield
