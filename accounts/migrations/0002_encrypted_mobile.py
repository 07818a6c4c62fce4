"""X1: the mobile number (the login) is stored encrypted under a per-person key and found by its
blind index. Existing accounts are converted in place."""
import os

import django.db.models.deletion
from django.db import migrations, models

import privacy.fields


def encrypt_existing_mobiles(apps, schema_editor):
    from privacy import crypto

    User = apps.get_model("accounts", "User")
    PersonKey = apps.get_model("privacy", "PersonKey")
    for user in User.objects.filter(person_key__isnull=True).only("pk", "mobile"):
        master_key_id, wrapped = crypto.wrap_data_key(os.urandom(32))
        key = PersonKey.objects.create(master_key_id=master_key_id, wrapped_key=wrapped)
        plaintext = user.mobile
        User.objects.filter(pk=user.pk).update(
            person_key=key,
            mobile_index=crypto.blind_index("mobile", plaintext),
            mobile=crypto.encrypt(plaintext, key_id=key.pk, context="accounts.User.mobile"),
        )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="person_key",
            field=models.ForeignKey(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="privacy.personkey"),
        ),
        migrations.AddField(
            model_name="user",
            name="mobile_index",
            field=models.CharField(max_length=40, null=True, editable=False, blank=True),
        ),
        migrations.AlterField(
            model_name="user",
            name="mobile",
            field=models.TextField(null=True, blank=True, default="", verbose_name="mobile number"),
        ),
        migrations.RunPython(encrypt_existing_mobiles, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="person_key",
            field=privacy.fields.PersonKeyField(editable=False, on_delete=django.db.models.deletion.PROTECT,
                                                related_name="+", to="privacy.personkey"),
        ),
        migrations.AlterField(
            model_name="user",
            name="mobile_index",
            field=privacy.fields.BlindIndexField(db_index=False, kind="mobile", source="mobile", unique=True,
                                                 verbose_name="mobile number"),
        ),
        migrations.AlterField(
            model_name="user",
            name="mobile",
            field=privacy.fields.EncryptedTextField(blank=True, default="", verbose_name="mobile number"),
        ),
    ]
