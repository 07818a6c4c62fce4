"""Visits, their photos, reports and their files are transaction records (X4, S2): the daily
retention job deletes them 3 years after they were made, rule derived from the data map, and a
deleted photo's or file's stored file goes with it."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from audit import retention
from audit import tasks as audit_tasks
from consent.services import ledger
from fieldwork import services as fieldwork_services
from fieldwork.models import Report, ReportAttachment, Visit, VisitPhoto
from tests.accounts.factories import EmployeeAccountFactory
from tests.fieldwork.factories import PDF, image_upload


@pytest.mark.promise("S2")
def test_field_work_expires_three_years_after_it_was_made_and_its_files_go_with_it(
        enterprises, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    with schema_context(enterprises.b.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        person = EmployeeAccountFactory()
        ledger.grant_consent(actor=person, person=person, purpose_code="device.camera", channel="mobile",
                             explicit_confirmation=True)
        customer = fieldwork_services.add_customer(actor=manager, name="Retention Customer")
        old, young = (fieldwork_services.check_in_visit(actor=person, customer_id=customer.pk, place=f"s2-{age}")
                      for age in ("old", "young"))
        photo = fieldwork_services.add_visit_photo(actor=person, visit_id=old.pk, image=image_upload())
        report = fieldwork_services.submit_report(actor=person, kind="daily", period_start=timezone.localdate(),
                                                  body="Old report", attachments=[ContentFile(PDF, name="r.pdf")])
        files = [photo.image.name, ReportAttachment.objects.get(report=report).file.name]
        now = timezone.now()
        Visit.objects.filter(pk=old.pk).update(checked_in_at=retention.months_before(now, 37))
        VisitPhoto.objects.filter(pk=photo.pk).update(taken_at=retention.months_before(now, 37))
        Report.objects.filter(pk=report.pk).update(submitted_at=retention.months_before(now, 37))
        ReportAttachment.objects.filter(report=report).update(uploaded_at=retention.months_before(now, 37))
        rules = {rule.label: rule for rule in retention.row_rules()}
        assert (rules["fieldwork.Visit"].timestamp_field, rules["fieldwork.Visit"].setting) == (
            "checked_in_at", "transaction")

        with django_capture_on_commit_callbacks(execute=True):
            audit_tasks.apply_retention.apply().get()  # the daily task, run in this process

        assert list(Visit.objects.filter(person=person).values_list("pk", flat=True)) == [young.pk]
        assert not VisitPhoto.objects.filter(person=person).exists()
        assert not Report.objects.filter(person=person).exists()
        assert not ReportAttachment.objects.filter(person=person).exists()
        assert not any(default_storage.exists(name) for name in files)
