"""The one masking policy (privacy.disclosure): field × viewer → clear, masked or hidden, in one table.

Every surface (API, console, export, Django admin) asks this policy, so these answers are what a
viewer sees of a field everywhere; tests/orgdata/test_disclosure_surfaces.py walks the surfaces.
"""
import pytest
from django.contrib.auth.models import Permission
from django.db import models
from django.test.utils import isolate_apps
from django_tenants.utils import schema_context

from accounts.models import User
from attendance.models import CheckIn
from core.errors import NotPermitted
from privacy import disclosure
from privacy.disclosure import Route
from privacy.registry import PI, Category, Mask, personal_data
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id

VIEWERS = ("person", "colleague", "sub_admin", "deputy", "manager")

# What each viewer sees on any surface (Route.SURFACE), and what the person sees of their own
# record in "my profile" (Route.OWN_RECORD). "clear" / "masked" / "hidden" (never shown).
#                                  person    colleague sub_admin deputy    manager    own record
MATRIX = {
    "User.display_name":        (("clear",  "clear",  "clear",  "clear",  "clear"),  "clear"),
    "User.mobile":              (("masked", "masked", "masked", "masked", "masked"), "clear"),
    "User.mobile_index":        (("hidden", "hidden", "hidden", "hidden", "hidden"), "hidden"),
    "Employee.landline":        (("masked", "masked", "masked", "masked", "masked"), "clear"),
    "Employee.email":           (("masked", "masked", "masked", "masked", "masked"), "clear"),
    "Employee.id_number":       (("masked", "masked", "masked", "masked", "masked"), "masked"),
    "Employee.id_number_index": (("hidden", "hidden", "hidden", "hidden", "hidden"), "hidden"),
    "Employee.title":           (("clear",  "clear",  "clear",  "clear",  "clear"),  "clear"),
    "CheckIn.location":         (("masked", "masked", "masked", "masked", "masked"), "masked"),
}
# Who may ask for the audited reveal (privacy.unmask.reveal): the manager and a holder of the
# unmask permission; everyone else is refused.
MAY_REVEAL = {"person": False, "colleague": False, "sub_admin": False, "deputy": True, "manager": True}

SHOWN = {
    "User.mobile": ("13912345678", "139****5678"),
    "Employee.landline": ("021-62345678", "021-****5678"),
    "Employee.email": ("zhang.san@example.com", "z***@example.com"),
    "Employee.id_number": (resident_id(), "1101**********" + resident_id()[-4:]),
    "CheckIn.location": ({"lat": 31.2, "lng": 121.5}, "***"),
}


@pytest.fixture
def people(enterprises):
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        tree = make_tree()
        person = make_employee(department=tree["backend"], name="张三", mobile="13912345678", id_number=resident_id(),
                               email="zhang.san@example.com", landline="021-62345678", title="工程师")
        colleague = make_employee(department=tree["backend"], name="同事").account
        sub_admin = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
        deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="受托人")
        deputy.user_permissions.add(Permission.objects.get(codename="unmask_sensitive"))
        deputy = User.objects.get(pk=deputy.pk)  # permission caches are per instance
        viewers = {"person": person.account, "colleague": colleague, "sub_admin": sub_admin, "deputy": deputy,
                   "manager": manager}
        records = {"User": person.account, "Employee": person,
                   "CheckIn": CheckIn(person=person.account, location={"lat": 31.2, "lng": 121.5})}
        yield viewers, records


def _answer(viewer, instance, field, route):
    value = disclosure.shown_value(viewer=viewer, instance=instance, field=field, route=route)
    if disclosure.is_shown_clear(viewer=viewer, instance=instance, field=field, route=route):
        assert value == getattr(instance, field)
        return "clear"
    if value == "":
        return "hidden"
    assert value != getattr(instance, field)
    return "masked"


@pytest.mark.promise("X2")
def test_the_matrix_of_fields_and_viewers(people):
    viewers, records = people
    seen, expected = {}, {}
    for label, (on_surfaces, own_record) in MATRIX.items():
        model, field = label.split(".")
        instance = records[model]
        for name in VIEWERS:
            seen[label, name] = _answer(viewers[name], instance, field, Route.SURFACE)
        seen[label, "own record"] = _answer(viewers["person"], instance, field, Route.OWN_RECORD)
        expected.update({(label, name): answer for name, answer in zip(VIEWERS, on_surfaces)})
        expected[label, "own record"] = own_record
    assert seen == expected


def test_masked_values_take_the_mask_their_declaration_names(people):
    viewers, records = people
    for label, (stored, masked) in SHOWN.items():
        model, field = label.split(".")
        instance = records[model]
        assert getattr(instance, field) == stored
        assert disclosure.shown_value(viewer=viewers["manager"], instance=instance, field=field) == masked


@pytest.mark.promise("R1")
def test_the_own_record_route_is_clear_only_for_the_person_the_record_is_about(people):
    viewers, records = people
    for name in ("colleague", "sub_admin", "deputy", "manager"):
        assert disclosure.shown_value(viewer=viewers[name], instance=records["Employee"], field="email",
                                      route=Route.OWN_RECORD) == "z***@example.com"
    assert disclosure.shown_value(viewer=None, instance=records["User"], field="mobile",
                                  route=Route.OWN_RECORD) == "139****5678"


@pytest.mark.promise("X2")
def test_only_the_reveal_route_shows_clear_values_to_whoever_may_unmask(people):
    viewers, records = people
    employee = records["Employee"]
    for name, may_reveal in MAY_REVEAL.items():
        assert disclosure.is_shown_clear(viewer=viewers[name], instance=employee, field="email",
                                         route=Route.REVEAL) is may_reveal
        if may_reveal:
            assert disclosure.shown_value(viewer=viewers[name], instance=employee, field="email",
                                          route=Route.REVEAL) == "zhang.san@example.com"
        else:
            with pytest.raises(NotPermitted):
                disclosure.shown_value(viewer=viewers[name], instance=employee, field="email", route=Route.REVEAL)
    # A hidden field is not released even by a reveal.
    assert disclosure.shown_value(viewer=viewers["manager"], instance=employee, field="id_number_index",
                                  route=Route.REVEAL) == ""


def test_plain_values_read_without_their_row_are_shown_as_on_any_surface(people):
    viewers, records = people
    for name in VIEWERS:
        for model, field in ((User, "mobile"), (type(records["Employee"]), "landline"),
                             (type(records["Employee"]), "email"), (User, "display_name")):
            instance = records[model.__name__]
            assert disclosure.shown_plain_value(viewer=viewers[name], model=model, field=field,
                                                value=getattr(instance, field)) == disclosure.shown_value(
                viewer=viewers[name], instance=instance, field=field)


def test_a_field_the_data_map_does_not_declare_is_refused(people):
    viewers, records = people
    with pytest.raises(LookupError):
        disclosure.shown_value(viewer=viewers["manager"], instance=records["Employee"], field="work_status_note")
    with pytest.raises(LookupError):
        disclosure.shown_value(viewer=viewers["manager"], instance=records["User"], field="role")


def test_a_sensitive_field_must_declare_its_mask():
    with pytest.raises(ValueError, match="needs a mask"):
        PI(Category.SENSITIVE, purpose="hr_records")
    with pytest.raises(ValueError, match="unknown mask"):
        PI(Category.BASIC, purpose="hr_records", mask="blur")
    assert PI(Category.SENSITIVE, purpose="hr_records", mask=Mask.ID_NUMBER).mask == Mask.ID_NUMBER


@isolate_apps("privacy")
def test_masked_fields_lists_what_a_reveal_releases():
    @personal_data(subject="self", fields={
        "phone": PI(Category.BASIC, purpose="basic_service", mask=Mask.MOBILE),
        "phone_index": PI(Category.BASIC, purpose="basic_service", mask=Mask.HIDDEN),
        "nickname": PI(Category.BASIC, purpose="basic_service"),
    })
    class Visitor(models.Model):
        phone = models.CharField(max_length=20)
        phone_index = models.CharField(max_length=64)
        nickname = models.CharField(max_length=20)

        class Meta:
            app_label = "privacy"

    assert disclosure.masked_fields(Visitor) == ["phone"]
