"""Field work in the data map (A1): every table declared with category, purpose, retention class and
erasure action; a visit, its photo, a report and its file appear in the person's copy (R2) and are
erased with the person, which the residue scan proves (R4)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from erasure import person_rows
from erasure import services as erasure_services
from erasure.models import ErasureJob
from fieldwork.models import Report, ReportAttachment, Visit, VisitPhoto
from privacy import registry
from privacy.models import PersonKey
from rights import copy_archive
from tests.erasure.factories import GPS, make_person_everywhere
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: enterprise A)


def test_every_field_work_table_is_declared():
    declared = {declaration.table: declaration for declaration in registry.table_declarations()}
    assert declared["fieldwork_customer"].kind == registry.TableKind.LINKS_TO_ACTOR
    for table in ("fieldwork_visit", "fieldwork_visitphoto", "fieldwork_report", "fieldwork_reportattachment"):
        declaration = declared[table]
        assert declaration.kind == registry.TableKind.ABOUT_PERSON and declaration.subject == "person"
        for rule in declaration.fields.values():
            assert rule.retention == registry.RetentionClass.TRANSACTION and rule.retention_starts
    for table, field in (("fieldwork_visit", "check_in_location"), ("fieldwork_visit", "check_out_location"),
                         ("fieldwork_report", "location")):
        rule = declared[table].fields[field]
        # A1/C2: a position is sensitive, gated by location consent, masked, crypto-shredded.
        assert (rule.category, rule.purpose, rule.mask, rule.erasure) == (
            registry.Category.SENSITIVE, "device.location", registry.Mask.LOCATION, registry.Erasure.CRYPTO_SHRED)
    assert declared["fieldwork_visitphoto"].fields["image"].purpose == "device.camera"
    assert registry.undeclared_personal_fields() == []


@pytest.mark.promise("A1")
def test_the_copy_of_my_data_holds_my_visits_and_reports_readable(in_a, manager):
    person = make_person_everywhere(manager=manager)
    with zipfile.ZipFile(io.BytesIO(copy_archive.build_copy_archive(person=person))) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    [visit] = json.loads(files["customer-visits.json"])
    assert visit["check_in_location"]["lat"] == GPS["lat"] and visit["check_in_place"] == "Customer lobby"
    assert visit["check_out_place"] == "Customer gate" and visit["note"] == "Met the buyer"
    [photo] = json.loads(files["visit-photos.json"])
    assert files[photo["image"]] == default_storage.open(VisitPhoto.objects.get(person=person).image.name).read()
    [report] = json.loads(files["reports.json"])
    assert report["body"] == "Visited the buyer." and report["figures"] == {"visits": 1}
    assert report["location"]["lng"] == GPS["lng"]
    [attachment] = json.loads(files["report-files.json"])
    assert attachment["file"] in files
    manifest = json.loads(files["manifest.json"])
    visits = next(category for category in manifest["categories"] if category["name"] == "customer-visits")
    location = next(entry for entry in visits["fields"] if entry["name"] == "check_in_location")
    assert location["purpose"] == "device.location" and location["retention_starts"] == "checked_in_at"


@pytest.mark.promise("A1")
def test_erasing_the_person_erases_their_field_work_and_the_residue_scan_covers_it(in_a, manager):
    person = make_person_everywhere(manager=manager)
    stored = [*(photo.image.name for photo in VisitPhoto.objects.filter(person=person)),
              *(attachment.file.name for attachment in ReportAttachment.objects.filter(person=person))]
    assert len(stored) == 2 and all(default_storage.exists(name) for name in stored)
    tables = {declaration.table for declaration in person_rows.tables_about_a_person()}
    assert {"fieldwork_visit", "fieldwork_visitphoto", "fieldwork_report", "fieldwork_reportattachment"} <= tables

    job = erasure_services.erase_person(actor=manager, person=person, reason="the person asked (test)")
    job = erasure_services.run_erasure_job(job_id=job.pk)

    assert job.status == ErasureJob.Status.DONE and job.residue == []
    assert PersonKey.objects.get(pk=person.person_key_id).wrapped_key is None
    # Visits and reports are kept as transaction records (X4) but read as nothing (R4: crypto-shredded).
    visit = Visit.objects.get(person_id=person.pk)
    assert visit.check_in_location is None and visit.check_in_place == "" and visit.note == ""
    report = Report.objects.get(person_id=person.pk)
    assert report.body == "" and report.location is None and report.figures is None
    # Photos and files are deleted with their rows.
    assert not VisitPhoto.objects.filter(person_id=person.pk).exists()
    assert not ReportAttachment.objects.filter(person_id=person.pk).exists()
    assert not any(default_storage.exists(name) for name in stored)


def test_the_residue_scan_names_field_work_left_behind(in_a, manager, monkeypatch):
    person = make_person_everywhere(manager=manager)
    # The engine without its data-map steps: what the scan must then find of field work.
    monkeypatch.setattr(erasure_services, "STEPS", tuple(
        step for step in erasure_services.STEPS if step[0] not in ("rows_by_data_map", "destroy_key")))
    job = erasure_services.erase_person(actor=manager, person=person, reason="the person asked (test)")
    with pytest.raises(erasure_services.ResidueFound):
        erasure_services.run_erasure_job(job_id=job.pk)
    job.refresh_from_db()
    assert {entry.split(".")[0] for entry in job.residue} >= {
        "fieldwork_visit", "fieldwork_visitphoto", "fieldwork_report", "fieldwork_reportattachment"}
