"""The personal-information registry: every model field holding personal information is declared
once, next to its model, and export, erasure, audit, retention and the data map derive from it.

    @personal_data(subject="account", fields={"id_number": PI(Category.SENSITIVE, purpose=..., ...)})
    class Employee(models.Model): ...

`undeclared_personal_fields()` is the guard (run by the test suite, and a system warning): a field
whose name looks personal must be declared or listed in `not_personal` with a reason, so a new
field cannot slip past export and erasure (the idea of Zulip's unclassified-table check).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models


class Category(models.TextChoices):
    BASIC = "basic", "Basic personal information"
    # C2: ID number, location/whereabouts, biometrics, bank account, property, transactions.
    SENSITIVE = "sensitive", "Sensitive personal information"


class Erasure(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise"
    KEEP_LEGAL_BASIS = "keep_legal_basis", "Keep under a legal basis"


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


# Minimum months a retention class must be kept (S2); None: no legal minimum.
MINIMUM_RETENTION_MONTHS = {
    RetentionClass.ACCESS_LOG: 6,
    RetentionClass.TRANSACTION: 36,
    RetentionClass.PURPOSE: None,
}


@dataclass(frozen=True)
class PI:
    """How one field's personal information is processed."""

    category: str
    purpose: str
    retention: str = RetentionClass.PURPOSE
    erasure: str = Erasure.DELETE
    note: str = ""
    # How every surface shows the value (privacy.disclosure applies it); Mask.NONE: as stored.
    mask: str = Mask.NONE

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

    @property
    def is_sensitive(self) -> bool:
        return self.category == Category.SENSITIVE


@dataclass(frozen=True)
class Declaration:
    model: type[models.Model]
    subject: str | None
    fields: dict[str, PI]
    not_personal: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.model._meta.label


_declarations: dict[str, Declaration] = {}


def personal_data(*, subject: str | None, fields: dict[str, PI], not_personal: dict[str, str] | None = None):
    """Class decorator declaring the personal information a model holds.

    `subject` is the attribute path from a row to the accounts.User it is about ("self" for the
    account itself, None when a row is about no single person).
    """

    def declare(model):
        # Runs while the model class is built: only its own fields are known yet.
        names = {f.name for f in [*model._meta.local_fields, *model._meta.local_many_to_many]}
        unknown = (set(fields) | set(not_personal or {})) - names
        if unknown:
            raise ValueError(f"{model.__name__}: declared fields that do not exist: {sorted(unknown)}")
        if not model._meta.abstract:
            _declarations[model._meta.label] = Declaration(model, subject, dict(fields), dict(not_personal or {}))
        return model

    return declare


def declarations() -> list[Declaration]:
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
# Apps whose models the guard inspects: ours. Third-party tables (auth, sessions, axes) are
# outside this project's declarations and are covered by their own retention rules.
PROJECT_APPS = {"tenants", "accounts", "privacy", "consent", "orgdata", "audit", "policies", "attendance"}


def looks_personal(name: str) -> bool:
    lowered = name.lower()
    return lowered in PERSONAL_NAMES or bool(set(re.split(r"_+", lowered)) & PERSONAL_NAME_PARTS)


def undeclared_personal_fields(models_to_check=None) -> list[str]:
    """Fields that look personal but are neither declared nor explained in `not_personal`."""
    if models_to_check is None:
        models_to_check = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    missing = []
    for model in models_to_check:
        declaration = declaration_for(model)
        known = set(declaration.fields) | set(declaration.not_personal) if declaration else set()
        for model_field in model._meta.get_fields(include_hidden=False):
            if model_field.auto_created or not model_field.concrete:
                continue
            if model_field.name not in known and looks_personal(model_field.name):
                missing.append(field_label(model, model_field.name))
    return sorted(missing)
