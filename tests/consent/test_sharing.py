import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts.models import User
from consent import gate
from consent.services import catalogue as catalogue_services
from consent.services import sharing as sharing_services
from consent.errors import ConsentRequired
from consent.models import Disclosure, Recipient
from orgdata.models import Application
from orgdata.services import applications as application_services
from tests.certification.factories import certify
from tests.consent.factories import signed_in
from tests.orgdata.factories import TEST_SETUP, make_employee


@pytest.mark.promise("C9")
def test_switching_an_application_on_shares_exactly_four_fields_only_for_consenting_employees(enterprises):
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        consenting, declining = make_employee(name="王五").account, make_employee(name="赵六").account
    yes, no = signed_in(enterprises.a, consenting), signed_in(enterprises.a, declining)
    purposes = {p["code"]: p for p in yes.get("/api/v1/consent/purposes").json()}
    shared = purposes["share.app.e-signature"]
    assert [t["code"] for t in shared["recipient"]["pi_types"]] == ["login_account", "avatar", "name", "mobile"]
    assert shared["has_consented"] is False
    assert yes.grant("share.app.e-signature", explicit=False).status_code == 400  # explicit, separate consent
    assert yes.grant("share.app.e-signature").status_code == 201

    with schema_context(enterprises.a.schema_name):
        certify(enterprises.a.enterprise)  # E4: e-signature is for certified enterprises
        application = Application.objects.get(code="e-signature")
        application_services.switch_application(actor=manager, application=application, enabled=True)
        disclosures = list(Disclosure.objects.filter(recipient__code="app.e-signature"))
    assert [d.person_id for d in disclosures] == [consenting.pk]
    record = disclosures[0]
    assert record.pi_types == ["login_account", "avatar", "name", "mobile"]
    assert record.occasion == "application_switched_on" and record.consent_event.action == "granted"

    mine = yes.get("/api/v1/consent/sharing").json()
    assert len(mine) == 1 and mine[0]["recipient"]["code"] == "app.e-signature"
    assert [t["code"] for t in mine[0]["pi_types"]] == ["login_account", "avatar", "name", "mobile"]
    assert no.get("/api/v1/consent/sharing").json() == []

    # Consenting later, while the application is on, shares then (and is recorded then).
    assert no.grant("share.app.e-signature").status_code == 201
    assert [d["occasion"] for d in no.get("/api/v1/consent/sharing").json()] == ["consent_given"]


@pytest.mark.promise("C9")
def test_sharing_with_a_partner_needs_consent_and_an_affiliate_changing_purpose_voids_it(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(ConsentRequired):
            sharing_services.share_with_recipient(
                actor=TEST_SETUP, person=person.user, purpose_code="share.affiliate.qince")
    person.grant("share.affiliate.qince")
    with schema_context(enterprises.a.schema_name):
        record = sharing_services.share_with_recipient(
            actor=TEST_SETUP, person=person.user, purpose_code="share.affiliate.qince")
        assert record.pi_types == ["login_account", "name"] and record.purpose_revision == 1
        affiliate = Recipient.objects.get(code="affiliate.qince")
        catalogue_services.revise_recipient(actor=TEST_SETUP, recipient=affiliate, purpose_en="Advertising measurement",
                                            purpose_zh_hans="广告效果评估")
        assert not gate.may_process(person.user, "share.affiliate.qince")
        with pytest.raises(ConsentRequired):
            sharing_services.share_with_recipient(
                actor=TEST_SETUP, person=person.user, purpose_code="share.affiliate.qince")
        with pytest.raises(ValidationError):
            catalogue_services.revise_recipient(actor=TEST_SETUP, recipient=affiliate, purpose_en="x",
                                                purpose_zh_hans="x", pi_types=["dna"])
    purposes = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}
    assert purposes["share.affiliate.qince"]["has_consented"] is False
    assert purposes["share.affiliate.qince"]["revision"] == 2
    assert person.grant("share.affiliate.qince").status_code == 201
    with schema_context(enterprises.a.schema_name):
        shared = sharing_services.share_with_recipient(
            actor=TEST_SETUP, person=person.user, purpose_code="share.affiliate.qince")
        assert shared.purpose_revision == 2


@pytest.mark.promise("C11")
def test_public_disclosure_only_with_separate_explicit_consent_and_it_is_recorded(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name), pytest.raises(ConsentRequired):
        sharing_services.share_with_recipient(
            actor=TEST_SETUP, person=person.user, purpose_code="public_disclosure")
    assert person.grant("public_disclosure", explicit=False).status_code == 400
    assert person.grant("public_disclosure").status_code == 201
    with schema_context(enterprises.a.schema_name):
        sharing_services.share_with_recipient(
            actor=TEST_SETUP, person=person.user, purpose_code="public_disclosure")
    records = person.get("/api/v1/consent/sharing").json()
    assert records[0]["recipient"] is None and records[0]["occasion"] == "public_disclosure"


def test_recipients_in_the_catalogue_name_their_purpose_and_information_types(enterprises):
    with schema_context(enterprises.a.schema_name):
        for recipient in Recipient.objects.all():
            assert recipient.purpose_en and recipient.pi_types
        kinds = set(Recipient.objects.values_list("kind", flat=True))
    assert kinds == {"partner", "affiliate", "third_party_application"}


@pytest.mark.promise("C11")
@pytest.mark.promise("C12")
def test_disclosure_required_by_law_records_its_basis_instead_of_a_consent(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(ValidationError) as refused:
            sharing_services.share_with_recipient(actor=TEST_SETUP, person=person.user,
                                                  purpose_code="public_disclosure", legal_basis="because", reference="")
        assert set(refused.value.message_dict) == {"basis", "reference"}
        record = sharing_services.share_with_recipient(
            actor=TEST_SETUP, person=person.user, purpose_code="public_disclosure", legal_basis="legal_obligation",
            reference="Court order (2026) 77")
        assert record.consent_event is None and record.legal_basis_record.basis == "legal_obligation"
    assert person.get("/api/v1/consent/sharing").json()[0]["consent_event"] is None


@pytest.mark.promise("C9")
def test_an_affiliates_revised_purpose_survives_the_catalogue_sync_and_earlier_consent_stays_void(enterprises):
    from consent.models import Purpose

    person = signed_in(enterprises.a)
    person.grant("share.affiliate.qince")
    with schema_context(enterprises.a.schema_name):
        affiliate = Recipient.objects.get(code="affiliate.qince")
        catalogue_services.revise_recipient(actor=TEST_SETUP, recipient=affiliate, purpose_en="Advertising measurement",
                                            purpose_zh_hans="广告效果评估")
        revised = Purpose.objects.get(code="share.affiliate.qince")
        assert revised.revision == 2 and "Advertising measurement" in revised.statement_en

        assert catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC) == {
            "added": 0, "revised": 0, "retired": 0}

        synced = Purpose.objects.get(code="share.affiliate.qince")
        assert (synced.revision, synced.statement_en, synced.statement_zh_hans) == (
            2, revised.statement_en, revised.statement_zh_hans)
        affiliate.refresh_from_db()
        assert (affiliate.purpose_en, affiliate.purpose_zh_hans) == ("Advertising measurement", "广告效果评估")
        assert not gate.may_process(person.user, "share.affiliate.qince")
        with pytest.raises(ConsentRequired):
            sharing_services.share_with_recipient(
                actor=TEST_SETUP, person=person.user, purpose_code="share.affiliate.qince")
    shown = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}["share.affiliate.qince"]
    assert shown["revision"] == 2 and shown["has_consented"] is False
    assert "Advertising measurement" in shown["statement"]
    assert shown["recipient"]["purpose"] == "Advertising measurement"


@pytest.mark.promise("C9")
def test_switching_an_application_on_shares_nothing_of_who_withdrew_or_while_the_purpose_is_inactive(enterprises):
    from consent.models import Purpose
    from consent.state_cache import forget_catalogue

    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        staying, leaving = make_employee(name="孙七").account, make_employee(name="周八").account
    stays, withdraws = signed_in(enterprises.a, staying), signed_in(enterprises.a, leaving)
    for each in (stays, withdraws):
        assert each.grant("share.app.e-signature").status_code == 201
    assert withdraws.withdraw("share.app.e-signature").status_code == 201

    with schema_context(enterprises.a.schema_name):
        certify(enterprises.a.enterprise)  # E4: e-signature is for certified enterprises
        application = Application.objects.get(code="e-signature")
        # While the purpose is switched off, consent given earlier lets nothing through (C7).
        Purpose.objects.filter(code="share.app.e-signature").update(is_active=False)
        forget_catalogue()
        application_services.switch_application(actor=manager, application=application, enabled=True)
        assert not Disclosure.objects.filter(recipient__code="app.e-signature").exists()

        application_services.switch_application(actor=manager, application=application, enabled=False)
        Purpose.objects.filter(code="share.app.e-signature").update(is_active=True)
        forget_catalogue()
        application_services.switch_application(actor=manager, application=application, enabled=True)
        disclosures = list(Disclosure.objects.filter(recipient__code="app.e-signature"))
    # Only the person whose consent stands is shared, and the record names that consent.
    assert [d.person_id for d in disclosures] == [staying.pk]
    assert disclosures[0].consent_event.action == "granted" and disclosures[0].consent_event.person_id == staying.pk
    assert withdraws.get("/api/v1/consent/sharing").json() == []


@pytest.mark.promise("C9")
def test_recipients_and_their_companies_are_named_in_the_readers_language(enterprises):
    person = signed_in(enterprises.a)

    def shared(language):
        purposes = person.client.get("/api/v1/consent/purposes", HTTP_ACCEPT_LANGUAGE=language).json()
        return {p["code"]: p for p in purposes}["share.app.e-signature"]

    chinese, english = shared("zh-Hans"), shared("en")
    assert chinese["recipient"]["name"] == "上海千印网络科技有限公司"
    assert "向上海千印网络科技有限公司共享" in chinese["name"] and "Shanghai" not in chinese["statement"]
    assert "电子签名应用" in chinese["statement"]
    assert english["recipient"]["name"] == "Shanghai Qianyin Network Technology Co., Ltd."
    assert english["name"] == "Sharing with Shanghai Qianyin Network Technology Co., Ltd."


@pytest.mark.promise("C9")
def test_switching_e_signature_on_in_the_console_shares_exactly_four_fields(enterprises, client):
    """What the recipient would receive when the manager switches e-signature on from the console:
    the ledger's types for each consenting person, and the record built from exactly those."""
    with schema_context(enterprises.a.schema_name):
        certify(enterprises.a.enterprise)  # E4: e-signature is for certified enterprises
        manager = User.objects.get(role=User.Role.MANAGER)
        employee = make_employee(name="郑一")
        person = employee.account
    app = signed_in(enterprises.a, person)
    assert app.grant("share.app.e-signature").status_code == 201
    client.force_login(manager)
    with schema_context(enterprises.a.schema_name):
        application = Application.objects.get(code="e-signature")
        answer = client.post(f"/console/organisation/applications/{application.pk}/",
                             {"action": "switch", "level": "employee", "employee": employee.employee_number,
                              "enabled": "1"}, HTTP_HOST=enterprises.a.host)
        assert answer.status_code in (200, 302), answer.content[:500]
        record = Disclosure.objects.get(person=person, recipient__code="app.e-signature")
        assert record.pi_types == ["login_account", "avatar", "name", "mobile"]
        received = sharing_services.record_for(person, record.pi_types)
        assert set(received) <= {"login_account", "avatar", "name", "mobile"}
        assert received["name"] == "郑一" and received["mobile"] == person.mobile and "user_id" not in received
