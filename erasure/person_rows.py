"""Which rows of each table classified "about a person" are about one person, read from the data
map (privacy.registry): the erasure steps, the residue scan and the tests ask here.

A table with a `subject` path is filtered along it. A table naming its person without a relation
(`person_reference`) needs a finder below: the data map says how the row names the person, only
code can follow it. A new such table without a finder fails loudly (MissingFinder), so nothing is
silently left out.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models import QuerySet

from privacy import data_map, registry


class MissingFinder(LookupError):
    """A table about a person names them without a relation and no finder follows the reference."""


def digest(value: str) -> str:
    """What a job keeps of a former identifier: SHA-256 of its (already keyed) digest."""
    return hashlib.sha256(value.encode()).hexdigest()


def _hashed_in(queryset: QuerySet, column: str, digests: list[str]) -> QuerySet:
    # The job keeps only SHA-256 of the value; PostgreSQL hashes the column to compare.
    return queryset.extra(where=[f"encode(sha256(convert_to({column}, 'UTF8')), 'hex') = ANY(%s)"],
                          params=[list(digests)])


def _sessions(model, person, digests) -> QuerySet:
    # session_data is signed and encoded: decoded one by one (console sessions of one enterprise).
    ids = [session.pk for session in model.objects.all()
           if SessionStore().decode(session.session_data).get("_auth_user_id") == str(person.pk)]
    return model.objects.filter(pk__in=ids)


def _login_records(model, person, digests) -> QuerySet:
    # A failed sign-in names the keyed digest of what was typed; a successful one (django-axes) the
    # account's mobile blind index.
    return _hashed_in(model.objects.all(), "username", [*digests.get("login", []), *digests.get("mobile", [])])


def _login_counter_expiries(model, person, digests) -> QuerySet:
    attempts = _login_records(model._meta.get_field("access_attempt").related_model, person, digests)
    return model.objects.filter(access_attempt__in=attempts)


_FINDERS: dict[str, Callable] = {
    "django_session": _sessions,
    "axes_accesslog": _login_records,
    "axes_accessattempt": _login_records,
    "axes_accessfailurelog": _login_records,
    "axes_accessattemptexpiration": _login_counter_expiries,
    "privacy_personkey": lambda model, person, digests: model.objects.filter(pk=person.person_key_id),
    "audit_entry": lambda model, person, digests: model.objects.filter(actor=f"user:{person.pk}"),
}


def tables_about_a_person() -> list[registry.Declaration]:
    """The declarations of this schema's tables classified about a person, in the data map's order."""
    present = data_map.tables_in_schema(connection.schema_name)
    return [declaration for declaration in registry.table_declarations()
            if declaration.kind == registry.TableKind.ABOUT_PERSON and declaration.table in present]


def rows_of(declaration: registry.Declaration, person, digests: dict[str, list[str]]) -> QuerySet:
    """The rows of `declaration`'s table about `person`; `digests` are the job's hashed former
    identifiers (for tables that name the person by one)."""
    model = declaration.model
    if declaration.subject == "self":
        return model.objects.filter(pk=person.pk)
    if declaration.subject:
        return model.objects.filter(**{declaration.subject.replace(".", "__"): person.pk})
    finder = _FINDERS.get(declaration.table)
    if finder is None:
        raise MissingFinder(f"{declaration.label}: no finder follows {declaration.person_reference!r} "
                            "(add one to erasure.person_rows)")
    return finder(model, person, digests)


def blind_index_fields(declaration: registry.Declaration) -> list:
    """The declaration's fields holding a keyed digest of an identifier (privacy.fields.BlindIndexField)."""
    return [field for field in declaration.model._meta.concrete_fields
            if type(field).__name__ == "BlindIndexField"]


def with_former_identifier(declaration, field, digests: dict[str, list[str]]) -> QuerySet:
    """Rows of the whole table (linked to the person or not) whose `field` still holds one of the
    person's former blind-index values."""
    return _hashed_in(declaration.model.objects.all(), connection.ops.quote_name(field.column),
                      digests.get(field.kind, []))
