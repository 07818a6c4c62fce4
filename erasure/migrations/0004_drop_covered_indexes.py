"""Drops indexes another index already covers (tests/architecture/test_indexes.py): each is
rewritten on every insert into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex


class Migration(migrations.Migration):

    dependencies = [
        ('erasure', '0003_minor_case_guardian_consent'),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='erasurestep',
            name='job',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='erasure.erasurejob'),
        ),
    ]
