"""E1: an enterprise may register itself and give its location, industry type and personnel size
afterwards (tenants.basic_details refuses basic services until then); names are compared by a
normalised key (tenants.validators.enterprise_name_key)."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenants.validators import enterprise_name_key


def fill_name_keys(apps, schema_editor):
    Enterprise = apps.get_model("tenants", "Enterprise")
    for enterprise in Enterprise.objects.only("pk", "name"):
        Enterprise.objects.filter(pk=enterprise.pk).update(name_key=enterprise_name_key(enterprise.name))


class Migration(migrations.Migration):

    dependencies = [
        ("tenants", "0003_service_cessation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="enterprise", name="enterprise_e1_profile_complete"),
        migrations.AlterField(model_name="enterprise", name="location",
                              field=models.CharField(blank=True, max_length=200, verbose_name="location")),
        migrations.AlterField(model_name="enterprise", name="industry",
                              field=models.CharField(blank=True, max_length=100, verbose_name="industry type")),
        migrations.AlterField(model_name="enterprise", name="personnel_size",
                              field=models.CharField(blank=True, choices=[("1-20", "1–20"), ("21-100", "21–100"),
                                                                          ("101-500", "101–500"),
                                                                          ("501-1000", "501–1000"),
                                                                          ("1000+", "1000+")],
                                                     max_length=10, verbose_name="personnel size")),
        migrations.AddField(model_name="enterprise", name="name_key",
                            field=models.CharField(db_index=True, default="", editable=False, max_length=200)),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.CreateModel(
            name="PendingRegistration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("registrant", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
