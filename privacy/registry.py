"""The data map: every table in every schema is classified, and every personal field declared once.

Our models declare themselves next to their class:

    @personal_data(subject="account", fields={"id_number": PI(Category.SENSITIVE, purpose=..., ...)})
    class Employee(models.Model): ...

Third-party apps' tables (auth, sessions, guardian, axes, django-tenants, the migrations table)
are classified in privacy.third_party_tables. Each table is one of three kinds (`TableKind`):

- about a person: `subject` (the attribute path from a row to the accounts.User it is about) or
  `person_reference` (how a row names its person without a relation), its personal `fields`, and
  what erasing the person does to its rows;
- links to an actor: `actor_links` name who recorded, changed or published something; the rows are
  kept and, once that person is erased, point to their tombstone;
- not personal: `reason` says why.

Per personal field (`PI`): category, purpose, retention class and the field that starts its clock,
erasure action and mask. Retention (audit.retention derives its row rules from here), masking
(privacy.disclosure), export, erasure and the residue scan read this one declaration.

The guards (run by the test suite, and a system warning): `undeclared_personal_fields()` (a field
that looks personal, or links to an account, must be declared or explained) and
`privacy.data_map.unclassified_tables()` (a table in the database with no classification) — the
idea of Zulip's export table lists: nothing is silently left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models


class Category(models.TextChoices):
    BASIC = "basic", "Basic personal information"
    # C2: ID number, location/whereabouts, biometrics, bank account, property, transactions.
    SENSITIVE = "sensitive", "Sensitive personal information"


class Erasure(models.TextChoices):
    """What erasing a person (R4/R5) does to a value of theirs."""

    DELETE = "delete", "Delete the row"
    ANONYMISE = "anonymise", "Anonymise (overwrite with the stated replacement)"
    # R4: the value stays encrypted under the person's data key, which is destroyed.
    CRYPTO_SHRED = "crypto_shred", "Crypto-shred (destroy the person's data key)"
    KEEP_LEGAL_BASIS = "keep_legal_basis", "Keep under a legal basis until the retention class ends, then anonymise"


class RetentionClass(models.TextChoices):
    # S2: network/access logs at least 6 months; transaction records at least 3 years;
    # everything else only as long as its purpose needs.
    ACCESS_LOG = "access_log", "Network and access logs (≥ 6 months)"
    TRANSACTION = "transaction", "Transaction records (≥ 3 years)"
    PURPOSE = "purpose", "As long as the purpose needs"


class Mask(models.TextChoices):
    """How a field is shown on every surface (API, console, masked export, Django admin); the one
    policy that applies it to a viewer is privacy.disclosure."""

    NONE = "none", "Shown as stored"
    HIDDEN = "hidden", "Never shown"
    MOBILE = "mobile", "Mobile number: 138****5678"
    LANDLINE = "landline", "Landline: 021-****5678"
    EMAIL = "email", "Email address: z***@example.com"
    ID_NUMBER = "id_number", "Resident ID number: 1101**********1234"
    BANK_CARD = "bank_card", "Bank card: 6222 **** **** 0123"
    NAME = "name", "Name: first character only"
    LOCATION = "location", "Whereabouts: only that one exists"


class TableKind(models.TextChoices):
    ABOUT_PERSON = "about_person", "About a person"
    LINKS_TO_ACTOR = "links_to_actor", "Links to an actor"
    NOT_PERSONAL = "not_personal", "Not personal"


# Minimum months a retention class must be kept (S2); None: no legal minimum.
MINIMUM_RETENTION_MONTHS = {
    RetentionClass.ACCESS_LOG: 6,
    RetentionClass.TRANSACTION: 36,
    RetentionClass.PURPOSE: None,
}


class _NotStated:
    def __repr__(self):
        return "NOT_STATED"


# A row-level erasure: the row about the person stays (a tombstone, a record kept by law), its
# personal values are erased as each field's declaration says.
ROW_KEPT = "keep_row"

# The replacement of a field that is not anonymised (None and "" are real replacements).
NOT_STATED = _NotStated()


@dataclass(frozen=True)
class PI:
    """How one field's personal information is processed.

    `retention_starts` names the field whose value starts the retention clock (required for a
    class with a legal period; for "purpose" the clock is the purpose's end). `retention_setting`
    names the key of settings.RETENTION_MONTHS that sets the period when a class has several
    (audit.retention: access_log, audit_log, login_log); empty: the class's own.
    `erasure` is what erasing the person does to the value; `replacement` is what ANONYMISE writes
    (and what KEEP_LEGAL_BASIS writes once the retention class ends; without one the row goes).
    """

    category: str
    purpose: str
    retention: str = RetentionClass.PURPOSE
    erasure: str = Erasure.DELETE
    note: str = ""
    # How every surface shows the value (privacy.disclosure applies it); Mask.NONE: as stored.
    mask: str = Mask.NONE
    retention_starts: str = ""
    retention_setting: str = ""
    replacement: object = NOT_STATED

    def __post_init__(self):
        if self.category not in Category.values:
            raise ValueError(f"unknown category {self.category!r}")
        if self.retention not in RetentionClass.values:
            raise ValueError(f"unknown retention class {self.retention!r}")
        if self.erasure not in Erasure.values:
            raise ValueError(f"unknown erasure rule {self.erasure!r}")
        if self.mask not in Mask.values:
            raise ValueError(f"unknown mask {self.mask!r}")
        if not self.purpose:
            raise ValueError("a purpose is required")
        if self.is_sensitive and self.mask == Mask.NONE:
            # C2: a sensitive value is never shown as stored, so its declaration must say how it is masked.
            raise ValueError("a sensitive field needs a mask (or Mask.HIDDEN)")
        if self.erasure == Erasure.ANONYMISE and not self.has_replacement:
            raise ValueError("anonymising needs a stated replacement")
        if self.erasure in (Erasure.DELETE, Erasure.CRYPTO_SHRED) and self.has_replacement:
            raise ValueError(f"a replacement means nothing for erasure {self.erasure!r}")
        if self.retention != RetentionClass.PURPOSE and not self.retention_starts:
            # S2: a legal period needs a clock, or no job can ever tell when it ended.
            raise ValueError(f"retention class {self.retention!r} needs retention_starts (the field starting its clock)")
        if self.erasure == Erasure.KEEP_LEGAL_BASIS and MINIMUM_RETENTION_MONTHS[self.retention] is None:
            raise ValueError("keeping under a legal basis needs a retention class with a legal period")
        if self.retention_setting and self.retention == RetentionClass.PURPOSE:
            raise ValueError("retention_setting applies to a class with a legal period only")

    @property
    def is_sensitive(self) -> bool:
        return self.category == Category.SENSITIVE

    @property
    def has_replacement(self) -> bool:
        return self.replacement is not NOT_STATED


@dataclass
class Declaration:
    """One table's classification: see the module docstring for the three kinds."""

    table: str
    model_label: str | None
    subject: str | None
    fields: dict[str, PI]
    not_personal: dict[str, str] = field(default_factory=dict)
    person_reference: str = ""
    actor_links: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    # What erasing the person does to a row about them, as a whole (from the fields when omitted).
    erasure: str = ""
    note: str = ""
    title: str = ""
    model_class: type[models.Model] | None = None

    def __post_init__(self):
        where = self.model_label or self.table
        is_about_person = bool(self.subject or self.person_reference)
        if self.fields and not is_about_person:
            raise ValueError(f"{where}: personal fields need the path to their person (subject or person_reference)")
        if is_about_person and self.reason:
            raise ValueError(f"{where}: a table about a person is not 'not personal'")
        if not is_about_person and not self.actor_links and not self.reason:
            raise ValueError(f"{where}: unclassified; declare its person, its actor links or why it is not personal")
        if self.erasure and self.erasure not in Erasure.values:
            raise ValueError(f"{where}: unknown erasure rule {self.erasure!r}")
        if is_about_person and not self.fields and not self.erasure:
            raise ValueError(f"{where}: a table about a person with no personal field of its own names its erasure")
        actions = {rule.erasure for rule in self.fields.values()}
        if Erasure.DELETE in actions and len(actions) > 1:
            # A row cannot be both deleted and kept (anonymised, shredded or held) for the same person.
            raise ValueError(f"{where}: fields mix erasure 'delete' with {sorted(actions - {Erasure.DELETE})}")
        if not self.erasure:
            self.erasure = Erasure.DELETE if Erasure.DELETE in actions or not actions else ROW_KEPT

    @property
    def kind(self) -> str:
        if self.subject or self.person_reference:
            return TableKind.ABOUT_PERSON
        return TableKind.LINKS_TO_ACTOR if self.actor_links else TableKind.NOT_PERSONAL

    @property
    def model(self) -> type[models.Model] | None:
        if self.model_class is None and self.model_label:
            self.model_class = apps.get_model(self.model_label)
        return self.model_class

    @property
    def label(self) -> str:
        return self.model_label or self.table

    @property
    def path_to_person(self) -> str:
        return self.subject or self.person_reference

    @property
    def declared_names(self) -> set[str]:
        subject_head = {self.subject.split(".")[0]} if self.subject and self.subject != "self" else set()
        return set(self.fields) | set(self.not_personal) | set(self.actor_links) | subject_head

    def check_fields(self, names: set[str], date_names: set[str], encrypted_names: set[str]) -> None:
        """Refuse names the table does not have, clocks that are not dates, and crypto-shredding
        of a value that is not encrypted under the person's key."""
        where = self.label
        clocks = {rule.retention_starts for rule in self.fields.values() if rule.retention_starts}
        unknown = (set(self.fields) | set(self.not_personal) | set(self.actor_links) | clocks) - names
        if unknown:
            raise ValueError(f"{where}: declared fields that do not exist: {sorted(unknown)}")
        if self.subject and self.subject != "self" and self.subject.split(".")[0] not in names:
            raise ValueError(f"{where}: subject {self.subject!r} does not start at a field of the table")
        if clocks - date_names:
            raise ValueError(f"{where}: retention clocks that are not dates or times: {sorted(clocks - date_names)}")
        shredded = {name for name, rule in self.fields.items() if rule.erasure == Erasure.CRYPTO_SHRED}
        if shredded - encrypted_names:
            raise ValueError(f"{where}: crypto-shredding needs an encrypted field: {sorted(shredded - encrypted_names)}")


_declarations: dict[str, Declaration] = {}


def field_sets(model_fields) -> tuple[set[str], set[str], set[str]]:
    names = {f.name for f in model_fields}
    dates = {f.name for f in model_fields if isinstance(f, (models.DateField, models.DateTimeField))}
    # Encrypted fields (privacy.fields) carry the person's key; duck-typed to keep this module free
    # of the field classes' imports.
    encrypted = {f.name for f in model_fields if type(f).__name__.startswith("Encrypted")}
    return names, dates, encrypted


def personal_data(*, subject: str | None, fields: dict[str, PI], not_personal: dict[str, str] | None = None,
                  person_reference: str = "", actor_links: dict[str, str] | None = None, reason: str = "",
                  erasure: str = "", note: str = ""):
    """Class decorator classifying a model's table and declaring the personal information it holds.

    `subject` is the attribute path from a row to the accounts.User it is about ("self" for the
    account itself, None when a row is about no single person); `person_reference` says how a row
    names its person without a relation. `actor_links`: field → what the actor did. `reason`: why
    a table is not personal. `erasure`: what erasing the person does to a whole row (needed when the
    table has no personal field of its own). Refuses (ValueError) unknown field names, clocks that
    are not dates, missing replacements and a table that is none of the three kinds.
    """

    def declare(model):
        declaration = Declaration(
            table=model._meta.db_table, model_label=model._meta.label, subject=subject, fields=dict(fields),
            not_personal=dict(not_personal or {}), person_reference=person_reference,
            actor_links=dict(actor_links or {}), reason=reason, erasure=erasure, note=note, model_class=model)
        # Runs while the model class is built: only its own fields are known yet.
        declaration.check_fields(*field_sets([*model._meta.local_fields, *model._meta.local_many_to_many]))
        if not model._meta.abstract:
            _declarations[model._meta.label] = declaration
        return model

    return declare


def table_declarations() -> list[Declaration]:
    """Every classified table: our models' declarations and the third-party tables."""
    from privacy import third_party_tables

    return [*_declarations.values(), *third_party_tables.TABLES]


def declarations() -> list[Declaration]:
    """Our models' declarations that name personal fields."""
    return [d for d in _declarations.values() if d.fields]


def declaration_for(model) -> Declaration | None:
    return _declarations.get(model._meta.label)


def personal_fields(model) -> dict[str, PI]:
    declaration = declaration_for(model)
    return dict(declaration.fields) if declaration else {}


def subject_id_of(instance) -> int | None:
    """The primary key of the accounts.User `instance` is about, following its declared `subject`
    path; None when the row is about no single person or is not declared."""
    declaration = declaration_for(type(instance))
    path = declaration.subject if declaration else None
    if not path:
        return None
    if path == "self":
        return instance.pk
    head, *rest = path.split(".")
    if not rest:
        return getattr(instance, f"{head}_id")
    target = instance
    for part in path.split("."):
        target = getattr(target, part)
    return target.pk if target is not None else None


def audited_models() -> list[type[models.Model]]:
    """Models holding declared personal information: their every change is audited."""
    return [d.model for d in declarations()]


def field_label(model, name: str) -> str:
    return f"{model._meta.label}.{name}"


def covered_field(label: str) -> tuple[type[models.Model], str, PI]:
    """Resolve "app.Model.field" to its model and declaration; raises LookupError if undeclared."""
    app_model, _, name = label.rpartition(".")
    model = apps.get_model(app_model)
    rule = personal_fields(model).get(name)
    if rule is None:
        raise LookupError(f"{label} is not a declared personal-information field")
    return model, name, rule


# Field names that usually hold personal information. Matched against the name's parts
# (split on "_"), so `home_address` and `mobile_index` match but `code` does not.
PERSONAL_NAME_PARTS = {
    "name", "surname", "nickname", "mobile", "phone", "tel", "telephone", "landline", "email", "mail",
    "address", "location", "lat", "lng", "latitude", "longitude", "gps", "place", "birth", "birthday",
    "dob", "age", "photo", "avatar", "face", "portrait", "biometric", "fingerprint", "device", "ip",
    "agent", "wechat", "qq", "gender", "sex", "education", "seal", "bank", "card", "salary", "passport",
    "residence", "nationality", "ethnicity", "religion", "health", "medical", "account", "contact",
    "imei", "idfa", "oaid", "mac", "signature", "income", "property",
}
PERSONAL_NAMES = {"id_number", "idcard", "id_card"}


def project_apps() -> set[str]:
    """Apps whose models declare themselves with @personal_data: every installed app whose code lives
    in this repository (a new app is included the moment it is installed; third-party tables are
    classified in privacy.third_party_tables)."""
    root = Path(settings.BASE_DIR).resolve()
    return {config.label for config in apps.get_app_configs()
            if Path(config.path).resolve().is_relative_to(root) and ".venv" not in Path(config.path).parts}


def looks_personal(name: str) -> bool:
    lowered = name.lower()
    return lowered in PERSONAL_NAMES or bool(set(re.split(r"_+", lowered)) & PERSONAL_NAME_PARTS)


def _links_to_an_account(model_field) -> bool:
    remote = getattr(model_field, "remote_field", None)
    return remote is not None and remote.model is not None and (
        remote.model == settings.AUTH_USER_MODEL
        or getattr(getattr(remote.model, "_meta", None), "label", None) == settings.AUTH_USER_MODEL)


def undeclared_personal_fields(models_to_check=None) -> list[str]:
    """Fields that look personal, or link to an account, but are neither declared (personal field,
    subject, actor link) nor explained in `not_personal`; and our models with no declaration."""
    if models_to_check is None:
        models_to_check = [m for m in apps.get_models() if m._meta.app_label in project_apps()]
    missing = []
    for model in models_to_check:
        declaration = declaration_for(model)
        if declaration is None:
            missing.append(f"{model._meta.label} (table not classified)")
        known = declaration.declared_names if declaration else set()
        for model_field in model._meta.get_fields(include_hidden=False):
            if model_field.auto_created or not model_field.concrete:
                continue
            if model_field.name in known:
                continue
            if looks_personal(model_field.name) or _links_to_an_account(model_field):
                missing.append(field_label(model, model_field.name))
    return sorted(missing)
