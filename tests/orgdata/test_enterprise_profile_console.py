"""The enterprise profile on the administrators page (E5, issue 14): it shows the stored row, and a
save writes only what the manager changed."""
import pytest

from audit.models import AuditEntry
from tenants.models import Enterprise
from tests.forms_on_page import form_data

PAGE = "/console/organisation/administrators/"


@pytest.fixture
def stored_profile(in_a):
    Enterprise.objects.filter(pk=in_a.enterprise.pk).update(
        location="上海市浦东新区", industry="Software", personnel_size=Enterprise.PersonnelSize.UP_TO_500)


@pytest.mark.promise("E5")
def test_the_profile_form_shows_the_stored_enterprise_not_the_routing_facts(stored_profile, manager, console_as):
    page = console_as(manager).get(PAGE).content.decode()
    shown = form_data(page, action="profile")
    assert (shown["name"], shown["location"], shown["industry"], shown["personnel_size"]) == (
        "Alpha Test Co", "上海市浦东新区", "Software", "101-500")


@pytest.mark.promise("E5")
def test_saving_the_profile_writes_only_the_changed_field(in_a, stored_profile, manager, console_as):
    console = console_as(manager)
    submitted = form_data(console.get(PAGE).content.decode(), action="profile")
    # Another administrator corrects the location while this page is open.
    Enterprise.objects.filter(pk=in_a.enterprise.pk).update(location="北京市海淀区")
    submitted["industry"] = "Retail"
    response = console.post(PAGE, submitted, follow=True)

    page = response.content.decode()
    assert "already exists" not in page
    assert "Enterprise profile saved: Industry type." in page
    stored = Enterprise.objects.get(pk=in_a.enterprise.pk)
    assert (stored.name, stored.location, stored.industry, stored.personnel_size) == (
        "Alpha Test Co", "北京市海淀区", "Retail", "101-500")
    entry = AuditEntry.objects.filter(action="enterprise_profile_corrected").latest("id")
    assert entry.changed_fields == ["industry"]


def test_saving_an_untouched_profile_changes_nothing(in_a, stored_profile, manager, console_as):
    console = console_as(manager)
    submitted = form_data(console.get(PAGE).content.decode(), action="profile")
    page = console.post(PAGE, submitted, follow=True).content.decode()
    assert "Nothing to save: the enterprise profile is unchanged." in page
    assert not AuditEntry.objects.filter(action="enterprise_profile_corrected").exists()


def test_a_renamed_enterprise_shows_its_new_name_on_the_next_page(in_a, stored_profile, manager, console_as):
    console = console_as(manager)
    submitted = {**form_data(console.get(PAGE).content.decode(), action="profile"), "name": "Alpha 新名"}
    assert console.post(PAGE, submitted).status_code == 302
    assert 'data-testid="enterprise-name">Alpha 新名<' in console.get("/console/").content.decode()


def test_an_emptied_required_field_is_refused_on_the_field(in_a, stored_profile, manager, console_as):
    console = console_as(manager)
    submitted = {**form_data(console.get(PAGE).content.decode(), action="profile"), "location": "  "}
    response = console.post(PAGE, submitted)
    assert response.status_code == 200
    assert 'data-field="location"' in response.content.decode()
    assert Enterprise.objects.get(pk=in_a.enterprise.pk).location == "上海市浦东新区"


@pytest.mark.promise("E1")
def test_renaming_to_another_enterprise_s_name_in_any_spelling_is_refused(in_a, stored_profile, manager, console_as):
    console = console_as(manager)
    submitted = form_data(console.get(PAGE).content.decode(), action="profile")
    submitted["name"] = "ＢＲＡＶＯ  test co"

    page = console.post(PAGE, submitted).content.decode()

    assert "An enterprise with this name is already registered." in page
    assert Enterprise.objects.get(pk=in_a.enterprise.pk).name == "Alpha Test Co"
