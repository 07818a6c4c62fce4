"""The address book searches people by name prefix; this index serves that search. Adding an
index changes no data and no column, so code from before and after this migration both run."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_encrypted_mobile"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["display_name"], name="user_display_name_prefix",
                               opclasses=["varchar_pattern_ops"]),
        ),
    ]
