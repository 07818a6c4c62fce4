"""Writing many rows of a model into the current enterprise's schema with PostgreSQL COPY.

Bulk imports create up to 200,000 people; `bulk_create` spends most of that time building model
instances and INSERT statements. COPY takes plain rows. What the ORM would have done per row is
done once here: every column starts at its model default, and the table name carries the schema
explicitly (the tenant boundary does not rest on search_path for these statements).

COPY sends no model signals: callers record their audit entries themselves and must not write
fields the consent gate guards (orgdata.services.imports.writing checks this before it writes).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone


def qualified_table(model: type[Model]) -> str:
    return f"{connection.ops.quote_name(connection.schema_name)}.{connection.ops.quote_name(model._meta.db_table)}"


def text_array(values: list[str]) -> str:
    """`values` as one PostgreSQL text[] literal, for `= ANY(%s::text[])` with 100,000 values.

    psycopg builds a list parameter element by element in Python (a second per 100,000 values);
    this is two joins in C. Every element is quoted, so "NULL", spaces and commas stay text.
    """
    if not values:
        return "{}"
    joined = "".join(values)
    if '"' in joined or "\\" in joined:
        values = [value.replace("\\", "\\\\").replace('"', '\\"') for value in values]
    return '{"' + '","'.join(values) + '"}'


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str | None) -> str:
    """A text value as one field of a line in COPY's text format (backslash, tab, newline and
    carriage return escaped; None is NULL). For writers that build lines themselves: psycopg's
    `write_row` formats every value of every row, also the ones repeated on each."""
    return "\\N" if value is None else value.translate(_COPY_ESCAPES)


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys from the model's sequence (COPY gives none back)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        # The sequence is looked up once: named inside nextval(), it would be looked up per row
        # (3 µs each, a second per 300,000 ids).
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid", [qualified_table(model)])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::oid) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


class RowTemplate:
    """A row of `model` with every concrete column at its default; `fixed` overrides by attname.

    `position(name)` gives a column's index by attname or field name, so callers fill a copy of
    `row()` positionally (the fast path for 100,000 rows).
    """

    def __init__(self, model: type[Model], fixed: dict[str, Any] | None = None):
        fixed = fixed or {}
        now = timezone.now()
        self.model = model
        self.fields = model._meta.concrete_fields
        self._row: list[Any] = []
        self._position: dict[str, int] = {}
        self._types: list[int] | None = None  # the columns' type OIDs, read at the first copy()
        for index, field in enumerate(self.fields):
            if field.attname in fixed:
                value = fixed[field.attname]
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.primary_key:
                value = None
            else:
                value = field.get_db_prep_save(field.get_default(), connection)
            self._row.append(value)
            self._position[field.attname] = index
            self._position.setdefault(field.name, index)

    def position(self, name: str) -> int:
        return self._position[name]

    def row(self) -> list[Any]:
        return self._row.copy()

    @contextmanager
    def copy(self):
        """A psycopg COPY into the model's table; call `.write_row(row)` for each row.

        In PostgreSQL's binary format, with each column's type read from the table once: psycopg
        then picks every column's converter once, not every value's by its Python type, and the
        server parses no text (a 27-column row costs a quarter of what COPY's text format took).
        A value must therefore be of its column's kind (an int for an integer, a str for text);
        a str given for a jsonb column would be stored as a JSON string, so JSON goes in as the
        model field prepares it (the template's defaults do).
        """
        columns = [field.column for field in self.fields]
        table = qualified_table(self.model)
        with connection.cursor() as cursor:
            if self._types is None:  # once per template: a writer copies a batch at a time
                cursor.execute(
                    "SELECT attribute.atttypid FROM unnest(%s::text[]) WITH ORDINALITY AS wanted(name, n)"
                    " JOIN pg_attribute attribute ON attribute.attrelid = %s::regclass"
                    " AND attribute.attname = wanted.name AND NOT attribute.attisdropped ORDER BY wanted.n",
                    [text_array(columns), table])
                self._types = [type_oid for (type_oid,) in cursor.fetchall()]
                if len(self._types) != len(columns):
                    raise RuntimeError(f"{table} lacks some of the model's columns: {columns}")
            quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(self._types)
                yield copy
