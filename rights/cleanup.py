"""R2: the answers to copy requests are kept only until they expire (settings.RIGHTS_RESULT_DAYS);
a periodic task (one per enterprise) deletes them with `delete_expired_results`."""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from access.actors import SystemActor, require_actor
from audit.context import Actor, acting_as
from rights.models import RightsRequest

RESULT_CLEANUP = SystemActor("rights results cleanup")


def delete_expired_results(*, actor) -> int:
    """Delete the stored result of every request of this enterprise whose result_expires_at has
    passed, and empty its result_file (each change audited as an update by `actor`). Returns how
    many were deleted. Idempotent: a file already gone is simply forgotten.

    Refuses (TypeError) a missing actor.
    """
    require_actor(actor)
    deleted = 0
    expired = (RightsRequest.objects.exclude(result_file="")
               .filter(result_expires_at__lte=timezone.now()).values_list("pk", flat=True))
    with acting_as(Actor.for_user(actor)):
        for request_id in list(expired):
            with transaction.atomic():
                rights_request = (RightsRequest.objects.select_for_update()
                                  .exclude(result_file="").filter(pk=request_id).first())
                if rights_request is None:
                    continue
                # The file first: a failure after it leaves a row naming a missing file (the download
                # answers 404 and the next run empties it), never a forgotten file of someone's data.
                default_storage.delete(rights_request.result_file.name)
                rights_request.result_file = ""
                rights_request.save(update_fields=["result_file"])
                deleted += 1
    return deleted
