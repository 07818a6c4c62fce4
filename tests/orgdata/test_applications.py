"""Version authorisation (E6): switches for the enterprise, a department or a person; a third-party
application hands who it was switched on for to consent's sharing service (C9)."""
import pytest
from django.core.exceptions import ValidationError

from access.errors import NotInYourScope
from consent.models import ApplicationAudience
from consent.services import sharing as sharing_services
from orgdata.models import Application
from orgdata.selectors import applications as application_selectors
from orgdata.services import applications as application_services
from tests.certification.factories import certify
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


def _on_for(employee, code):
    return application_selectors.is_application_enabled_for(employee.account, code)


@pytest.mark.promise("E6")
def test_the_most_specific_switch_decides(in_a, manager):
    tree = make_tree()
    dev, sales = make_employee(department=tree["backend"]), make_employee(department=tree["east"])
    kinds = set(Application.objects.values_list("kind", flat=True))
    assert kinds == {"basic", "third_party"}
    attendance = Application.objects.get(code="attendance")
    assert not _on_for(dev, "attendance")

    application_services.switch_application(actor=manager, application=attendance, enabled=True)
    application_services.switch_application(actor=manager, application=attendance, enabled=False,
                                            department=tree["rnd"])
    application_services.switch_application(actor=manager, application=attendance, enabled=True, person=dev.account)
    assert _on_for(dev, "attendance") and _on_for(sales, "attendance")
    application_services.switch_application(actor=manager, application=attendance, enabled=False, person=dev.account)
    assert not _on_for(dev, "attendance")

    own = application_services.create_self_built_application(actor=manager, name="Canteen menu")
    assert own.kind == "self_built" and not _on_for(sales, own.code)
    application_services.switch_application(actor=manager, application=own, enabled=True, department=tree["sales"])
    assert _on_for(sales, own.code) and not _on_for(dev, own.code)


@pytest.mark.promise("E6")
def test_switching_a_third_party_application_on_reaches_sharing_for_exactly_who_it_changed_for(in_a, manager):
    tree = make_tree()
    dev, sales = make_employee(department=tree["backend"]), make_employee(department=tree["east"])
    certify(in_a.enterprise)  # E4: e-signature is for certified enterprises
    signing = Application.objects.get(code="e-signature")
    changed = application_services.switch_application(actor=manager, application=signing, enabled=True,
                                                      department=tree["rnd"])
    basic = Application.objects.get(code="attendance")
    application_services.switch_application(actor=manager, application=basic, enabled=True)
    assert changed == [dev.account_id]
    # Consent's sharing service remembers the audience of each third-party application (C9).
    audience = ApplicationAudience.objects.filter(person_id__in=[dev.account_id, sales.account_id])
    assert list(audience.values_list("application_code", "person_id", "is_enabled")) == [
        ("e-signature", dev.account_id, True)]


def test_a_failure_to_share_rolls_the_switch_back(in_a, manager, monkeypatch):
    tree = make_tree()
    make_employee(department=tree["backend"])

    def refuse(**kwargs):
        raise ValidationError({"application": ["no consent flow"]})

    monkeypatch.setattr(sharing_services, "share_for_application_switch", refuse)
    certify(in_a.enterprise)  # E4: e-signature is for certified enterprises
    with pytest.raises(ValidationError):
        application_services.switch_application(
            actor=manager, application=Application.objects.get(code="e-signature"), enabled=True)
    assert not Application.objects.get(code="e-signature").switches.exists()


def test_a_sub_administrator_switches_only_inside_their_departments(in_a, manager):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    attendance = Application.objects.get(code="attendance")
    application_services.switch_application(actor=deputy, application=attendance, enabled=True,
                                            department=tree["backend"])
    with pytest.raises(NotInYourScope):
        application_services.switch_application(actor=deputy, application=attendance, enabled=True,
                                                department=tree["sales"])
    from core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        application_services.switch_application(actor=deputy, application=attendance, enabled=True)


def test_the_directory_follows_the_address_book_switch(in_a, manager, api_as):
    person = make_employee()
    api = api_as(person.account)
    assert api.get("/api/v1/directory").status_code == 200
    application_services.switch_application(actor=manager, application=Application.objects.get(code="address-book"),
                                            enabled=False, person=person.account)
    assert api.get("/api/v1/directory").status_code == 403
    assert "address-book" not in [app["code"] for app in api.get("/api/v1/me/applications").json()]


@pytest.mark.promise("C9")
def test_a_third_party_applications_provider_is_named_in_the_readers_language(in_a, manager, console_as):
    console = console_as(manager)
    signing = Application.objects.get(code="e-signature")
    chinese = console.get("/console/organisation/applications/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "上海千印网络科技有限公司" in chinese and "Shanghai Qianyin" not in chinese
    english = console.get(f"/console/organisation/applications/{signing.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Shanghai Qianyin Network Technology Co., Ltd." in english
