"""A visit photo's or report file's stored file goes with its row, however the row goes: the
retention job's batch delete after the transaction-record period (X4), a report's or visit's
cascade, the erasure engine (which also deletes them itself; deleting twice is harmless). The file
is deleted only once the deletion is committed, so a rolled-back delete keeps its file."""
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from fieldwork.models import ReportAttachment, VisitPhoto


def _delete_after_commit(stored) -> None:
    if stored and stored.name:
        storage, name = stored.storage, stored.name
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=VisitPhoto)
def _photo_deleted(sender, instance, **kwargs):
    _delete_after_commit(instance.image)


@receiver(post_delete, sender=ReportAttachment)
def _attachment_deleted(sender, instance, **kwargs):
    _delete_after_commit(instance.file)
