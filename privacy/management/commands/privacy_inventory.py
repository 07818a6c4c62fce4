"""The data map / record of processing, derived from the registry's declarations."""
import json

from django.core.management.base import BaseCommand

from privacy import registry


def inventory() -> list[dict]:
    rows = []
    for declaration in sorted(registry.declarations(), key=lambda d: d.label):
        model = declaration.model
        for name, rule in sorted(declaration.fields.items()):
            model_field = model._meta.get_field(name)
            rows.append({
                "table": model._meta.db_table,
                "model": declaration.label,
                "field": name,
                "column": getattr(model_field, "column", None),
                "category": rule.category,
                "purpose": rule.purpose,
                "retention": rule.retention,
                "minimum_retention_months": registry.MINIMUM_RETENTION_MONTHS[rule.retention],
                "erasure": rule.erasure,
                "mask": rule.mask,
                "encrypted": model_field.__class__.__name__.startswith("Encrypted"),
                "subject": declaration.subject,
            })
    return rows


class Command(BaseCommand):
    help = "Print every table and field holding personal information (data map), as text or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, format, **options):
        rows = inventory()
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        current = None
        for row in rows:
            if row["table"] != current:
                current = row["table"]
                self.stdout.write(f"\n{row['table']}  ({row['model']}, about: {row['subject'] or 'no single person'})")
            flags = " encrypted" if row["encrypted"] else ""
            self.stdout.write(f"  {row['field']:<24} {row['category']:<10} purpose={row['purpose']:<22} "
                              f"retention={row['retention']:<12} erasure={row['erasure']:<17} "
                              f"mask={row['mask']}{flags}")
        undeclared = registry.undeclared_personal_fields()
        self.stdout.write(f"\n{len(rows)} declared fields; {len(undeclared)} undeclared that look personal")
        for label in undeclared:
            self.stdout.write(f"  UNDECLARED {label}")
