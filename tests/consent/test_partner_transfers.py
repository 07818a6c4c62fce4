"""C9/S1 through the console and the API: the enterprise registers a partner (purpose, types,
region), people consent (and, abroad, authorise the cross-border transfer) in the app, the console
sends payroll data in a Celery task; only consenting people's consented types leave, each sending
is in the sharing ledger the person sees, the others are counted in the transfer's summary."""
from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from consent import tasks, transfer_delivery
from consent.models import BoardEntry, Disclosure, Recipient, Transfer
from tests.consent.factories import signed_in
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

RIGHTS = "Write to privacy@example.sg; the Singapore PDPC hears complaints."


def _register(console, code, *, region="CN", pi_types=("user_id", "name"), rights=""):
    return console.post("/console/privacy/recipients/partners/", {
        "partner-code": code, "partner-name_en": "Payroll Bureau", "partner-name_zh_hans": "薪资服务所",
        "partner-purpose_en": "Payroll processing", "partner-purpose_zh_hans": "代发工资",
        "partner-pi_types": list(pi_types), "partner-region": region,
        "partner-rights_abroad_en": rights, "partner-rights_abroad_zh_hans": rights})


def _send(console, recipient, django_capture_on_commit_callbacks) -> tuple[Transfer, dict]:
    """Send payroll data from the console; the queued task runs as the worker runs it."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = console.post(f"/console/privacy/recipients/{recipient.pk}/transfers/",
                              {f"t{recipient.pk}-dataset": "payroll"})
    assert answer.status_code == 302 and len(queued) == 1
    transfer = Transfer.objects.get(recipient=recipient)
    assert transfer.status == "queued"
    tasks.send_transfer.apply(args=[transfer.pk]).get()
    transfer.refresh_from_db()
    path = transfer_delivery.LocalOutbox.path_for(transfer_delivery.connection.schema_name, transfer.pk)
    received = json.loads(path.read_text())
    path.unlink()
    return transfer, received


def _people():
    consenting = make_employee(name="钱七").account
    declining = make_employee(name="孙八").account
    return consenting, declining


@pytest.mark.promise("C9")
def test_payroll_goes_only_to_consenting_people_with_exactly_the_consented_types(
        in_a, manager, console_as, django_capture_on_commit_callbacks):
    console = console_as(manager)
    assert _register(console, "partner.payroll-cn").status_code == 302
    recipient = Recipient.objects.get(code="partner.payroll-cn")
    assert (recipient.pi_types, recipient.region, recipient.is_cross_border) == (["user_id", "name"], "CN", False)
    consenting, declining = _people()
    with schema_context("public"):
        yes, no = signed_in(in_a, consenting), signed_in(in_a, declining)
        shown = {p["code"]: p for p in yes.get("/api/v1/consent/purposes").json()}["share.partner.payroll-cn"]
        assert [t["code"] for t in shown["recipient"]["pi_types"]] == ["user_id", "name"]
        assert yes.grant("share.partner.payroll-cn").status_code == 201

    transfer, received = _send(console, recipient, django_capture_on_commit_callbacks)

    mine = [r for r in received["records"] if r.get("user_id") == str(consenting.pk)]
    assert mine == [{"user_id": str(consenting.pk), "name": "钱七"}]  # no mobile, nothing else
    assert consenting.mobile not in json.dumps(received, ensure_ascii=False)
    assert not [r for r in received["records"] if r.get("user_id") == str(declining.pk)]
    assert transfer.status == "sent" and transfer.sent_count == len(received["records"])
    assert transfer.skipped_without_consent >= 1
    page = console.get("/console/privacy/recipients/").content.decode()
    assert f'data-testid="transfer-{transfer.pk}"' in page

    with schema_context("public"):
        ledger = yes.get("/api/v1/consent/sharing").json()
        assert [(d["recipient"]["code"], [t["code"] for t in d["pi_types"]]) for d in ledger] == [
            ("partner.payroll-cn", ["user_id", "name"])]
        assert no.get("/api/v1/consent/sharing").json() == []
    assert not Disclosure.objects.filter(person=declining).exists()


@pytest.mark.promise("S1")
@pytest.mark.promise("C9")
def test_a_partner_abroad_reaches_only_people_who_authorised_the_cross_border_transfer(
        in_a, manager, console_as, django_capture_on_commit_callbacks):
    console = console_as(manager)
    refused = _register(console, "partner.payroll-sg", region="SG")
    assert refused.status_code == 400 and "rights" in refused.content.decode().lower()
    assert not Recipient.objects.filter(code="partner.payroll-sg").exists()
    assert _register(console, "partner.payroll-sg", region="SG", rights=RIGHTS).status_code == 302
    recipient = Recipient.objects.get(code="partner.payroll-sg")
    authorised, consent_only = _people()
    with schema_context("public"):
        yes, partly = signed_in(in_a, authorised), signed_in(in_a, consent_only)
        purposes = {p["code"]: p for p in yes.get("/api/v1/consent/purposes").json()}
        # Shown before authorising: what, to whom, where, why, how to exercise rights there.
        statement = purposes["cross_border.partner.payroll-sg"]["statement"]
        for said in ("user id, name", "Payroll Bureau", "SG", "Payroll processing", RIGHTS):
            assert said in statement
        where = purposes["share.partner.payroll-sg"]["recipient"]
        assert (where["region"], where["is_cross_border"], where["rights_abroad"]) == ("SG", True, RIGHTS)
        for person in (yes, partly):
            assert person.grant("share.partner.payroll-sg").status_code == 201
        assert yes.grant("cross_border.partner.payroll-sg").status_code == 201

    transfer, received = _send(console, recipient, django_capture_on_commit_callbacks)

    ids = {r["user_id"] for r in received["records"]}
    assert str(authorised.pk) in ids and str(consent_only.pk) not in ids
    assert transfer.skipped_without_cross_border >= 1 and transfer.sent_count == len(ids)
    with schema_context("public"):
        shared = yes.get("/api/v1/consent/sharing").json()
        assert [(d["recipient"]["code"], d["recipient"]["region"]) for d in shared] == [("partner.payroll-sg", "SG")]
        assert partly.get("/api/v1/consent/sharing").json() == []
        history = [e["purpose"] for e in yes.get("/api/v1/consent/history").json()]
        assert "cross_border.partner.payroll-sg" in json.dumps(history)


def test_only_the_manager_registers_partners_sends_data_and_chooses_for_the_board(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    mobo = Recipient.objects.get(code="partner.mobo")
    console = console_as(deputy)
    assert _register(console, "partner.by-deputy").status_code == 403
    assert console.post(f"/console/privacy/recipients/{mobo.pk}/transfers/",
                        {f"t{mobo.pk}-dataset": "payroll"}).status_code == 403
    assert console.post("/console/privacy/board/", {"person": str(deputy.pk)}).status_code == 403
    assert not Recipient.objects.filter(code="partner.by-deputy").exists()
    assert not Transfer.objects.filter(recipient=mobo).exists()
    assert not BoardEntry.objects.filter(person=deputy).exists()
