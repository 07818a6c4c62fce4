"""C7: a purpose added to (or changed in) the code's catalogue reaches every enterprise — existing
ones after each migrate or through `consent_sync_catalogue`, new ones when provisioned — with
nobody consenting."""
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from consent import catalogue, gate
from consent.models import ConsentEvent, Purpose
from tenants.models import Enterprise
from tenants.signals import enterprise_provisioned
from tests.consent.factories import signed_in

NEW_PURPOSE = catalogue.PurposeDefinition(
    "voice_notes", "feature", "Voice notes", "语音便签",
    "Record voice notes on visits; stored with the visit.", "在拜访中录制语音便签，随拜访保存。", "C7")


@pytest.fixture
def catalogue_with_a_new_purpose(monkeypatch):
    monkeypatch.setattr(catalogue, "ALL_PURPOSES", catalogue.ALL_PURPOSES + (NEW_PURPOSE,))
    return NEW_PURPOSE


def _sync(**options) -> str:
    out = StringIO()
    call_command("consent_sync_catalogue", stdout=out, **options)
    return out.getvalue()


def _listed(person, code):
    return next((row for row in person.get("/api/v1/consent/purposes").json() if row["code"] == code), None)


@pytest.mark.promise("C7")
def test_a_purpose_added_to_the_catalogue_reaches_an_existing_enterprise_with_nobody_consenting(
        enterprises, catalogue_with_a_new_purpose):
    person = signed_in(enterprises.a)
    assert _listed(person, NEW_PURPOSE.code) is None

    output = _sync(schema=enterprises.a.schema_name)

    assert f"{enterprises.a.schema_name}: 1 added, 0 revised, 0 retired" in output
    with schema_context(enterprises.a.schema_name):
        purpose = Purpose.objects.get(code=NEW_PURPOSE.code)
        assert purpose.is_active and purpose.revision == 1
        assert not ConsentEvent.objects.filter(purpose=purpose).exists()
        assert not gate.may_process(person.user, NEW_PURPOSE.code)
    listed = _listed(person, NEW_PURPOSE.code)
    assert listed is not None and listed["has_consented"] is False
    with schema_context(enterprises.b.schema_name):  # only the schema asked for
        assert not Purpose.objects.filter(code=NEW_PURPOSE.code).exists()

    # Idempotent: a second run changes nothing.
    assert f"{enterprises.a.schema_name}: in step" in _sync(schema=enterprises.a.schema_name)
    with schema_context(enterprises.a.schema_name):
        assert Purpose.objects.get(code=NEW_PURPOSE.code).revision == 1


@pytest.mark.promise("C7")
def test_without_a_schema_every_enterprise_is_synced(enterprises, catalogue_with_a_new_purpose):
    _sync()
    for each in (enterprises.a, enterprises.b):
        with schema_context(each.schema_name):
            assert Purpose.objects.get(code=NEW_PURPOSE.code).revision == 1
    assert "0 of" in _sync()


def test_an_unknown_schema_is_refused(enterprises):
    with pytest.raises(CommandError):
        _sync(schema="public")
    with pytest.raises(CommandError):
        _sync(schema="ent_no_such_enterprise")


@pytest.mark.promise("C7")
def test_migrating_an_enterprise_schema_syncs_its_catalogue(enterprises, catalogue_with_a_new_purpose):
    # django-tenants' migrate_schemas sends post_migrate in each schema it migrates.
    call_command("migrate_schemas", schema_name=enterprises.a.schema_name, interactive=False, verbosity=0)
    with schema_context(enterprises.a.schema_name):
        assert Purpose.objects.get(code=NEW_PURPOSE.code).revision == 1
        assert not ConsentEvent.objects.filter(purpose__code=NEW_PURPOSE.code).exists()


@pytest.mark.promise("C7")
def test_a_catalogue_change_without_a_migration_reaches_every_enterprise_through_migrate_schemas(
        enterprises, catalogue_with_a_new_purpose):
    call_command("migrate_schemas", verbosity=0)  # nothing is behind: no schema gets post_migrate

    for each in (enterprises.a, enterprises.b):
        with schema_context(each.schema_name):
            assert Purpose.objects.get(code=NEW_PURPOSE.code).revision == 1
            assert not ConsentEvent.objects.filter(purpose__code=NEW_PURPOSE.code).exists()
    with schema_context(enterprises.a.schema_name):
        assert Purpose.objects.filter(code=NEW_PURPOSE.code).count() == 1
    assert "0 of" in _sync()  # nothing left out of step


@pytest.mark.promise("C7")
def test_a_changed_purpose_gets_its_next_revision_and_earlier_consent_no_longer_counts(
        enterprises, monkeypatch, django_capture_on_commit_callbacks):
    person = signed_in(enterprises.a)
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.contacts", explicit=False).status_code == 201
    with schema_context(enterprises.a.schema_name):
        assert gate.may_process(person.user, "device.contacts")
    changed = tuple(replace(definition, statement_en=definition.statement_en + " And to suggest colleagues.")
                    if definition.code == "device.contacts" else definition for definition in catalogue.ALL_PURPOSES)
    monkeypatch.setattr(catalogue, "ALL_PURPOSES", changed)

    with django_capture_on_commit_callbacks(execute=True):
        assert "0 added, 1 revised" in _sync(schema=enterprises.a.schema_name)
    with schema_context(enterprises.a.schema_name):
        assert Purpose.objects.get(code="device.contacts").revision == 2
        assert not gate.may_process(person.user, "device.contacts")


@pytest.mark.promise("C7")
def test_a_new_enterprise_cloned_before_the_change_gets_the_current_catalogue(enterprises,
                                                                             catalogue_with_a_new_purpose):
    with schema_context(enterprises.a.schema_name):
        enterprise_provisioned.send(sender=Enterprise, enterprise=enterprises.a.enterprise)
        assert Purpose.objects.get(code=NEW_PURPOSE.code).revision == 1
