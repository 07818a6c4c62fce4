import pytest
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from consent import gate, state_cache
from consent.services import ledger as ledger_services
from consent.services import legal_bases as legal_basis_services
from consent.errors import ConsentRequired
from consent.models import Purpose
from tests.accounts.factories import EmployeeAccountFactory
from tests.consent.factories import signed_in
from tests.orgdata.factories import TEST_SETUP

GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


@pytest.mark.promise("C6")
@pytest.mark.promise("A1")
def test_withdrawal_refuses_the_very_next_request_even_with_a_warm_cache(enterprises,
                                                                          django_capture_on_commit_callbacks):
    person = signed_in(enterprises.a)
    # Each answer commits as in production (the test's own transaction never does).
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.location").status_code == 201
    assert person.check_in(location=GPS).status_code == 201
    with schema_context(enterprises.a.schema_name):
        # The state is cached now (the check-in asked the gate).
        assert cache.get(state_cache.state_key(person.user.pk))["granted"]["device.location"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert person.withdraw("device.location").status_code == 201
    refused = person.check_in(location=GPS)
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required"
    assert refused.json()["purpose"] == "device.location"
    # Withdrawal keeps the record of what was processed before it (C6).
    history = person.get("/api/v1/consent/history").json()
    assert [e["action"] for e in history] == ["withdrawn", "granted"]
    assert len(person.get("/api/v1/attendance/check-ins").json()) == 1


@pytest.mark.promise("C3")
def test_the_decorator_and_may_process_answer_from_the_same_ledger(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        assert not gate.may_process(person.user, "device.camera")

        @gate.consent_required("device.camera")
        def take_photo(*, person):
            return "photo"

        with pytest.raises(ConsentRequired):
            take_photo(person=person.user)
    person.grant("device.camera", explicit=False)
    with schema_context(enterprises.a.schema_name):
        assert gate.may_process(person.user, "device.camera")
        assert take_photo(person=person.user) == "photo"


@pytest.mark.promise("C1")
def test_basic_service_needs_no_consent_and_refusing_additional_ones_blocks_nothing_basic(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        assert gate.may_process(person.user, "basic_service")
    assert person.get("/api/v1/me").status_code == 200
    # No location consent: check-in still works with a typed place (A1 / C1).
    typed = person.check_in(place="Head office, 3rd floor")
    assert typed.status_code == 201
    assert typed.json()["has_location"] is False
    refused = person.post("/api/v1/consent/purposes/basic_service/grant")
    assert refused.status_code == 400 and "purpose" in refused.json()["fields"]


@pytest.mark.promise("C12")
def test_processing_without_consent_records_its_legal_basis(enterprises):
    from consent.models import LegalBasisRecord

    with schema_context(enterprises.a.schema_name):
        employee = EmployeeAccountFactory()
        with pytest.raises(ConsentRequired):
            gate.require_consent(employee, "sensitive.id_number")
        with legal_basis_services.under_legal_basis(employee, "sensitive.id_number", actor=TEST_SETUP,
                                                    basis="criminal_investigation",
                                                    reference="Public security bureau request 2026-118"):
            gate.require_consent(employee, "sensitive.id_number")
        record = LegalBasisRecord.objects.get(person=employee)
        assert record.basis == "criminal_investigation" and record.purpose.code == "sensitive.id_number"
        with pytest.raises(ConsentRequired):  # only inside the block
            gate.require_consent(employee, "sensitive.id_number")
        from django.core.exceptions import ValidationError
        with pytest.raises(ValidationError) as refused:
            with legal_basis_services.under_legal_basis(employee, "sensitive.id_number", actor=TEST_SETUP,
                                                        basis="curiosity", reference=""):
                pass
        assert set(refused.value.message_dict) == {"basis", "reference"}


@pytest.mark.promise("C6")
def test_a_withdrawal_in_another_process_drops_this_process_copy_at_once(enterprises, settings,
                                                                         django_capture_on_commit_callbacks):
    import time

    import redis

    person = signed_in(enterprises.a)
    with django_capture_on_commit_callbacks(execute=True):
        person.grant("device.location")
    person.get("/api/v1/consent/purposes")  # starts this process's invalidation feed if need be
    assert state_cache._local.listening.wait(5)
    assert person.check_in(location=GPS).status_code == 201
    key = (enterprises.a.schema_name, person.user.pk)
    assert state_cache._local.get(key) is not None  # this process now answers from its own copy

    # What consent.services publishes when another process records a withdrawal.
    redis.Redis.from_url(settings.CACHE_URL).publish(state_cache._local.channel(), f"{key[0]}:{key[1]}")
    deadline = time.monotonic() + 2
    while state_cache._local.get(key) is not None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert state_cache._local.get(key) is None


def test_without_a_live_invalidation_feed_the_process_copy_is_not_used(enterprises):
    person = signed_in(enterprises.a)
    person.check_in(place="Gate 1")
    key = (enterprises.a.schema_name, person.user.pk)
    was_listening = state_cache._local.listening.is_set()
    state_cache._local.listening.clear()
    try:
        assert state_cache._local.get(key) is None
        assert person.check_in(place="Gate 1").status_code == 201  # answered from Redis or the ledger
    finally:
        if was_listening:
            state_cache._local.listening.set()


@pytest.mark.promise("C6")
def test_a_reader_that_read_the_ledger_before_a_withdrawal_committed_cannot_cache_the_old_state(
        enterprises, monkeypatch, django_capture_on_commit_callbacks):
    person = signed_in(enterprises.a)
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.location").status_code == 201
    read_ledger = state_cache.ledger_state
    withdrawn = []

    def ledger_read_while_a_withdrawal_commits(person_id):
        state = read_ledger(person_id)
        if not withdrawn:  # another request withdraws and commits after this read, before the store
            withdrawn.append(True)
            with django_capture_on_commit_callbacks(execute=True):
                assert person.withdraw("device.location").status_code == 201
        return state

    with schema_context(enterprises.a.schema_name):
        key = (enterprises.a.schema_name, person.user.pk)
        assert state_cache._local.get(key) is None and cache.get(state_cache.state_key(person.user.pk)) is None
        monkeypatch.setattr(state_cache, "ledger_state", ledger_read_while_a_withdrawal_commits)
        _catalogue, stale = state_cache.catalogue_and_state(person.user.pk)
        monkeypatch.setattr(state_cache, "ledger_state", read_ledger)
        assert withdrawn and stale["granted"] == {"device.location": 1}  # the slow reader did read "granted"
        # ... and could keep it nowhere.
        assert cache.get(state_cache.state_key(person.user.pk)) is None
        assert state_cache._local.get(key) is None
        assert not gate.may_process(person.user, "device.location")
    refused = person.check_in(location=GPS)
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"


@pytest.mark.promise("C7")
def test_a_reader_that_read_the_catalogue_before_a_revision_committed_cannot_cache_the_old_one(
        enterprises, monkeypatch, django_capture_on_commit_callbacks):
    person = signed_in(enterprises.a)
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.camera", explicit=False).status_code == 201
    read_catalogue = state_cache.catalogue_from_database
    revised = []

    def catalogue_read_while_a_revision_commits():
        catalogue = read_catalogue()
        if not revised:  # the purpose changes (C7) after this read, before the store
            revised.append(True)
            with django_capture_on_commit_callbacks(execute=True):
                purpose = Purpose.objects.get(code="device.camera")
                purpose.revision += 1
                purpose.save()
        return catalogue

    with schema_context(enterprises.a.schema_name):
        with django_capture_on_commit_callbacks(execute=True):
            state_cache.forget_catalogue()  # the reader misses every cache
        monkeypatch.setattr(state_cache, "catalogue_from_database", catalogue_read_while_a_revision_commits)
        stale, _state = state_cache.catalogue_and_state(person.user.pk)
        monkeypatch.setattr(state_cache, "catalogue_from_database", read_catalogue)
        assert revised and stale["device.camera"].revision == 1
        # Consent given for revision 1 no longer covers the purpose.
        assert not gate.may_process(person.user, "device.camera")


@pytest.mark.promise("C6")
def test_a_state_read_inside_a_transaction_that_rolls_back_is_never_cached(enterprises):
    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(RuntimeError), transaction.atomic():
            ledger_services.grant_consent(actor=person.user, person=person.user, purpose_code="device.location",
                                          channel="mobile", explicit_confirmation=True)
            assert gate.may_process(person.user, "device.location")  # the transaction sees its own answer
            raise RuntimeError("the request fails after the answer")
        assert cache.get(state_cache.state_key(person.user.pk)) is None
        assert not gate.may_process(person.user, "device.location")
    refused = person.check_in(location=GPS)
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"


def test_the_process_copy_keeps_nothing_read_before_an_invalidation(enterprises):
    person = signed_in(enterprises.a)
    person.get("/api/v1/consent/purposes")
    assert state_cache._local.listening.wait(5)
    key = (enterprises.a.schema_name, person.user.pk)
    generation = state_cache._local.generation
    state_cache._local.invalidate(f"{key[0]}:{key[1]}")  # e.g. a message from another process
    assert not state_cache._local.put(key, ({}, {"granted": {"device.location": 1}, "policies": []}), generation)
    assert state_cache._local.get(key) is None
