"""Drops indexes another index already covers (tests/architecture/test_indexes.py): each is
rewritten on every insert into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex


class Migration(migrations.Migration):

    dependencies = [
        ('fieldwork', '0002_upload_check'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='report',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterFieldDroppingItsIndex(
            model_name='visit',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='fieldwork.customer'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='visit',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
