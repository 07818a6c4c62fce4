"""R7 on the real Celery worker: a relative's authorised access builds the deceased's copy in the
background once the authorisation commits; the administrator downloads it from the console."""
import io
import json
import time
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from accounts.models import User
from audit.models import AuditEntry
from rights import services
from rights.models import InboxMessage, RightsRequest
from tests.committing import committed
from tests.orgdata.factories import make_employee

pytestmark = pytest.mark.usefixtures("celery_worker")


def _relatives_access_authorised():
    manager = User.objects.get(role=User.Role.MANAGER)
    deceased = make_employee(name="故人丙", email="gu.ren.bing@example.com").account
    request = services.record_next_of_kin_request(
        actor=manager, deceased=deceased, action="access", relative_name="Wang Fang", relationship="son",
        contact="13900002222", proof="death certificate")
    services.verify_next_of_kin_proof(actor=manager, request=request, date_of_death="2025-06-01",
                                      proof="death certificate No. 2025-91, original seen")
    services.authorise(actor=manager, request=request)  # the copy is queued once this commits
    return request.pk


def _forget(request_id: int) -> None:
    # Committed rows outlive the test: the request (its history with it), the messages, the file.
    request = RightsRequest.objects.get(pk=request_id)
    if request.result_file:
        default_storage.delete(request.result_file.name)
    InboxMessage.objects.filter(request_id=request_id).delete()
    request.delete()


def _download_in_the_console(host: str, request_id: int) -> tuple[str, bytes, int]:
    # The manager's console, on a connection of its own (committed, like a server's): the download's
    # audit entry takes the audit chain's head, which the clean-up needs too.
    manager = User.objects.get(role=User.Role.MANAGER)
    console = Client(HTTP_HOST=host)
    console.force_login(manager)
    try:
        page = console.get(f"/console/rights/{request_id}/").content.decode()
        downloaded = console.get(console.post(f"/console/rights/{request_id}/download-link/")["Location"])
        assert downloaded.status_code == 200
        return page, b"".join(downloaded.streaming_content), manager.pk
    finally:
        console.logout()


@pytest.mark.promise("R7")
@pytest.mark.promise("R2")
def test_the_worker_builds_the_deceaseds_copy_and_the_administrator_downloads_it(enterprises):
    schema = enterprises.a.schema_name
    request_id = committed(schema, _relatives_access_authorised)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = committed(schema, lambda: RightsRequest.objects.get(pk=request_id).status)
            if status != RightsRequest.Status.IN_PROGRESS:
                break
            time.sleep(0.2)
        assert status == RightsRequest.Status.DONE

        page, archive, manager_id = committed(schema, lambda: _download_in_the_console(enterprises.a.host, request_id))

        assert 'data-testid="kin-result"' in page
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            assert json.loads(opened.read("profile.json"))[0]["email"] == "gu.ren.bing@example.com"
        assert committed(schema, lambda: AuditEntry.objects.filter(
            action="download", object_id=str(request_id), actor=f"user:{manager_id}").exists())
    finally:
        committed(schema, lambda: _forget(request_id))
