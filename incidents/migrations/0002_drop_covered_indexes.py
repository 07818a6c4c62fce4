"""Drops indexes another index already covers (tests/architecture/test_indexes.py): each is
rewritten on every insert into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0001_initial'),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='affectedenterprise',
            name='incident',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='enterprises', to='incidents.incident'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='affectedperson',
            name='incident',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='affected', to='incidents.incident'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='delivery',
            name='affected',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='incidents.affectedperson'),
        ),
    ]
