"""M1: "No service under the legal working age (16) even with guardian consent; 16–18 only with
guardian consent and supervision."

A 16- or 17-year-old's account stays inactive (sign-in refused with `guardian_consent_required`)
until an administrator records their guardian's consent from the employee page; their own consent
to a sensitive or additional purpose needs the guardian's consent to list it (the ledger's grant,
on every channel); a withdrawal makes the account inactive again; turning 18 needs nothing. Under
16 nobody gets an account at all: tests/erasure/test_minors.py.
"""
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import DeviceToken, User
from audit.models import AuditEntry
from consent.models import ConsentEvent, GuardianConsent
from erasure.models import MinorCase
from tests.accounts.signing_in import api_login
from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (fixtures)
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

PASSWORD = "Teen-Pass-2026!"
GUARDIAN = {"guardian_name": "钱父", "relationship": "parent", "contact": "13800003333",
            "evidence": "household register and the guardian's signed form", "purposes": ["device.location"]}


def _born(years: int, *, days_later: int = 0) -> date:
    """The birth date of someone who turns `years` old `days_later` days from today."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = date(today.year - years, 3, 1)
    return birthday + timedelta(days=days_later)


def _with_password(employee):
    employee.account.set_password(PASSWORD)
    employee.account.save(update_fields=["password"])
    return employee


def _api_login(api_client_for, enterprise, employee, device="device-guardian-1"):
    # As the app signs in: a new device completes X6's code step from the SMS outbox.
    return api_login(api_client_for(enterprise), {
        "mobile": employee.account.mobile, "password": PASSWORD, "device_id": device})


def _page(employee) -> str:
    return f"/console/privacy/people/{employee.account_id}/guardian-consent/"


@pytest.mark.promise("M1")
def test_a_17_year_old_signs_in_only_once_a_sub_administrator_records_their_guardians_consent(
        in_a, manager, console_as, api_client_for):
    tree = make_tree()
    teen = _with_password(make_employee(department=tree["backend"], name="钱少", employee_number="GC-1",
                                        date_of_birth=_born(18, days_later=1)))  # 18 tomorrow
    refused = _api_login(api_client_for, in_a, teen)
    assert refused.status_code == 403 and refused.json()["code"] == "guardian_consent_required"
    assert "guardian" in refused.json()["detail"]
    console_login = Client(HTTP_HOST=in_a.host).post("/console/login/", {"username": teen.account.mobile,
                                                                         "password": PASSWORD})
    assert "your account can be used once your guardian&#x27;s consent is recorded" in console_login.content.decode()

    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    console = console_as(deputy)
    detail = console.get(f"/console/organisation/employees/{teen.pk}/").content.decode()
    assert f'href="{_page(teen)}"' in detail and 'data-testid="guardian-consent-link"' in detail
    assert "the account cannot be used" in console.get(_page(teen)).content.decode()

    incomplete = console.post(_page(teen), {"relationship": "parent", "purposes": ["no.such.purpose"]})
    assert incomplete.status_code == 400
    errors = incomplete.context["form"].errors
    assert {"guardian_name", "contact", "evidence", "purposes"} <= set(errors)
    assert not GuardianConsent.objects.filter(person=teen.account).exists()

    recorded = console.post(_page(teen), GUARDIAN, follow=True)

    assert "The guardian&#x27;s consent is recorded: the account can be used." in recorded.content.decode()
    consent = GuardianConsent.objects.get(person=teen.account)
    assert (consent.guardian_name, consent.relationship, consent.contact, consent.verified_by, consent.purposes) == (
        "钱父", "parent", "13800003333", deputy, ["device.location"])
    assert 'data-testid="guardian-consent-in-force"' in recorded.content.decode()
    assert AuditEntry.objects.filter(object_type="consent.guardianconsent", object_id=str(consent.pk),
                                     action="create", actor=f"user:{deputy.pk}").exists()
    # The case the real-name data opened is closed by the consent, decided by who verified it.
    case = MinorCase.objects.get(person=teen.account)
    assert (case.status, case.decided_by) == (MinorCase.Status.GUARDIAN_CONSENTED, deputy)
    assert _api_login(api_client_for, in_a, teen).status_code == 200


@pytest.mark.promise("M1")
def test_the_guardians_consent_is_refused_outside_the_administrators_reach_and_for_adults(in_a, manager,
                                                                                           console_as):
    tree = make_tree()
    outside = make_employee(department=tree["east"], employee_number="GC-2", date_of_birth=_born(17))
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员二")
    assert console_as(deputy).post(_page(outside), GUARDIAN).status_code == 404
    plain = make_employee(employee_number="GC-3")
    assert console_as(plain.account).post(_page(outside), GUARDIAN).status_code == 403

    adult = make_employee(employee_number="GC-4", date_of_birth=_born(18))  # 18 today
    refused = console_as(manager).post(_page(adult), GUARDIAN)
    assert refused.status_code == 400 and "this person is not a minor" in refused.content.decode()
    assert not GuardianConsent.objects.filter(person__in=[outside.account, adult.account]).exists()
    assert User.objects.get(pk=outside.account_id).awaits_guardian_consent
    nothing_to_withdraw = console_as(manager).post(_page(outside), {"action": "withdraw"})
    assert nothing_to_withdraw.status_code == 400
    assert "No guardian&#x27;s consent is in force" in nothing_to_withdraw.content.decode()


@pytest.mark.promise("M1")
def test_a_minor_consents_only_to_purposes_their_guardian_agreed_to(in_a, manager, api_as, console_as):
    teen = make_employee(employee_number="GC-5", date_of_birth=_born(16))  # 16 today
    assert console_as(manager).post(_page(teen), GUARDIAN).status_code == 302
    api = api_as(teen.account)

    allowed = api.post("/api/v1/consent/purposes/device.location/grant", {"explicit_confirmation": True},
                       format="json")
    refused = api.post("/api/v1/consent/purposes/sensitive.id_number/grant", {"explicit_confirmation": True},
                       format="json")
    optional = api.post("/api/v1/consent/purposes/marketing_messages/grant", {}, format="json")

    assert allowed.status_code == 201
    for response, code in ((refused, "sensitive.id_number"), (optional, "marketing_messages")):
        assert response.status_code == 403
        assert response.json()["code"] == "guardian_consent_required" and response.json()["purpose"] == code
        assert code in response.json()["detail"]
    # The same rule when an administrator records the person's answer given on paper.
    on_paper = console_as(manager).post(f"/console/privacy/people/{teen.account_id}/", {
        "purpose": "sensitive.id_number", "action": "grant", "reference": "form 7", "confirmed": "on"})
    assert on_paper.status_code == 200 and "needs your guardian&#x27;s consent" in on_paper.content.decode()
    granted = ConsentEvent.objects.filter(person=teen.account, action=ConsentEvent.Action.GRANTED)
    assert [event.purpose.code for event in granted] == ["device.location"]

    adult = make_employee(employee_number="GC-6", date_of_birth=_born(18))
    assert api_as(adult.account).post("/api/v1/consent/purposes/sensitive.id_number/grant",
                                      {"explicit_confirmation": True}, format="json").status_code == 201


@pytest.mark.promise("M1")
def test_withdrawing_the_guardians_consent_makes_the_account_inactive_again(in_a, manager, api_as, console_as,
                                                                          api_client_for):
    teen = _with_password(make_employee(employee_number="GC-7", date_of_birth=_born(17)))
    console = console_as(manager)
    assert console.post(_page(teen), GUARDIAN).status_code == 302
    api = api_as(teen.account)
    assert api.get("/api/v1/me").status_code == 200

    withdrawn = console.post(_page(teen), {"action": "withdraw"}, follow=True)

    assert "The guardian&#x27;s consent is withdrawn" in withdrawn.content.decode()
    assert GuardianConsent.objects.get(person=teen.account).withdrawn_by == manager
    assert api.get("/api/v1/me").status_code == 401  # signed out at once
    assert not DeviceToken.objects.filter(user=teen.account, revoked_at__isnull=True).exists()
    teen.account.set_password(PASSWORD)
    teen.account.save(update_fields=["password"])
    assert _api_login(api_client_for, in_a, teen, "device-guardian-2").json()["code"] == "guardian_consent_required"


@pytest.mark.promise("M1")
def test_an_edit_revealing_17_signs_the_person_out_until_their_guardian_consents(in_a, manager, api_as,
                                                                               api_client_for):
    employee = _with_password(make_employee(employee_number="GC-9", date_of_birth=_born(30)))
    own = api_as(employee.account)
    assert own.get("/api/v1/me").status_code == 200

    edited = api_as(manager).patch(f"/api/v1/admin/employees/{employee.pk}",
                                   {"date_of_birth": _born(18, days_later=1).isoformat()}, format="json")

    assert edited.status_code == 200
    assert own.get("/api/v1/me").status_code == 401  # every token and session ended at once
    employee.account.set_password(PASSWORD)
    employee.account.save(update_fields=["password"])
    assert _api_login(api_client_for, in_a, employee, "device-guardian-4").json()["code"] == "guardian_consent_required"
    corrected = api_as(manager).patch(f"/api/v1/admin/employees/{employee.pk}",
                                      {"date_of_birth": _born(18).isoformat()}, format="json")  # 18 today after all
    assert corrected.status_code == 200 and User.objects.get(pk=employee.account_id).minor_until is None
    assert _api_login(api_client_for, in_a, employee, "device-guardian-5").status_code == 200


@pytest.mark.promise("M1")
def test_turning_18_needs_nothing_the_account_works_and_consent_is_the_persons_own(in_a, api_client_for):
    teen = _with_password(make_employee(employee_number="GC-8", date_of_birth=_born(18, days_later=3)))
    assert _api_login(api_client_for, in_a, teen).status_code == 403

    with time_machine.travel(timezone.now() + timedelta(days=3), tick=True):
        signed_in = _api_login(api_client_for, in_a, teen, "device-guardian-3")
        assert signed_in.status_code == 200
        client = api_client_for(in_a, "device-guardian-3")
        client.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}", HTTP_X_DEVICE_ID="device-guardian-3")
        granted = client.post("/api/v1/consent/purposes/sensitive.id_number/grant", {"explicit_confirmation": True},
                              format="json")
        assert granted.status_code == 201
