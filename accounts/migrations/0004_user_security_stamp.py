import secrets

from django.db import migrations, models

import accounts.models


def give_each_account_its_own_stamp(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for pk in User.objects.values_list("pk", flat=True):
        User.objects.filter(pk=pk).update(security_stamp=secrets.token_hex(16))


class Migration(migrations.Migration):

    dependencies = [("accounts", "0003_user_display_name_prefix")]

    operations = [
        migrations.AddField(
            model_name="user", name="security_stamp",
            field=models.CharField(default=accounts.models.new_security_stamp, editable=False, max_length=32),
        ),
        migrations.RunPython(give_each_account_its_own_stamp, migrations.RunPython.noop),
    ]
