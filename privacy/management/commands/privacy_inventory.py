"""The data map, table by table: the record of processing a regulator or the enterprise's PI
protection officer asks for. Derived from the declarations (privacy.registry, privacy.third_party_tables)."""
import json

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from privacy import registry
from privacy.registry import ROW_KEPT, Erasure, RetentionClass, TableKind

_ROW_ERASURE = {**dict(Erasure.choices), ROW_KEPT: "Row kept, its personal values erased as each field says"}


def _schemas(declaration) -> list[str]:
    """Where the table lives: the public schema, every enterprise schema, or both."""
    if not declaration.model_label:
        return ["public", "enterprise"]
    app_name = apps.get_app_config(declaration.model_label.split(".")[0]).name
    return [schema for schema, listed in (("public", settings.SHARED_APPS), ("enterprise", settings.TENANT_APPS))
            if app_name in listed]


def _field_row(declaration, name: str, rule: registry.PI) -> dict:
    model = declaration.model
    model_field = model._meta.get_field(name) if model else None
    return {
        "field": name,
        "column": getattr(model_field, "column", None) or name,
        "category": rule.category,
        "purpose": rule.purpose,
        "retention": rule.retention,
        "minimum_retention_months": registry.MINIMUM_RETENTION_MONTHS[rule.retention],
        "retention_starts": rule.retention_starts or None,
        "erasure": rule.erasure,
        "replacement": rule.replacement if rule.has_replacement else None,
        "mask": rule.mask,
        "encrypted": type(model_field).__name__.startswith("Encrypted"),
        "note": rule.note,
    }


def inventory() -> list[dict]:
    """One entry per classified table, sorted by table name."""
    tables = []
    for declaration in sorted(registry.table_declarations(), key=lambda d: d.table):
        is_about_person = declaration.kind == TableKind.ABOUT_PERSON
        tables.append({
            "table": declaration.table,
            "model": declaration.model_label,
            "title": declaration.title,
            "schemas": _schemas(declaration),
            "classification": declaration.kind,
            "path_to_person": declaration.path_to_person or None,
            "subject_path": declaration.subject,
            "reason": declaration.reason or None,
            "erasure": declaration.erasure if is_about_person else None,
            "actor_links": dict(declaration.actor_links),
            "note": declaration.note,
            "fields": [_field_row(declaration, name, rule) for name, rule in sorted(declaration.fields.items())],
        })
    return tables


def _retention_text(field: dict) -> str:
    if field["retention"] == RetentionClass.PURPOSE:
        return "until its purpose ends"
    return f"{RetentionClass(field['retention']).label}, from {field['retention_starts']}"


def _erasure_text(field: dict) -> str:
    if field["erasure"] == Erasure.ANONYMISE or field["replacement"] is not None:
        return f"{field['erasure']} → {field['replacement']!r}"
    if field["erasure"] == Erasure.KEEP_LEGAL_BASIS:
        return f"{field['erasure']}, then the row is deleted"
    return field["erasure"]


class Command(BaseCommand):
    help = "Print the data map: every table's classification and every personal field's processing (text or JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")

    def handle(self, *args, format, **options):
        tables = inventory()
        if format == "json":
            self.stdout.write(json.dumps(tables, ensure_ascii=False, indent=2, default=str))
            return
        for kind in TableKind:
            chosen = [table for table in tables if table["classification"] == kind]
            self.stdout.write(f"\n=== {kind.label} ({len(chosen)} tables) ===")
            for table in chosen:
                self._write_table(table)
        fields = sum(len(table["fields"]) for table in tables)
        undeclared = registry.undeclared_personal_fields()
        self.stdout.write(f"\n{len(tables)} tables classified, {fields} personal fields declared; "
                          f"{len(undeclared)} undeclared that look personal")
        for label in undeclared:
            self.stdout.write(f"  UNDECLARED {label}")

    def _write_table(self, table: dict) -> None:
        write = self.stdout.write
        name = table["table"] + (f"  ({table['model']})" if table["model"] else "")
        write(f"\n{name}  [{', '.join(table['schemas'])} schema]")
        if table["title"]:
            write(f"  holds:          {table['title']}")
        if table["path_to_person"]:
            path = table["path_to_person"]
            write(f"  about:          {'the account itself' if path == 'self' else path}"
                  f"{' → accounts.User' if table['subject_path'] else ''}")
            write(f"  on erasure:     {_ROW_ERASURE[table['erasure']]}")
        if table["reason"]:
            write(f"  not personal:   {table['reason']}")
        for link, what in table["actor_links"].items():
            write(f"  actor link:     {link} ({what}); kept, later pointing to a tombstone")
        if table["note"]:
            write(f"  note:           {table['note']}")
        for field in table["fields"]:
            flags = ", encrypted" if field["encrypted"] else ""
            write(f"  - {field['field']}: {field['category']}{flags}; purpose {field['purpose']}; "
                  f"retention {_retention_text(field)}; erasure {_erasure_text(field)}; mask {field['mask']}")
