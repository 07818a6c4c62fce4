"""Drops indexes another index already covers (tests/architecture/test_indexes.py): each is
rewritten on every insert into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex


class Migration(migrations.Migration):

    dependencies = [
        ('announcements', '0002_delivery_push_status'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='announcementdepartment',
            name='announcement',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='addressed', to='announcements.announcement'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='delivery',
            name='announcement',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='announcements.announcement'),
        ),
        AlterFieldDroppingItsIndex(
            model_name='delivery',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterFieldDroppingItsIndex(
            model_name='unsubscription',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
