from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="PersonKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("master_key_id", models.CharField(max_length=32)),
                ("wrapped_key", models.BinaryField(null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("destroyed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "personal data key",
                "permissions": [("unmask_sensitive", "See sensitive personal information unmasked")],
            },
        ),
    ]
