"""Large exports run in the background (issue 14; E7, X2): a job with progress on a status page, a
file under the enterprise's media path that only its exporter downloads (audited), masked as the
export rules say, deleted after its short retention. Through the console and the real worker."""
import time

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from orgdata.models import ExportJob
from orgdata.services import exports as export_services
from tests.committing import committed
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

pytestmark = pytest.mark.usefixtures("celery_worker")


class _Console:
    """The console as one administrator, every request committed at once (the worker sees it)."""

    def __init__(self, enterprise, account):
        self.schema, self.client = enterprise.schema_name, Client(HTTP_HOST=enterprise.host)
        committed(self.schema, lambda: self.client.force_login(account))

    def get(self, url):
        def read():
            response = self.client.get(url)
            if response.streaming:
                response.body = b"".join(response.streaming_content)
            return response
        return committed(self.schema, read)

    def post(self, url, data):
        return committed(self.schema, lambda: self.client.post(url, data))


@pytest.mark.promise("X2")
def test_an_export_runs_on_the_worker_and_only_its_exporter_downloads_the_masked_file(own_enterprise):
    schema = own_enterprise.schema_name
    manager, person, deputy = committed(schema, lambda: (
        lambda tree: (User.objects.get(role=User.Role.MANAGER),
                      make_employee(employee_number="BX-1", name="后台导出", department=tree["east"],
                                    mobile="13912360001"),
                      make_sub_administrator(departments=[tree["sales"]],
                                             manager=User.objects.get(role=User.Role.MANAGER))))(make_tree()))
    console = _Console(own_enterprise, manager)
    started = console.post("/console/organisation/export/", {"file_format": "csv"})
    assert started.status_code == 302
    status_url = started["Location"]
    deadline = time.monotonic() + 60
    while not (progress := console.get(f"{status_url}?format=json").json())["is_finished"]:
        assert time.monotonic() < deadline, progress
        time.sleep(0.2)
    assert progress["status"] == "succeeded" and progress["percent"] == 100 and progress["total"] >= 1
    page = console.get(status_url).content.decode()
    assert "Download the CSV file" in page

    job = committed(schema, lambda: ExportJob.objects.get())
    assert job.file.name.startswith(f"{schema}/orgdata/exports/")
    downloaded = console.get(f"{status_url}download/")
    text = downloaded.body.decode("utf-8-sig")
    assert downloaded.status_code == 200 and "attachment" in downloaded["Content-Disposition"]
    assert "后台导出" in text and "139****0001" in text and "13912360001" not in text  # X2: masked
    assert committed(schema, lambda: AuditEntry.objects.filter(
        action="export_downloaded", object_id=str(job.pk), actor=f"user:{manager.pk}").count()) == 1

    # Another administrator does not find it; once expired the file is gone and nobody downloads it.
    other = _Console(own_enterprise, deputy)
    assert other.get(f"{status_url}download/").status_code == 404
    committed(schema, lambda: ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now()))
    assert committed(schema, export_services.expire_exports) == {"expired": 1, "stalled": 0}
    expired = committed(schema, lambda: ExportJob.objects.get(pk=job.pk))
    assert expired.status == ExportJob.Status.EXPIRED and not expired.file
    assert not expired.file.storage.exists(job.file.name)
    gone = console.get(f"{status_url}download/")
    assert gone.status_code == 400 and "expired" in gone.content.decode()
