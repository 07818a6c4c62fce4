"""Model fields for sensitive personal information: encrypted at rest under the row's person key.

A model holding encrypted fields has a `person_key = PersonKeyField()`; a missing key is issued on
save(). Plaintext lives only on model instances: the database column holds a token, lookups go
through a BlindIndexField, and `QuerySet.update()` / `bulk_update()` of an encrypted field are
refused (there is no row to take the key from) — set the value and save(), or use
`sealed_value()` for bulk paths.
"""
from __future__ import annotations

import json

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.signals import pre_save

from privacy import crypto
from privacy.errors import KeyDestroyed


class Ciphertext(str):
    """A token produced by pre_save; the only thing an encrypted column accepts."""


def _field_context(field) -> str:
    return f"{field.model._meta.label}.{field.name}"


def _person_key_id(instance, field) -> int:
    key_id = getattr(instance, "person_key_id", None)
    if key_id is None:
        raise ImproperlyConfigured(
            f"{_field_context(field)}: the row has no person key (set person_key, or save() to issue one)")
    return key_id


class EncryptedTextField(models.TextField):
    """A string stored encrypted (X1); "" when empty or when its person key was destroyed (R4)."""

    def __init__(self, *args, **kwargs):
        kwargs["null"] = True
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("null", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        # Read once per value of every page and export: formatted once per field, not per value.
        self.crypto_context = _field_context(self)

    def serialize_plain(self, value) -> str:
        return str(value)

    def parse_plain(self, text: str):
        return text

    def empty_value(self):
        return ""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or value == "":
            return None
        if isinstance(value, Ciphertext):
            return value
        return Ciphertext(crypto.encrypt(self.serialize_plain(value), key_id=_person_key_id(model_instance, self),
                                         context=_field_context(self)))

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, Ciphertext):
            return str(value)
        raise TypeError(f"{_field_context(self)} is encrypted: write it through save(), "
                        "and look it up through its blind index")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return self.empty_value()
        try:
            return self.parse_plain(crypto.decrypt(value, context=self.crypto_context, schema=connection.schema_name))
        except KeyDestroyed:
            return self.empty_value()

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        # Serialisation (dumpdata, fixtures) never carries plaintext.
        return ""


class EncryptedJSONField(EncryptedTextField):
    """Any JSON value (a location, a list of places) stored encrypted; None when empty."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", None)
        super().__init__(*args, **kwargs)

    def serialize_plain(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def parse_plain(self, text: str):
        return json.loads(text)

    def empty_value(self):
        return None


class SealedBytes(bytes):
    """Bytes produced by EncryptedBinaryField.pre_save; the only thing its column accepts."""


class EncryptedBinaryField(models.BinaryField):
    """A file's bytes stored encrypted (X1) under the row's person key (privacy.crypto.encrypt_bytes);
    None when empty or when the key was destroyed (R4). Defer it in lists: it is decrypted on load."""

    def __init__(self, *args, **kwargs):
        kwargs["null"] = True
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("null", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or isinstance(value, SealedBytes):
            return value
        return SealedBytes(crypto.encrypt_bytes(bytes(value), key_id=_person_key_id(model_instance, self),
                                                context=_field_context(self)))

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if isinstance(value, SealedBytes):
            return super().get_db_prep_value(bytes(value), connection, prepared)
        raise TypeError(f"{_field_context(self)} is encrypted: write it through save()")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        try:
            return crypto.decrypt_bytes(bytes(value), context=_field_context(self))
        except KeyDestroyed:
            return None

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        return ""


def sealed_value(instance, field_name: str) -> Ciphertext | None:
    """The token an encrypted field of `instance` would store, for bulk_update()/raw paths."""
    field = instance._meta.get_field(field_name)
    return field.pre_save(instance, add=False)


class BlindIndexField(models.CharField):
    """Keyed HMAC of another field's (normalised) value, filled on save and bulk_create."""

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source, self.kind = source, kind
        kwargs.update(max_length=40, editable=False, null=True, blank=True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for fixed in ("max_length", "editable", "null", "blank"):
            kwargs.pop(fixed, None)
        kwargs.update(source=self.source, kind=self.kind, db_index=self.db_index)
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract and not getattr(cls.save, "keeps_blind_indexes", False):
            cls.save = _saving_blind_indexes_with_sources(cls.save)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        index = crypto.blind_index(self.kind, value if isinstance(value, str) else str(value or ""))
        setattr(model_instance, self.attname, index)
        return index


def _saving_blind_indexes_with_sources(save):
    """save(update_fields=["mobile"]) also writes mobile's blind index, or lookups would go stale."""

    def wrapper(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            indexes = {f.name for f in self._meta.concrete_fields
                       if isinstance(f, BlindIndexField) and f.source in update_fields}
            kwargs["update_fields"] = set(update_fields) | indexes
        return save(self, *args, **kwargs)

    wrapper.keeps_blind_indexes = True
    wrapper.__wrapped__ = save
    return wrapper


def _issue_missing_person_key(sender, instance, raw=False, **kwargs):
    if not raw and getattr(instance, "person_key_id", None) is None:
        from privacy.keys import issue_person_key

        instance.person_key = issue_person_key()


class PersonKeyField(models.ForeignKey):
    """The data key of the person a row is about; rows of one person share it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to", "privacy.PersonKey")
        kwargs.setdefault("on_delete", models.PROTECT)
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            pre_save.connect(_issue_missing_person_key, sender=cls, weak=False,
                             dispatch_uid=f"person-key-{cls._meta.label}")
