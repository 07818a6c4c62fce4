"""C6/C9/C11: a consent receipt quotes the purpose as the revision the person answered said it,
however the purpose was revised since."""
import importlib
import json
from dataclasses import replace

import pytest
from django.apps import apps as django_apps
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from consent import catalogue
from consent.services import catalogue as catalogue_services
from consent.models import Purpose, PurposeRevision, Recipient
from tests.consent.factories import signed_in
from tests.orgdata.factories import TEST_SETUP


def _receipt(person, event_id) -> dict:
    response = person.get(f"/api/v1/consent/receipts/{event_id}")
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.promise("C6")
@pytest.mark.promise("C9")
def test_the_receipt_of_an_answer_keeps_the_affiliates_purpose_and_types_it_was_given_for(enterprises):
    person = signed_in(enterprises.a)
    first = person.grant("share.affiliate.qince")
    assert first.status_code == 201
    with schema_context(enterprises.a.schema_name):
        asked = Purpose.objects.get(code="share.affiliate.qince")
        catalogue_services.revise_recipient(actor=TEST_SETUP, recipient=Recipient.objects.get(code="affiliate.qince"),
                                            purpose_en="Advertising measurement", purpose_zh_hans="广告效果评估",
                                            pi_types=["login_account"])
    second = person.grant("share.affiliate.qince")
    assert second.status_code == 201

    old = _receipt(person, first.json()["id"])["purpose"]
    assert old["revision"] == 1 and old["statement_recorded"] is True
    assert (old["statement_en"], old["statement_zh_hans"]) == (asked.statement_en, asked.statement_zh_hans)
    assert "Advertising measurement" not in old["statement_en"]
    assert old["recipient"] == "affiliate.qince"
    assert old["shared_with"]["purpose_en"] == catalogue.recipient_definition("affiliate.qince").purpose_en
    assert old["shared_with"]["pi_types"] == ["login_account", "name"]

    new = _receipt(person, second.json()["id"])["purpose"]
    assert new["revision"] == 2 and new["statement_recorded"] is True
    assert "Advertising measurement" in new["statement_en"] and "广告效果评估" in new["statement_zh_hans"]
    assert (new["shared_with"]["purpose_en"], new["shared_with"]["purpose_zh_hans"]) == (
        "Advertising measurement", "广告效果评估")
    assert new["shared_with"]["pi_types"] == ["login_account"]


@pytest.mark.promise("C6")
@pytest.mark.promise("C11")
def test_the_receipt_of_an_answer_keeps_the_wording_of_a_revision_the_catalogue_replaced(
        enterprises, monkeypatch, django_capture_on_commit_callbacks):
    person = signed_in(enterprises.a)
    with django_capture_on_commit_callbacks(execute=True):
        first = person.grant("public_disclosure")
    assert first.status_code == 201
    original = next(d for d in catalogue.ALL_PURPOSES if d.code == "public_disclosure")
    changed = tuple(replace(d, statement_en="Publish your sanctions on the notice board.", statement_zh="在公告栏公布处分。")
                    if d.code == "public_disclosure" else d for d in catalogue.ALL_PURPOSES)
    monkeypatch.setattr(catalogue, "ALL_PURPOSES", changed)
    with schema_context(enterprises.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        assert catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC)["revised"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        second = person.grant("public_disclosure")
    assert second.status_code == 201

    old = _receipt(person, first.json()["id"])["purpose"]
    assert (old["revision"], old["statement_recorded"]) == (1, True)
    assert (old["statement_en"], old["statement_zh_hans"]) == (original.statement_en, original.statement_zh)
    assert old["kind"] == "disclosure" and old["shared_with"] is None
    new = _receipt(person, second.json()["id"])["purpose"]
    assert (new["revision"], new["statement_en"], new["statement_zh_hans"]) == (
        2, "Publish your sanctions on the notice board.", "在公告栏公布处分。")


@pytest.mark.promise("C6")
def test_a_revision_whose_wording_was_never_kept_is_marked_as_todays_wording(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        # As a revision made before the revisions were kept (migration 0002).
        purpose = Purpose.objects.get(code="device.calendar")
        purpose.revision += 1
        purpose.save()
    event_id = person.grant("device.calendar", explicit=False).json()["id"]

    shown = _receipt(person, event_id)["purpose"]
    assert (shown["revision"], shown["statement_recorded"]) == (purpose.revision, False)
    assert shown["statement_en"] == purpose.statement_en


@pytest.mark.promise("C6")
def test_every_purpose_keeps_its_current_revision_and_the_database_refuses_changing_one(enterprises):
    with schema_context(enterprises.a.schema_name):
        for purpose in Purpose.objects.all():
            kept = PurposeRevision.objects.get(purpose=purpose, revision=purpose.revision)
            assert (kept.statement_en, kept.statement_zh_hans) == (purpose.statement_en, purpose.statement_zh_hans)
        for statement in ("UPDATE consent_purposerevision SET statement_en = 'x' WHERE id = %s",
                          "DELETE FROM consent_purposerevision WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement, [kept.pk])
        assert PurposeRevision.objects.get(pk=kept.pk).statement_en == purpose.statement_en


@pytest.mark.promise("C6")
def test_the_migration_keeps_the_current_revision_of_purposes_that_had_none(enterprises):
    migration = importlib.import_module("consent.migrations.0002_purpose_revision")
    with schema_context(enterprises.a.schema_name):
        purpose = Purpose.objects.select_related("recipient").get(code="share.partner.mobo")
        purpose.revision += 1
        purpose.save()
        assert not PurposeRevision.objects.filter(purpose=purpose, revision=purpose.revision).exists()

        migration.record_current_revisions(django_apps, None)
        migration.record_current_revisions(django_apps, None)  # again: nothing kept twice

        kept = PurposeRevision.objects.get(purpose=purpose, revision=purpose.revision)
        assert kept.statement_en == purpose.statement_en
        assert (kept.recipient_name_en, kept.pi_types) == (purpose.recipient.name_en, purpose.recipient.pi_types)
        assert PurposeRevision.objects.filter(purpose=purpose).count() == 2
