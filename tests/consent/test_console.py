import html
import re

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from privacy.registry import undeclared_personal_fields
from tests.accounts.factories import EmployeeAccountFactory
from tests.consent.factories import signed_in
from tests.policies.factories import PolicyVersionFactory


@pytest.fixture
def console(enterprises, client):
    with schema_context(enterprises.a.schema_name):
        client.force_login(User.objects.get(role=User.Role.MANAGER))
    client.defaults["HTTP_HOST"] = enterprises.a.host
    return client


def _coverage_of(page: str, code: str) -> tuple[str, str]:
    """The privacy overview's (consenting, people) for one purpose, as the reader sees them."""
    row = page.split(f'data-purpose="{code}"')[1].split("</tr>")[0]
    consenting, people = html.unescape(re.findall(r"<td>([^<]*)</td>", row)[-1]).split(" / ")
    return consenting, people


def _people_counted(enterprise) -> int:
    with schema_context(enterprise.schema_name):
        return User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).count()


def test_coverage_per_purpose_shows_counts_never_who_declined(enterprises, console):
    yes, no = signed_in(enterprises.a, display_name="Consenting Person"), signed_in(enterprises.a,
                                                                                   display_name="Declining Person")
    yes.grant("device.location")
    no.grant("device.location")
    no.withdraw("device.location")
    page = console.get("/console/privacy/").content.decode()
    assert 'data-purpose="device.location"' in page
    assert _coverage_of(page, "device.location")[0] == "<5"  # S3: one person is a small cell
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
        # The exact counts, before S3 anonymises them for the page (a calculation check).
        total, exact = selectors._exact_coverage()
        coverage = {purpose.code: consenting for purpose, consenting in exact}
        assert total == len(people)
        for code, consenting in coverage.items():
            assert consenting == sum(gate.may_process(person, code) for person in people), code
    assert coverage["location_tracking"] == 1
    assert coverage["device.location"] == 1
    assert coverage["device.camera"] == 0
    page = console.get("/console/privacy/").content.decode()
    assert _coverage_of(page, "location_tracking")[0] == "<5"


@pytest.mark.promise("S3")
def test_coverage_suppresses_fewer_than_5_people_and_shows_5_or_more(enterprises, console):
    consenting = [signed_in(enterprises.a, with_attendance=False) for _ in range(6)]
    for person in consenting[:3]:
        assert person.grant("device.location").status_code == 201
    with schema_context(enterprises.a.schema_name):
        EmployeeAccountFactory.create_batch(5)  # people who answered nothing: the rest stays 5 or more
    people = _people_counted(enterprises.a)
    assert people >= 12
    page = console.get("/console/privacy/").content.decode()
    assert _coverage_of(page, "device.location") == ("<5", str(people))
    assert "small-cells" in page  # the page says what "<5" means
    for person in consenting[3:]:
        assert person.grant("device.location").status_code == 201
    page = console.get("/console/privacy/").content.decode()
    assert _coverage_of(page, "device.location") == ("6", str(people))


@pytest.mark.promise("S3")
def test_coverage_with_its_total_never_reveals_a_small_cell(enterprises, console):
    # Everyone but a few consents: "consenting / people" would tell how many declined by
    # subtraction, so the count is given as a range.
    already = _people_counted(enterprises.a)
    consenting = [signed_in(enterprises.a, with_attendance=False) for _ in range(max(5, 8 - already))]
    for person in consenting:
        assert person.grant("device.location").status_code == 201
    people = _people_counted(enterprises.a)
    rest = already  # everyone who was there before consents to nothing
    assert 0 < rest < 5
    page = console.get("/console/privacy/").content.decode()
    shown, total = _coverage_of(page, "device.location")
    assert total == str(people)
    assert shown == f">{people - 5}" and str(people - rest) not in shown
    # Nobody at all consents: a zero is a small cell too (it tells every person's answer).
    assert _coverage_of(page, "device.camera") == ("<5", str(people))


@pytest.mark.promise("S3")
def test_a_small_enterprise_shows_no_count_at_all(enterprises, console):
    person = signed_in(enterprises.a, with_attendance=False)
    assert person.grant("device.location").status_code == 201
    people = _people_counted(enterprises.a)
    assert people < 5
    page = console.get("/console/privacy/").content.decode()
    assert _coverage_of(page, "device.location") == ("<5", "<5")


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
