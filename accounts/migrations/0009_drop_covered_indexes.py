"""Drops indexes another index already covers, and the pattern index of a keyed digest, which is
only ever compared whole (tests/architecture/test_indexes.py): each is rewritten on every insert
into its table and built again in every new enterprise schema."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterFieldDroppingItsIndex, DropPatternIndex


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_registration_purpose'),
    ]

    operations = [
        AlterFieldDroppingItsIndex(
            model_name='devicetoken',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='device_tokens', to=settings.AUTH_USER_MODEL),
        ),
        AlterFieldDroppingItsIndex(
            model_name='invitation',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to=settings.AUTH_USER_MODEL),
        ),
        AlterFieldDroppingItsIndex(
            model_name='knowndevice',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='known_devices', to=settings.AUTH_USER_MODEL),
        ),
        AlterFieldDroppingItsIndex(
            model_name='verificationcode',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='verification_codes', to=settings.AUTH_USER_MODEL),
        ),
        DropPatternIndex(model_name='user', name='mobile_index'),
    ]
