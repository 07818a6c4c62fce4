"""Version authorisation (E6): switches for the enterprise, a department or a person; a third-party
application announces who it was switched on for, so the consent app can share (C9)."""
import pytest
from django.core.exceptions import ValidationError

from access.errors import NotInYourScope
from orgdata.models import Application
from orgdata.selectors import applications as application_selectors
from orgdata.services import applications
from orgdata.signals import third_party_application_switched
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

    applications.switch_application(actor=manager, application=attendance, enabled=True)
    applications.switch_application(actor=manager, application=attendance, enabled=False, department=tree["rnd"])
    applications.switch_application(actor=manager, application=attendance, enabled=True, account=dev.account)
    assert _on_for(dev, "attendance") and _on_for(sales, "attendance")
    applications.switch_application(actor=manager, application=attendance, enabled=False, account=dev.account)
    assert not _on_for(dev, "attendance")

    own = applications.create_self_built_application(actor=manager, name="Canteen menu")
    assert own.kind == "self_built" and not _on_for(sales, own.code)
    applications.switch_application(actor=manager, application=own, enabled=True, department=tree["sales"])
    assert _on_for(sales, own.code) and not _on_for(dev, own.code)


@pytest.mark.promise("E6")
def test_switching_a_third_party_application_on_announces_exactly_who_it_changed_for(in_a, manager):
    tree = make_tree()
    dev, sales = make_employee(department=tree["backend"]), make_employee(department=tree["east"])
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    third_party_application_switched.connect(listener)
    try:
        signing = Application.objects.get(code="e-signature")
        applications.switch_application(actor=manager, application=signing, enabled=True, department=tree["rnd"])
        basic = Application.objects.get(code="attendance")
        applications.switch_application(actor=manager, application=basic, enabled=True)
    finally:
        third_party_application_switched.disconnect(listener)
    assert len(heard) == 1
    assert heard[0]["application_code"] == "e-signature" and heard[0]["enabled"] is True
    assert heard[0]["account_ids"] == [dev.account_id]


def test_a_refusing_receiver_rolls_the_switch_back(in_a, manager):
    tree = make_tree()
    make_employee(department=tree["backend"])

    def refuse(sender, **kwargs):
        raise ValidationError({"application": ["no consent flow"]})

    third_party_application_switched.connect(refuse)
    try:
        with pytest.raises(ValidationError):
            applications.switch_application(actor=manager, application=Application.objects.get(code="e-signature"),
                                            enabled=True)
    finally:
        third_party_application_switched.disconnect(refuse)
    assert not Application.objects.get(code="e-signature").switches.exists()


def test_a_sub_administrator_switches_only_inside_their_departments(in_a, manager):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    attendance = Application.objects.get(code="attendance")
    applications.switch_application(actor=deputy, application=attendance, enabled=True, department=tree["backend"])
    with pytest.raises(NotInYourScope):
        applications.switch_application(actor=deputy, application=attendance, enabled=True, department=tree["sales"])
    from core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        applications.switch_application(actor=deputy, application=attendance, enabled=True)


def test_the_directory_follows_the_address_book_switch(in_a, manager, api_as):
    person = make_employee()
    api = api_as(person.account)
    assert api.get("/api/v1/directory").status_code == 200
    applications.switch_application(actor=manager, application=Application.objects.get(code="address-book"),
                                    enabled=False, account=person.account)
    assert api.get("/api/v1/directory").status_code == 403
    assert "address-book" not in [app["code"] for app in api.get("/api/v1/me/applications").json()]
