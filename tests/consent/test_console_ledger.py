"""The console's sharing ledger (C9/C11/R3): what went to which recipient, when, under which
consent or legal basis, and the deletion notices' status — the manager sees everyone's, a
sub-administrator the people of their departments only (E5), an employee nothing."""
import re

import pytest
from django_tenants.utils import schema_context

from consent.models import LegalBasis
from consent.services import deletion_notices as notice_services
from consent.services import sharing as sharing_services
from tests.consent.factories import signed_in
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: enterprise A)
from tests.orgdata.factories import TEST_SETUP, make_employee, make_sub_administrator, make_tree

URL = "/console/privacy/sharing/"


def _disclosed_to(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-disclosure="(\d+)"', response.content.decode())]


@pytest.fixture
def shared(enterprises, in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="LED-IN")
    outside = make_employee(department=tree["east"], name="外部人", employee_number="LED-OUT")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    for employee in (inside, outside):
        assert signed_in(enterprises.a, employee.account).grant("share.affiliate.qince").status_code == 201
    with schema_context(enterprises.a.schema_name):
        by_consent = sharing_services.share_with_recipient(actor=TEST_SETUP, person=inside.account,
                                                           purpose_code="share.affiliate.qince")
        outside_record = sharing_services.share_with_recipient(actor=TEST_SETUP, person=outside.account,
                                                               purpose_code="share.affiliate.qince")
        by_law = sharing_services.share_with_recipient(
            actor=TEST_SETUP, person=inside.account, purpose_code="public_disclosure",
            legal_basis=LegalBasis.LEGAL_OBLIGATION, reference="TAX-2026-7")
        notice_services.notify_recipients_of_erasure(actor=TEST_SETUP, person=outside.account)
    return {"inside": inside, "outside": outside, "deputy": deputy, "manager": manager, "console_as": console_as,
            "by_consent": by_consent, "by_law": by_law, "outside_record": outside_record}


@pytest.mark.promise("C9")
def test_the_manager_sees_what_went_where_when_and_on_which_grounds(shared):
    page = shared["console_as"](shared["manager"]).get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert {shared["by_consent"].pk, shared["by_law"].pk, shared["outside_record"].pk} <= set(_disclosed_to(page))
    assert "内部人" in text and "外部人" in text
    row = text.split(f'data-disclosure="{shared["by_consent"].pk}"')[1].split("</tr>")[0]
    assert "Consent given" in row and "Qince" in row
    row = text.split(f'data-disclosure="{shared["by_law"].pk}"')[1].split("</tr>")[0]
    assert "Fulfilling a legal or regulatory obligation" in row and "TAX-2026-7" in row and "The public" in row
    notices = text.split('data-testid="deletion-notices"')[1]
    assert "data-notice=" in notices and "Queued" in notices


def test_filters_by_recipient_and_person(shared):
    console = shared["console_as"](shared["manager"])
    person = _disclosed_to(console.get(URL, {"person": shared["outside"].account_id}))
    assert person == [shared["outside_record"].pk]
    recipient = _disclosed_to(console.get(URL, {"recipient": "affiliate.qince"}))
    assert {shared["by_consent"].pk, shared["outside_record"].pk} <= set(recipient)
    assert shared["by_law"].pk not in recipient
    assert _disclosed_to(console.get(URL, {"recipient": "public", "person": shared["inside"].account_id})) == [
        shared["by_law"].pk]


@pytest.mark.parametrize("query, field", [({"recipient": "nobody.like.this"}, "recipient"),
                                          ({"person": "x"}, "person"), ({"person": "0"}, "person")])
def test_bad_filters_are_a_400_naming_the_field(shared, query, field):
    refused = shared["console_as"](shared["manager"]).get(URL, query)
    assert refused.status_code == 400 and f'data-testid="error-{field}"' in refused.content.decode()


@pytest.mark.promise("E5")
def test_a_sub_administrator_sees_only_the_people_of_their_departments(shared):
    page = shared["console_as"](shared["deputy"]).get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert set(_disclosed_to(page)) == {shared["by_consent"].pk, shared["by_law"].pk}
    assert "外部人" not in text
    assert "data-notice=" not in text.split('data-testid="deletion-notices"')[1]  # the outside person's notice
    # Asking for the outside person by number shows nothing either.
    assert _disclosed_to(shared["console_as"](shared["deputy"]).get(URL, {"person": shared["outside"].account_id})) == []


def test_an_employee_is_refused(shared):
    refused = shared["console_as"](shared["inside"].account).get(URL)
    assert refused.status_code in (302, 403) and 'data-testid="ledger"' not in refused.content.decode()


def test_the_privacy_pages_lead_to_the_ledger(shared):
    assert 'data-testid="ledger-link"' in shared["console_as"](shared["manager"]).get("/console/privacy/").content.decode()
