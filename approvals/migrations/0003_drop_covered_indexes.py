"""Drops indexes another index already covers (tests/architecture/test_indexes.py): each is
rewritten on every insert into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0002_encrypted_contents'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='approvalrequest',
            name='applicant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
