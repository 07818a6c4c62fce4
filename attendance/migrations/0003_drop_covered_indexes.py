"""Drops indexes another index already covers (tests/architecture/test_indexes.py): each is
rewritten on every insert into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0002_face_check_in_and_risk_signals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='checkin',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterFieldDroppingItsIndex(
            model_name='trackingping',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
