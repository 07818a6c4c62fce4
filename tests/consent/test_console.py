import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from privacy.registry import undeclared_personal_fields
from tests.consent.factories import signed_in
from tests.policies.factories import PolicyVersionFactory


@pytest.fixture
def console(enterprises, client):
    with schema_context(enterprises.a.schema_name):
        client.force_login(User.objects.get(role=User.Role.MANAGER))
    client.defaults["HTTP_HOST"] = enterprises.a.host
    return client


def test_coverage_per_purpose_shows_counts_never_who_declined(enterprises, console):
    yes, no = signed_in(enterprises.a, display_name="Consenting Person"), signed_in(enterprises.a,
                                                                                   display_name="Declining Person")
    yes.grant("device.location")
    no.grant("device.location")
    no.withdraw("device.location")
    page = console.get("/console/privacy/").content.decode()
    assert 'data-purpose="device.location"' in page
    row = page.split('data-purpose="device.location"')[1].split("</tr>")[0]
    with schema_context(enterprises.a.schema_name):
        people = User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).count()
    assert f"1 / {people}" in row
    assert "Declining Person" not in page and "Consenting Person" not in page
    assert 'data-purpose="basic_service"' not in page


def test_coverage_counts_what_the_gate_allows_and_only_active_people(enterprises, console):
    from consent import gate, selectors

    tracked_then_location_off = signed_in(enterprises.a)
    tracked = signed_in(enterprises.a)
    for person in (tracked_then_location_off, tracked):
        assert person.grant("device.location").status_code == 201
        assert person.grant("location_tracking").status_code == 201
    # Tracking requires location (A3): withdrawing location stops tracking too.
    assert tracked_then_location_off.withdraw("device.location").status_code == 201
    left = signed_in(enterprises.a)
    assert left.grant("device.camera", explicit=False).status_code == 201
    with schema_context(enterprises.a.schema_name):
        User.objects.filter(pk=left.user.pk).update(is_active=False)
        people = list(User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF))
        coverage = {row["purpose"].code: row for row in selectors.consent_coverage()}
        for code, row in coverage.items():
            assert row["people"] == len(people)
            assert row["consenting"] == sum(gate.may_process(person, code) for person in people), code
    assert coverage["location_tracking"]["consenting"] == 1
    assert coverage["device.location"]["consenting"] == 1
    assert coverage["device.camera"]["consenting"] == 0
    page = console.get("/console/privacy/").content.decode()
    row = page.split('data-purpose="location_tracking"')[1].split("</tr>")[0]
    assert f"1 / {len(people)}" in row


@pytest.mark.promise("C8")
def test_the_console_announces_an_upcoming_version_with_its_dates(enterprises, console):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.8", days_ago=2, is_significant=True)
    page = console.get("/console/privacy/").content.decode()
    assert "Version 2026.8 published" in page and "Significant change" in page


def test_consent_policy_and_attendance_models_declare_their_personal_fields():
    mine = [label for label in undeclared_personal_fields()
            if label.split(".")[0] in {"consent", "policies", "attendance"}]
    assert mine == []
