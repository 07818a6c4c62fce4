import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from privacy.registry import undeclared_personal_fields
from tests.consent.factories import PolicyVersionFactory, signed_in


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
