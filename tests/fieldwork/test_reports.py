"""Daily and weekly reports through the mobile API (A1): text, figures, files checked by content and
bounded, a position only with location consent; nothing half-written when one part is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from fieldwork.models import Report, ReportAttachment
from tests.fieldwork.factories import GPS, METADATA_MARKER, PDF, field_worker, image_bytes, run_upload_checks

REPORTS = "/api/v1/field/reports"


def _today():
    return timezone.localdate()  # the enterprise's day (Asia/Shanghai)


def _monday():
    return _today() - timedelta(days=_today().weekday())


@pytest.mark.promise("A1")
def test_a_report_records_its_position_only_with_location_consent(enterprises):
    person = field_worker(enterprises.a)
    daily = {"kind": "daily", "period_start": _today().isoformat(), "body": "Visited 3 customers.",
             "figures": {"visits": 3, "orders": 1, "revenue": 1250.5}}
    refused = person.post(REPORTS, {**daily, "location": GPS})
    assert refused.status_code == 403 and refused.json()["missing"] == ["device.location"]
    with schema_context(enterprises.a.schema_name):
        assert not Report.objects.filter(person=person.user).exists()

    typed = person.post(REPORTS, {**daily, "place": "Pudong office"})
    assert typed.status_code == 201, typed.content
    assert typed.json()["place"] == "Pudong office" and typed.json()["location"] is None
    assert typed.json()["figures"] == {"visits": 3, "orders": 1, "revenue": 1250.5}
    # Neither a position nor a place: a report needs no whereabouts at all.
    weekly = person.post(REPORTS, {"kind": "weekly", "period_start": _monday().isoformat(), "body": "Good week."})
    assert weekly.status_code == 201, weekly.content

    person.grant("device.location")
    yesterday = (_today() - timedelta(days=1)).isoformat()
    located = person.post(REPORTS, {**daily, "period_start": yesterday, "location": GPS})
    assert located.status_code == 201 and located.json()["location"] == "***"
    with schema_context(enterprises.a.schema_name):
        assert Report.objects.get(pk=located.json()["id"]).location["lat"] == 31.2304
    assert [report["id"] for report in person.get(REPORTS).json()][0] in (typed.json()["id"], weekly.json()["id"])


def test_report_refusals_name_their_field(enterprises):
    person = field_worker(enterprises.a)
    today = _today().isoformat()
    tuesday = (_monday() - timedelta(days=6)).isoformat()
    cases = [
        ({"kind": "daily", "period_start": today, "body": ""}, "body"),
        ({"kind": "monthly", "period_start": today, "body": "x"}, "kind"),
        ({"kind": "daily", "period_start": (_today() + timedelta(days=1)).isoformat(), "body": "x"}, "period_start"),
        ({"kind": "weekly", "period_start": tuesday, "body": "x"}, "period_start"),
        ({"kind": "daily", "period_start": today, "body": "x", "figures": {"visits": "many"}}, "figures"),
        ({"kind": "daily", "period_start": today, "body": "x", "figures": [1, 2]}, "figures"),
        ({"kind": "daily", "period_start": today, "body": "x", "figures": {f"f{n}": n for n in range(21)}}, "figures"),
        ({"kind": "daily", "period_start": "31/02/2026", "body": "x"}, "period_start"),
    ]
    for body, field in cases:
        response = person.post(REPORTS, body)
        assert response.status_code == 400 and field in response.json()["fields"], (body, response.content)
    # A multipart report carries its figures and position as JSON strings: one nested far too deep
    # is refused on its field, never a server error.
    for field in ("figures", "location"):
        deep = person.client.post(REPORTS, {"kind": "daily", "period_start": today, "body": "x",
                                            field: "[" * 100_000}, format="multipart")
        assert deep.status_code == 400 and field in deep.json()["fields"], deep.content
    assert person.post(REPORTS, {"kind": "daily", "period_start": today, "body": "first"}).status_code == 201
    second = person.post(REPORTS, {"kind": "daily", "period_start": today, "body": "again"})
    assert second.status_code == 400 and "period_start" in second.json()["fields"]


@pytest.mark.promise("A1")
def test_attachments_are_checked_by_content_bounded_and_all_or_nothing(enterprises):
    person = field_worker(enterprises.a)

    def submit(files, day):
        return person.client.post(REPORTS, {"kind": "daily", "period_start": day.isoformat(), "body": "With files",
                                            "figures": '{"calls": 4}', "attachments": files}, format="multipart")

    def upload(name, content):
        return SimpleUploadedFile(name, content, content_type="application/octet-stream")

    with schema_context(enterprises.a.schema_name):
        before = ReportAttachment.objects.count()
    # One bad file refuses the whole report: no row, no stored file.
    bad = submit([upload("a.jpg", image_bytes()), upload("b.pdf", b"MZ\x90\x00 an executable")], _today())
    assert bad.status_code == 400 and "attachments" in bad.json()["fields"]
    too_many = submit([upload(f"{n}.pdf", PDF) for n in range(6)], _today())
    assert too_many.status_code == 400 and "attachments" in too_many.json()["fields"]
    truncated = submit([upload("c.pdf", PDF[:-7])], _today())
    assert truncated.status_code == 400 and "attachments" in truncated.json()["fields"]
    with schema_context(enterprises.a.schema_name):
        assert ReportAttachment.objects.count() == before
        assert not Report.objects.filter(person=person.user).exists()

    accepted = submit([upload("photo.jpg", image_bytes()), upload("offer.pdf", PDF)], _today())
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["attachments"] == 2 and accepted.json()["figures"] == {"calls": 4}
    # The PDF is stored as checked; the image waits for the worker, which removes its metadata.
    assert sorted(check["status"] for check in accepted.json()["attachment_checks"]) == ["pending", "ready"]
    assert set(run_upload_checks(enterprises.a).values()) == {"ready"}
    with schema_context(enterprises.a.schema_name):
        stored = {attachment.file.name.rsplit(".", 1)[-1]: attachment.file.open("rb").read()
                  for attachment in ReportAttachment.objects.filter(report_id=accepted.json()["id"])}
    assert set(stored) == {"jpg", "pdf"}
    assert METADATA_MARKER.encode() not in stored["jpg"] and stored["pdf"] == PDF
