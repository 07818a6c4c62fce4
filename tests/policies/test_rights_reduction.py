"""C8: "rights are never reduced without explicit consent". A version marked at publication as
reducing users' rights is never accepted by continued use: each person accepts it explicitly (API
or console), and until they do, the earlier terms stay theirs — they keep using the service under
them rather than being locked out. The mark can never be put on a minor change."""
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from consent.models import ConsentEvent
from policies.models import PolicyVersion
from tests.consent.factories import signed_in
from tests.policies.factories import PolicyVersionFactory
from tests.policies.test_policy_versions import _form, staff_admin  # noqa: F401  (fixture)


def _versions():
    """A minor version in force, then a rights-reducing one in force since yesterday, then a later
    minor correction of it."""
    with schema_context("public"):
        PolicyVersionFactory(version="2026.r1", days_ago=40)
        PolicyVersionFactory(version="2026.r2", days_ago=9, is_significant=True, significant_reasons=["rights"],
                             reduces_rights=True)
        PolicyVersionFactory(version="2026.r3", days_ago=8)


def _acceptances(enterprise, person) -> list[str]:
    with schema_context(enterprise.schema_name):
        return list(ConsentEvent.objects.filter(person=person, action=ConsentEvent.Action.POLICY_ACCEPTED)
                    .values_list("policy_version_label", flat=True))


@pytest.mark.promise("C8")
def test_staff_mark_a_rights_reduction_at_publication_and_it_is_never_a_minor_change(staff_admin):  # noqa: F811
    now = timezone.now()
    as_minor = staff_admin.post("/admin/policies/policyversion/add/", _form(now, reduces_rights="on"))
    assert as_minor.status_code == 200 and "reduces users&#x27; rights is a significant change" in as_minor.content.decode()
    other_reason = staff_admin.post("/admin/policies/policyversion/add/", _form(
        now, reduces_rights="on", is_significant="on", significant_reasons=["contact"]))
    assert other_reason.status_code == 200 and not PolicyVersion.objects.filter(version="2027.1").exists()
    created = staff_admin.post("/admin/policies/policyversion/add/", _form(
        now, reduces_rights="on", is_significant="on", significant_reasons=["rights"]))
    assert created.status_code == 302
    assert PolicyVersion.objects.get(version="2027.1").reduces_rights is True
    # Whatever writes the row, the database refuses the mark on a minor change.
    connection.set_schema_to_public()
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.create(version="bad", title_en="t", title_zh_hans="t", text_en="t", text_zh_hans="t",
                                     published_at=now, reduces_rights=True)


@pytest.mark.promise("C8")
def test_continued_use_never_accepts_a_rights_reduction_the_earlier_terms_stay_until_explicit_acceptance(enterprises):
    _versions()
    person = signed_in(enterprises.a)
    # Not locked out: the person keeps using the service…
    for _ in range(3):
        assert person.get("/api/v1/me").status_code == 200
        assert person.get("/api/v1/consent/purposes").status_code == 200
    assert person.check_in(place="Gate 2").status_code == 201
    # …and all that use accepted nothing: their terms are still the version before the reduction
    # (the later minor correction builds on the reduced text and waits with it).
    state = person.get("/api/v1/policy").json()
    assert state["current"]["version"] == "2026.r3"
    assert state["my_terms"] == "2026.r1" and state["must_accept_explicitly"] == "2026.r2"
    assert state["must_accept"] is None
    assert _acceptances(enterprises.a, person.user) == []
    # Only the person's own explicit acceptance moves them on.
    accepted = person.post("/api/v1/policy/accept", {"version": "2026.r2"}).json()
    assert accepted["my_terms"] == "2026.r3" and accepted["must_accept_explicitly"] is None
    assert _acceptances(enterprises.a, person.user) == ["2026.r2"]


@pytest.mark.promise("C8")
def test_a_minor_change_applies_without_an_answer_a_rights_reduction_never_does(enterprises):
    with schema_context("public"):
        PolicyVersionFactory(version="2026.m1", days_ago=40)
        PolicyVersionFactory(version="2026.m2", days_ago=9)
    person = signed_in(enterprises.a)
    person.get("/api/v1/me")
    assert person.get("/api/v1/policy").json()["my_terms"] == "2026.m2"  # minor: in force for everyone
    with schema_context("public"):
        PolicyVersionFactory(version="2026.m3", days_ago=8, is_significant=True, significant_reasons=["rights"],
                             reduces_rights=True)
    state = person.get("/api/v1/policy").json()
    assert state["my_terms"] == "2026.m2" and state["must_accept_explicitly"] == "2026.m3"
    assert state["upcoming"] == [] and state["current"]["reduces_rights"] is True


@pytest.mark.promise("C8")
def test_the_console_shows_the_reduction_on_every_page_and_the_person_accepts_it_there(enterprises, client):
    _versions()
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        client.force_login(manager)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    dashboard = client.get("/console/")
    assert dashboard.status_code == 200  # not blocked
    assert 'data-testid="rights-reduction-notice"' in dashboard.content.decode()
    assert "2026.r2 reduces your rights" in dashboard.content.decode()
    notice = client.get("/console/privacy/policy/").content.decode()
    assert 'data-testid="rights-reduction"' in notice and "version 2026.r1 continues to apply to you" in notice
    assert _acceptances(enterprises.a, manager) == []
    # The administrators' list of versions says what the mark means.
    versions = client.get("/console/privacy/policy-versions/").content.decode()
    row = versions.split('data-version="2026.r2"')[1].split("</tr>")[0]
    assert 'data-testid="reduces-rights"' in row and "only once they accept it" in row
    assert client.post("/console/privacy/policy/").status_code == 302
    assert _acceptances(enterprises.a, manager) == ["2026.r2"]
    assert 'rights-reduction-notice' not in client.get("/console/").content.decode()
    with schema_context(enterprises.a.schema_name):
        assert ConsentEvent.objects.get(person=manager, action="policy_accepted").channel == "console"
