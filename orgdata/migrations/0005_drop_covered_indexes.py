"""Drops indexes another index already covers, and the pattern index of a keyed digest, which is
only ever compared whole (tests/architecture/test_indexes.py): each is rewritten on every insert
into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex, DropPatternIndex


class Migration(migrations.Migration):

    dependencies = [
        ('orgdata', '0004_employee_sort_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='employee',
            name='employee_number_prefix',
        ),
        AlterFieldDroppingItsIndex(
            model_name='applicationswitch',
            name='application',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='switches', to='orgdata.application'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='department',
            name='parent',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='orgdata.department', verbose_name='parent department'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='employee',
            name='department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='employees', to='orgdata.department', verbose_name='department'),
        ),
        DropPatternIndex(model_name='employee', name='id_number_index'),
    ]
