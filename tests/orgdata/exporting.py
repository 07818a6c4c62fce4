"""Exporting through the console as an administrator does: ask for the file, let the worker's
function make it (in-process: the tests' fixtures are uncommitted, a worker could not see them; the
path through the real worker is in test_export_background.py), download it."""
from dataclasses import dataclass

from django.db import connection
from django_tenants.utils import schema_context

from orgdata.services import exports as export_services


@dataclass
class Downloaded:
    status_code: int
    content: bytes
    headers: dict

    def __getitem__(self, name: str) -> str:
        return self.headers[name]


def exported_through_console(console, data: dict) -> Downloaded:
    started = console.post("/console/organisation/export/", data)
    assert started.status_code == 302, started.status_code
    pk = int(started["Location"].rstrip("/").rsplit("/", 1)[-1])
    with schema_context(connection.schema_name):  # the enterprise the request was for
        export_services.run_export(job_id=pk)  # what the worker's task runs
    downloaded = console.get(f"/console/organisation/export/{pk}/download/")
    content = b"".join(downloaded.streaming_content) if downloaded.streaming else downloaded.content
    return Downloaded(downloaded.status_code, content, dict(downloaded.headers))
