# Issue 16 review: a request's form and the approvers' comments are encrypted under the applicant's
# person key (C2). Backward-compatible: the plain columns are renamed, the encrypted ones added and
# filled from them, then the plain ones dropped.
import django.db.models.deletion
from django.db import migrations

import privacy.fields


def encrypt_contents(apps, schema_editor):
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    ApprovalStep = apps.get_model("approvals", "ApprovalStep")
    for request in ApprovalRequest.objects.select_related("applicant").iterator():
        request.person_key_id = request.applicant.person_key_id
        request.details = request.plain_details
        request.save(update_fields=["person_key", "details"])
        for step in ApprovalStep.objects.filter(request=request):
            step.person_key_id = request.person_key_id
            step.comment = step.plain_comment
            step.save(update_fields=["person_key", "comment"])


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0001_initial"),
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="approvalrequest", old_name="details", new_name="plain_details"),
        migrations.RenameField(model_name="approvalstep", old_name="comment", new_name="plain_comment"),
        migrations.AddField(
            model_name="approvalrequest", name="person_key",
            field=privacy.fields.PersonKeyField(null=True, on_delete=django.db.models.deletion.PROTECT,
                                                related_name="+", to="privacy.personkey")),
        migrations.AddField(
            model_name="approvalstep", name="person_key",
            field=privacy.fields.PersonKeyField(null=True, on_delete=django.db.models.deletion.PROTECT,
                                                related_name="+", to="privacy.personkey")),
        migrations.AddField(model_name="approvalrequest", name="details",
                            field=privacy.fields.EncryptedJSONField(blank=True, null=True, verbose_name="details")),
        migrations.AddField(model_name="approvalstep", name="comment",
                            field=privacy.fields.EncryptedTextField(verbose_name="comment")),
        migrations.RunPython(encrypt_contents, migrations.RunPython.noop),
        migrations.RemoveField(model_name="approvalrequest", name="plain_details"),
        migrations.RemoveField(model_name="approvalstep", name="plain_comment"),
        migrations.AlterField(
            model_name="approvalrequest", name="person_key",
            field=privacy.fields.PersonKeyField(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                to="privacy.personkey")),
        migrations.AlterField(
            model_name="approvalstep", name="person_key",
            field=privacy.fields.PersonKeyField(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                to="privacy.personkey")),
    ]
