# The employee table's sort orders (issue 14), indexed in every enterprise's schema.
from django.db import migrations, models

INDEXES = (
    ("employee_entry_date_number", '"entry_date", "employee_number"'),
    ("employee_status_number", '"work_status", "employee_number"'),
)


def create_indexes(apps, schema_editor):
    # CONCURRENTLY: the table keeps taking writes while each index is built. A migration run inside
    # a transaction (provisioning a lagging template in a test's transaction) builds them plainly.
    concurrently = "" if schema_editor.connection.in_atomic_block else "CONCURRENTLY "
    for name, columns in INDEXES:
        schema_editor.execute(f'CREATE INDEX {concurrently}IF NOT EXISTS "{name}" ON "orgdata_employee" ({columns})')


def drop_indexes(apps, schema_editor):
    for name, _columns in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('orgdata', '0003_import_preview_and_export_jobs'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name='employee',
                                    index=models.Index(fields=['entry_date', 'employee_number'],
                                                       name='employee_entry_date_number')),
                migrations.AddIndex(model_name='employee',
                                    index=models.Index(fields=['work_status', 'employee_number'],
                                                       name='employee_status_number')),
            ],
            database_operations=[migrations.RunPython(create_indexes, drop_indexes)],
        ),
    ]
