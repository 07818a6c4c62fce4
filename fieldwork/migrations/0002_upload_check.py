"""Visit photos and report files are checked by a worker, not in the request: a status and the
reason of a refusal. Rows already stored were cleaned in the request that stored them: ready."""
from django.db import migrations, models


def _status(default: str) -> models.CharField:
    return models.CharField(choices=[("pending", "being checked"), ("ready", "ready"), ("refused", "refused")],
                            default=default, max_length=8, verbose_name="status")


class Migration(migrations.Migration):

    dependencies = [
        ('fieldwork', '0001_initial'),
    ]

    operations = [
        migrations.AddField(model_name='visitphoto', name='status', field=_status("ready")),
        migrations.AlterField(model_name='visitphoto', name='status', field=_status("pending")),
        migrations.AddField(model_name='visitphoto', name='refusal', field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name='reportattachment', name='status', field=_status("ready")),
        migrations.AlterField(model_name='reportattachment', name='status', field=_status("pending")),
        migrations.AddField(model_name='reportattachment', name='refusal',
                            field=models.CharField(blank=True, max_length=200)),
    ]
