"""Every write of the consent app: the catalogue, answers, policy acceptance, legal bases, sharing.

Each function appending to a person's ledger deletes the person's cached state inside its
transaction and again after commit (consent.selectors), so the next request sees the change.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import lock_person
from consent import catalogue as catalogue_module
from consent import selectors
from consent.errors import ConsentRequired
from consent.models import (
    ApplicationAudience,
    ConsentEvent,
    Disclosure,
    LegalBasis,
    LegalBasisRecord,
    Purpose,
    PurposeRevision,
    Recipient,
)

# --- catalogue ---------------------------------------------------------------------------------


def _definition_hash(definition) -> str:
    # What people consent to: raising it means earlier consent no longer covers the purpose (C7).
    content = {key: value for key, value in asdict(definition).items() if key not in ("revision",)}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _record_revision(purpose) -> None:
    """C6/C9/C11: keep what `purpose` says at its current revision, so that a receipt quotes the
    wording the person was asked about, not a later one. Call it whenever a purpose is created or
    gets a new revision. A revision already kept is left as it is (append-only).

    Works with a migration's historical Purpose too; before migration 0002 there is no table to
    keep it in (migration 0002 then keeps every purpose's revision of that moment).
    """
    try:
        revision_model = type(purpose)._meta.apps.get_model("consent", "PurposeRevision")
    except LookupError:
        return
    # Two syncs at once: the first keeps it.
    revision_model.objects.bulk_create([revision_model(**PurposeRevision.fields_of(purpose))], ignore_conflicts=True)


def apply_catalogue(purpose_model=Purpose, recipient_model=Recipient) -> dict[str, int]:
    """Bring the schema's purposes and recipients in step with consent.catalogue (idempotent).

    A new purpose is created with nobody consenting (C7: the ledger has no grant for it). A purpose
    whose definition changed gets the next revision: grants for the old revision no longer count
    (C7, C9 affiliates). Purposes no longer in the catalogue are deactivated, never deleted (the
    ledger refers to them). Usable from migrations with historical models. What each new purpose
    or revision says is kept (PurposeRevision) for the receipts of the answers given to it.

    `definition_hash` is the digest of the catalogue definition a row was last brought in step
    with. A row whose definition has not changed in the catalogue since is left as it is, so a
    revision made at runtime (revise_recipient, C9) survives every later sync; a later change of
    the definition in the catalogue replaces it (with the next revision).
    """
    added = revised = 0
    stored = {purpose.code: purpose for purpose in purpose_model.objects.all()}
    digests = {definition.code: _definition_hash(definition) for definition in catalogue_module.ALL_PURPOSES}

    def is_in_step(definition) -> bool:
        purpose = stored.get(definition.code)
        return purpose is not None and purpose.is_active and purpose.definition_hash == digests[definition.code] \
            and purpose.revision >= definition.revision

    # A recipient's texts are the catalogue's only while its purposes are (they quote them).
    recipients_in_step = {definition.recipient for definition in catalogue_module.ALL_PURPOSES
                          if definition.recipient and is_in_step(definition)} - {
        definition.recipient for definition in catalogue_module.ALL_PURPOSES
        if definition.recipient and not is_in_step(definition)}
    recipients = {}
    for definition in catalogue_module.ALL_RECIPIENTS:
        recipient = recipient_model.objects.filter(code=definition.code).first()
        if recipient is None or definition.code not in recipients_in_step:
            recipient, _created = recipient_model.objects.update_or_create(code=definition.code, defaults={
                "kind": definition.kind, "name_en": definition.name_en, "name_zh_hans": definition.name_zh,
                "purpose_en": definition.purpose_en, "purpose_zh_hans": definition.purpose_zh,
                "pi_types": list(definition.pi_types)})
        recipients[definition.code] = recipient
    codes = set()
    for definition in catalogue_module.ALL_PURPOSES:
        codes.add(definition.code)
        if is_in_step(definition):
            continue
        digest = digests[definition.code]
        fields = {
            "kind": definition.kind, "name_en": definition.name_en, "name_zh_hans": definition.name_zh,
            "statement_en": definition.statement_en, "statement_zh_hans": definition.statement_zh,
            "source": definition.source, "is_sensitive": definition.is_sensitive,
            "sensitive_category": definition.sensitive_category, "covers": list(definition.covers),
            "requires": list(definition.requires), "recipient": recipients.get(definition.recipient),
            "legal_basis": definition.legal_basis, "is_active": True, "definition_hash": digest,
        }
        purpose = purpose_model.objects.filter(code=definition.code).first()
        if purpose is None:
            _record_revision(purpose_model.objects.create(code=definition.code, revision=definition.revision,
                                                          **fields))
            added += 1
            continue
        if purpose.definition_hash != digest or purpose.revision < definition.revision:
            fields["revision"] = max(purpose.revision + 1, definition.revision)
            revised += 1
        for name, value in fields.items():
            setattr(purpose, name, value)
        purpose.save()
        # Also when only reactivated: the revision's wording is then kept if it was not yet.
        _record_revision(purpose)
    # Purposes added by a new function (add_purpose, C7) are not the catalogue's to retire.
    retired = purpose_model.objects.filter(is_active=True, is_from_catalogue=True).exclude(
        code__in=codes).update(is_active=False)
    return {"added": added, "revised": revised, "retired": retired}


@transaction.atomic
def sync_purpose_catalogue() -> dict[str, int]:
    """Run apply_catalogue in this enterprise's schema and forget the cached catalogue."""
    result = apply_catalogue()
    selectors.forget_catalogue()
    return result


@transaction.atomic
def add_purpose(*, code: str, kind: str, name_en: str, name_zh_hans: str, statement_en: str,
                statement_zh_hans: str, covers: list[str] = (), is_sensitive: bool = False,
                sensitive_category: str = "", requires: list[str] = ()) -> Purpose:
    """C7: a new function that collects new information adds its purpose; nobody has consented yet.

    Refuses a basic purpose (new collection is never basic), an existing code, covered fields that
    are not declared in the personal-information registry or whose model the consent gate does not
    guard (the purpose could never be enforced there), and required purposes that do not exist.
    """
    from consent import gate
    from privacy.registry import covered_field

    errors = {}
    if kind == Purpose.Kind.BASIC:
        errors["kind"] = [_("A new function's purpose is additional: people choose it themselves.")]
    if Purpose.objects.filter(code=code).exists():
        errors["code"] = [_("A purpose with this code exists.")]
    for label in covers:
        try:
            model, _name, _rule = covered_field(label)
        except (LookupError, ValueError):
            errors.setdefault("covers", []).append(_("%(field)s is not a declared personal field.") % {"field": label})
            continue
        if not gate.is_guarded(model):
            errors.setdefault("covers", []).append(
                _("%(field)s cannot be covered: the consent gate does not guard writes of its records.")
                % {"field": label})
    known = set(Purpose.objects.filter(code__in=list(requires)).values_list("code", flat=True))
    for required in requires:
        if required not in known:
            # An unknown code would make the gate fail for everyone who asks about this purpose.
            errors.setdefault("requires", []).append(_("There is no purpose %(code)s.") % {"code": required})
    if errors:
        raise ValidationError(errors)
    purpose = Purpose(code=code, kind=kind, name_en=name_en, name_zh_hans=name_zh_hans, statement_en=statement_en,
                      statement_zh_hans=statement_zh_hans, covers=list(covers), is_sensitive=is_sensitive,
                      sensitive_category=sensitive_category, requires=list(requires), source="C7")
    purpose.is_from_catalogue = False
    purpose.full_clean()
    purpose.save()
    _record_revision(purpose)
    selectors.forget_catalogue()
    return purpose


@transaction.atomic
def revise_recipient(*, recipient: Recipient, purpose_en: str, purpose_zh_hans: str,
                     pi_types: list[str] | None = None) -> Recipient:
    """C9: a recipient (e.g. an affiliate) changes its purpose or what it receives.

    Every sharing purpose naming it gets the next revision, so earlier consent no longer covers
    it: nothing is shared again until each person consents anew. The revision is durable: each
    purpose is marked as in step with its catalogue definition, so sync_purpose_catalogue keeps it
    until that definition itself changes. Refuses unknown information types.
    """
    definitions = {definition.code: definition for definition in catalogue_module.ALL_PURPOSES}
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    recipient.purpose_en, recipient.purpose_zh_hans = purpose_en, purpose_zh_hans
    if pi_types is not None:
        unknown = [t for t in pi_types if t not in catalogue_module.PI_TYPES]
        if unknown:
            raise ValidationError({"pi_types": [_("Unknown information type: %(type)s") % {"type": t} for t in unknown]})
        recipient.pi_types = list(pi_types)
    recipient.save()
    for purpose in Purpose.objects.select_for_update().filter(recipient=recipient):
        purpose.revision += 1
        purpose.statement_en = f"Share your information with {recipient.name_en} for: {purpose_en}."
        purpose.statement_zh_hans = f"为{purpose_zh_hans}，向{recipient.name_zh_hans}共享您的信息。"
        if purpose.code in definitions:
            # What apply_catalogue compares: this row now stands for the catalogue definition as it is.
            purpose.definition_hash = _definition_hash(definitions[purpose.code])
        purpose.save()
        purpose.recipient = recipient  # the revised one: what this revision shares and why
        _record_revision(purpose)
    selectors.forget_catalogue()
    return recipient


# --- the ledger ----------------------------------------------------------------------------------

def _forget_state(person_id: int) -> None:
    # Forgets now and queues the forget after commit itself (a reader that read the ledger before
    # the commit may have cached the old state meanwhile).
    selectors.forget_person(person_id)


def _append_event(*, person, action: str, channel: str, device_id: str = "", ip_address: str | None = None,
                  purpose: Purpose | None = None, policy_version=None, recorded_by=None,
                  request_reference: str = "") -> ConsentEvent:
    from policies import selectors as policy_selectors

    if channel not in ConsentEvent.Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    if channel == ConsentEvent.Channel.ADMIN_ON_REQUEST and recorded_by is None:
        raise ValidationError({"recorded_by": [_("Say which administrator recorded the answer.")]})
    request_reference = (request_reference or "").strip()
    if channel == ConsentEvent.Channel.ADMIN_ON_REQUEST and not request_reference:
        raise ValidationError({"request_reference": [_("Give the reference of the person's request.")]})
    # The person's events form a chain; lock the person's row so two answers cannot fork it. Lock
    # order: the person's row before the audit-chain head, so before anything audited is written
    # in this transaction (lock_person refuses otherwise); the event below is audited.
    lock_person(person.pk, exclusive=True)
    previous = ConsentEvent.objects.filter(person=person).order_by("-id").values_list("digest", flat=True).first() or ""
    in_force = policy_version or policy_selectors.version_in_force()
    now = timezone.now()
    content = {
        "schema": connection.schema_name, "person": person.pk, "action": action,
        "purpose": purpose.code if purpose else None, "revision": purpose.revision if purpose else None,
        "policy": in_force.id if in_force else None, "channel": channel, "device": device_id or "",
        "ip": ip_address or "", "at": now.isoformat(), "previous": previous,
    }
    if request_reference:  # only then, so digests of events without one are computed as before
        content["reference"] = request_reference
    event = ConsentEvent.objects.create(
        person=person, purpose=purpose, purpose_revision=purpose.revision if purpose else None, action=action,
        policy_version_id=in_force.id if in_force else None,
        policy_version_label=in_force.version if in_force else "", channel=channel,
        device_id=(device_id or "")[:128], ip_address=ip_address or None, recorded_by=recorded_by,
        request_reference=request_reference[:200], occurred_at=now, previous_digest=previous,
        digest=hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
    )
    _forget_state(person.pk)
    return event


def _additional_purpose(code: str) -> Purpose:
    purpose = Purpose.objects.select_related("recipient").filter(code=code, is_active=True).first()
    if purpose is None:
        raise ValidationError({"purpose": [_("No such purpose.")]})
    if purpose.is_basic:
        raise ValidationError({"purpose": [_("Basic services need no separate consent.")]})
    return purpose


@transaction.atomic
def grant_consent(*, person, purpose_code: str, channel: str, device_id: str = "", ip_address: str | None = None,
                  explicit_confirmation: bool = False, recorded_by=None, request_reference: str = "") -> ConsentEvent:
    """The person consents to one additional purpose (C3: each asked for separately).

    Sensitive, sharing and public-disclosure purposes need `explicit_confirmation` (C2, C9, C11):
    the person confirmed this purpose on its own. Refuses basic and unknown purposes, and a purpose
    whose required permission (e.g. location for tracking) is not given yet. For a third-party
    application already switched on for the person, the disclosure happens now and is recorded.
    """
    from consent import gate

    purpose = _additional_purpose(purpose_code)
    if purpose.needs_explicit_confirmation and not explicit_confirmation:
        raise ValidationError({"explicit_confirmation": [
            _("Sensitive information and sharing need your separate, explicit confirmation.")]})
    for required in purpose.requires:
        if not gate.may_process(person, required):
            raise ConsentRequired(_("Give the permission this needs first."),
                                  extra={"purpose": purpose_code, "missing": [required]})
    event = _append_event(person=person, action=ConsentEvent.Action.GRANTED, purpose=purpose, channel=channel,
                          device_id=device_id, ip_address=ip_address, recorded_by=recorded_by,
                          request_reference=request_reference)
    if purpose.kind == Purpose.Kind.SHARING and purpose.recipient_id:
        application_code = purpose.recipient.code.removeprefix("app.")
        if purpose.recipient.kind == Recipient.Kind.THIRD_PARTY_APPLICATION and ApplicationAudience.objects.filter(
                application_code=application_code, person=person, is_enabled=True).exists():
            _disclose(person=person, purpose=purpose, event=event, occasion=Disclosure.Occasion.CONSENT_GIVEN)
    return event


@transaction.atomic
def withdraw_consent(*, person, purpose_code: str, channel: str, device_id: str = "", ip_address: str | None = None,
                     recorded_by=None, request_reference: str = "") -> ConsentEvent:
    """C6: the person withdraws consent; dependent processing stops at the very next request.

    Past events and data processed before the withdrawal are kept (the ledger is append-only).
    Withdrawing a permission also stops the purposes that require it (the gate checks both).
    """
    purpose = _additional_purpose(purpose_code)
    return _append_event(person=person, action=ConsentEvent.Action.WITHDRAWN, purpose=purpose, channel=channel,
                         device_id=device_id, ip_address=ip_address, recorded_by=recorded_by,
                         request_reference=request_reference)


@transaction.atomic
def accept_policy(*, person, version_label: str, channel: str, device_id: str = "",
                  ip_address: str | None = None) -> ConsentEvent:
    """C8: the person accepts a published policy version (the current or an upcoming one)."""
    from policies import selectors as policy_selectors

    version = policy_selectors.published_version(version_label)
    if version is None:
        raise ValidationError({"version": [_("No published policy version with this label.")]})
    return _append_event(person=person, action=ConsentEvent.Action.POLICY_ACCEPTED, policy_version=version,
                         channel=channel, device_id=device_id, ip_address=ip_address)


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
def record_legal_basis(*, person, purpose_code: str, basis: str, reference: str, recorded_by=None) -> LegalBasisRecord:
    """C12: record that `person`'s information is processed for `purpose_code` without consent, and why.

    Refuses a basis outside the listed ones, an empty reference and an unknown purpose.
    """
    purpose = _legal_basis_purpose(purpose_code=purpose_code, basis=basis, reference=reference)
    return LegalBasisRecord.objects.create(person=person, purpose=purpose, purpose_revision=purpose.revision,
                                           basis=basis, reference=reference.strip()[:200], recorded_by=recorded_by,
                                           occurred_at=timezone.now())


def record_legal_basis_in_bulk(*, person_ids, purpose_code: str, basis: str, reference: str,
                               recorded_by=None) -> int:
    """C12 for bulk writes (an import of 100,000 people): the record `record_legal_basis` makes,
    once for each of `person_ids`, written with COPY in the caller's transaction. Returns how many.

    Refuses what `record_legal_basis` refuses (a basis outside the listed ones, an empty
    reference, an unknown purpose).
    """
    from core.bulk_rows import RowTemplate, allocate_ids

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


# --- sharing (C9–C11) ----------------------------------------------------------------------------

def _disclose(*, person, purpose: Purpose, event: ConsentEvent | None, occasion: str, disclosed_by=None,
              legal_basis_record: LegalBasisRecord | None = None) -> Disclosure:
    """Hand the recipient exactly the purpose's PI types and record it (field names, never values)."""
    pi_types = list(purpose.recipient.pi_types) if purpose.recipient_id else []
    return Disclosure.objects.create(
        person=person, recipient=purpose.recipient, purpose=purpose, purpose_revision=purpose.revision,
        pi_types=pi_types, occasion=occasion, consent_event=event, legal_basis_record=legal_basis_record,
        disclosed_by=disclosed_by, disclosed_at=timezone.now())


def _latest_grant(person_id: int, purpose: Purpose) -> ConsentEvent | None:
    latest = ConsentEvent.objects.filter(person_id=person_id, purpose=purpose).order_by("-id").first()
    if latest and latest.action == ConsentEvent.Action.GRANTED and latest.purpose_revision == purpose.revision:
        return latest
    return None


@transaction.atomic
def share_for_application_switch(*, application_code: str, enabled: bool, account_ids: list[int]) -> list[Disclosure]:
    """C9 (Q 4(1)4): a third-party application was switched on/off for `account_ids` (E6).

    On: for each person who consented to sharing with this application, its login account,
    avatar, name and mobile are shared and the disclosure recorded; nobody else's data leaves.
    Off: nothing more is shared. The audience is remembered so that a later consent shares then.
    Who counts as consenting is the gate's answer (consent.gate.may_process), as everywhere else.
    """
    from accounts.models import User
    from consent import gate

    purpose = Purpose.objects.select_related("recipient").filter(
        code=catalogue_module.third_party_application_purpose_code(application_code)).first()
    if purpose is None:
        sync_purpose_catalogue()
        purpose = Purpose.objects.select_related("recipient").filter(
            code=catalogue_module.third_party_application_purpose_code(application_code)).first()
    for person_id in account_ids:
        ApplicationAudience.objects.update_or_create(application_code=application_code, person_id=person_id,
                                                     defaults={"is_enabled": enabled})
    if not enabled or purpose is None:
        return []
    disclosures = []
    for person in User.objects.filter(pk__in=account_ids):
        # The gate decides (withdrawal, revision, an inactive purpose, what it requires); the grant
        # is only looked up to name it in the record. A legal basis in effect is no consent event
        # to name, and switching an application on is no obligation: nothing is shared then.
        if not gate.may_process(person, purpose.code):
            continue
        grant = _latest_grant(person.pk, purpose)
        if grant is not None:
            disclosures.append(_disclose(person=person, purpose=purpose, event=grant,
                                         occasion=Disclosure.Occasion.APPLICATION_SWITCHED_ON))
    return disclosures


@transaction.atomic
def share_with_recipient(*, person, purpose_code: str, disclosed_by=None, legal_basis: str = "",
                         reference: str = "") -> Disclosure:
    """C9/C11: give `person`'s information to the purpose's recipient (or the public) and record it.

    Only with consent for the current revision of the purpose — or, without consent, under one of
    the listed legal bases (C12), which is recorded first and named by the disclosure. Refuses
    otherwise (ConsentRequired) and for purposes that share nothing.
    """
    from consent import gate

    purpose = _additional_purpose(purpose_code)
    if purpose.kind not in (Purpose.Kind.SHARING, Purpose.Kind.DISCLOSURE):
        raise ValidationError({"purpose": [_("This purpose shares nothing.")]})
    occasion = Disclosure.Occasion.PUBLIC_DISCLOSURE if purpose.kind == Purpose.Kind.DISCLOSURE \
        else Disclosure.Occasion.SERVICE_USED
    if legal_basis:
        record = record_legal_basis(person=person, purpose_code=purpose_code, basis=legal_basis, reference=reference,
                                    recorded_by=disclosed_by)
        return _disclose(person=person, purpose=purpose, event=None, occasion=occasion, disclosed_by=disclosed_by,
                         legal_basis_record=record)
    gate.require_consent(person, purpose_code)
    return _disclose(person=person, purpose=purpose, event=_latest_grant(person.pk, purpose), occasion=occasion,
                     disclosed_by=disclosed_by)


@transaction.atomic
def erase_consent_records_of(*, person_id: int) -> int:
    """R5/E9: delete every consent record of a person whose information is being erased.

    The only deletion the append-only tables allow (the trigger lets DELETE through while
    `consent.erasure` is on in this transaction). Never used for withdrawal (C6 keeps the record).
    Returns the number of rows deleted.
    """
    deleted = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL consent.erasure = 'on'")
        # Disclosures name events and legal-basis records, so they go first.
        for table in ("consent_disclosure", "consent_legalbasisrecord", "consent_consentevent",
                      "consent_applicationaudience"):
            cursor.execute(f"DELETE FROM {table} WHERE person_id = %s", [person_id])  # noqa: S608 (fixed names)
            deleted += cursor.rowcount
        cursor.execute("SET LOCAL consent.erasure = 'off'")
    selectors.forget_person(person_id)
    return deleted
