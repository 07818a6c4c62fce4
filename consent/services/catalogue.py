"""The consent catalogue of an enterprise: its purposes and recipients, kept in step with the
code's catalogue (consent.catalogue) and changed at runtime (C7 new purposes, C9 revised recipients).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.actors import SystemActor, require_actor
from consent import catalogue as purpose_catalogue
from consent import gate, state_cache
from consent.models import Purpose, PurposeRevision, Recipient
from privacy.registry import covered_field

# Keeping an enterprise's purposes in step with the code's catalogue (after migrations, on deploy,
# or when a sharing purpose is first needed) is work nobody in the enterprise started.
CATALOGUE_SYNC = SystemActor("purpose catalogue sync")


def record_revision(purpose) -> None:
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
    digests = {definition.code: purpose_catalogue.definition_hash(definition)
               for definition in purpose_catalogue.ALL_PURPOSES}

    def is_in_step(definition) -> bool:
        purpose = stored.get(definition.code)
        return purpose is not None and purpose.is_active and purpose.definition_hash == digests[definition.code] \
            and purpose.revision >= definition.revision

    # A recipient's texts are the catalogue's only while its purposes are (they quote them).
    recipients_in_step = {definition.recipient for definition in purpose_catalogue.ALL_PURPOSES
                          if definition.recipient and is_in_step(definition)} - {
        definition.recipient for definition in purpose_catalogue.ALL_PURPOSES
        if definition.recipient and not is_in_step(definition)}
    recipients = {}
    for definition in purpose_catalogue.ALL_RECIPIENTS:
        recipient = recipient_model.objects.filter(code=definition.code).first()
        if recipient is None or definition.code not in recipients_in_step:
            recipient, _created = recipient_model.objects.update_or_create(code=definition.code, defaults={
                "kind": definition.kind, "name_en": definition.name_en, "name_zh_hans": definition.name_zh,
                "purpose_en": definition.purpose_en, "purpose_zh_hans": definition.purpose_zh,
                "pi_types": list(definition.pi_types)})
        recipients[definition.code] = recipient
    codes = set()
    for definition in purpose_catalogue.ALL_PURPOSES:
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
            record_revision(purpose_model.objects.create(code=definition.code, revision=definition.revision,
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
        record_revision(purpose)
    # Purposes added by a new function (add_purpose, C7) are not the catalogue's to retire.
    retired = purpose_model.objects.filter(is_active=True, is_from_catalogue=True).exclude(
        code__in=codes).update(is_active=False)
    return {"added": added, "revised": revised, "retired": retired}


@transaction.atomic
def sync_purpose_catalogue(*, actor) -> dict[str, int]:
    """Run apply_catalogue in this enterprise's schema and forget the cached catalogue.

    System work (`CATALOGUE_SYNC`) as a rule; refuses a missing actor.
    """
    require_actor(actor)
    result = apply_catalogue()
    state_cache.forget_catalogue()
    return result


@transaction.atomic
def add_purpose(*, actor, code: str, kind: str, name_en: str, name_zh_hans: str, statement_en: str,
                statement_zh_hans: str, covers: list[str] = (), is_sensitive: bool = False,
                sensitive_category: str = "", requires: list[str] = ()) -> Purpose:
    """C7: a new function that collects new information adds its purpose; nobody has consented yet.

    Refuses a basic purpose (new collection is never basic), an existing code, covered fields that
    are not declared in the personal-information registry or whose model the consent gate does not
    guard (the purpose could never be enforced there), required purposes that do not exist, and a
    missing actor (the platform's release adding the function, as a rule a system actor).
    """
    require_actor(actor)
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
    record_revision(purpose)
    state_cache.forget_catalogue()
    return purpose


@transaction.atomic
def revise_recipient(*, actor, recipient: Recipient, purpose_en: str, purpose_zh_hans: str,
                     pi_types: list[str] | None = None) -> Recipient:
    """C9: a recipient (e.g. an affiliate) changes its purpose or what it receives.

    Every sharing purpose naming it gets the next revision, so earlier consent no longer covers
    it: nothing is shared again until each person consents anew. The revision is durable: each
    purpose is marked as in step with its catalogue definition, so sync_purpose_catalogue keeps it
    until that definition itself changes. Refuses unknown information types and a missing actor.
    """
    require_actor(actor)
    definitions = {definition.code: definition for definition in purpose_catalogue.ALL_PURPOSES}
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    recipient.purpose_en, recipient.purpose_zh_hans = purpose_en, purpose_zh_hans
    if pi_types is not None:
        unknown = [t for t in pi_types if t not in purpose_catalogue.PI_TYPES]
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
            purpose.definition_hash = purpose_catalogue.definition_hash(definitions[purpose.code])
        purpose.save()
        purpose.recipient = recipient  # the revised one: what this revision shares and why
        record_revision(purpose)
    state_cache.forget_catalogue()
    return recipient


@transaction.atomic
def revise_purposes(*, actor, codes: list[str]) -> list[Purpose]:
    """C10: the purposes `codes` change (a new holder of the enterprise's data uses them for
    something else): each gets the next revision, so consent given to the earlier one no longer
    counts and the consent gate refuses their processing until each person consents anew.

    The revision is durable like revise_recipient's: the row stays marked as in step with its
    catalogue definition, so sync_purpose_catalogue keeps it. Refuses unknown codes and the basic
    purpose (it needs no consent, so no new consent could cover a change to it), and a missing actor.
    """
    require_actor(actor)
    purposes = list(Purpose.objects.select_for_update().filter(code__in=list(codes)).order_by("code"))
    errors = [_("There is no purpose %(code)s.") % {"code": code}
              for code in sorted(set(codes) - {purpose.code for purpose in purposes})]
    errors += [_("%(code)s is a basic purpose: no consent covers it.") % {"code": purpose.code}
               for purpose in purposes if purpose.kind == Purpose.Kind.BASIC]
    if errors:
        raise ValidationError({"changed_purposes": errors})
    for purpose in purposes:
        purpose.revision += 1
        purpose.save(update_fields=["revision"])
        record_revision(purpose)
    state_cache.forget_catalogue()
    return purposes
