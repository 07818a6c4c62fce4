"""Who may do what, as one readable table: every capability × every kind of actor.

The catalogue (access.capabilities) is the one answer; this table is its specification. A
capability added to the catalogue without its row here fails `test_every_capability_has_its_row`.
Targets: "in scope" rows are asked with a target inside and one outside the sub-administrator's
departments; "plain employees" rows with a plain employee's account and an administrator's.
"""
import pytest

from access.actors import SystemActor
from access.capabilities import CATALOGUE, Answer, Capability, Scope, answer, may, require, scope_of
from access.errors import ApplicationNotAuthorised, NotInYourScope
from accounts.models import User
from core.errors import NotPermitted
from orgdata.models import Application
from orgdata.services import applications
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

C = Capability
Y, N = "yes", "no"
SCOPED = "in scope"  # yes inside the granted departments, 404 ("not in your scope") outside
PLAIN = "plain employees"  # yes for a plain employee's account, no for an administrator's
SWITCH = "switched on"  # yes while the application (the target) is on for them (E6)
PERM = "with permission"  # no by role; yes once granted the capability's Django permission

# capability                               manager  sub-admin  employee  platform staff  system
EXPECTED = {
    C.USE_CONSOLE:                         (Y,      Y,         N,        N,              N),
    C.USE_ADMIN_SITE:                      (N,      N,         N,        Y,              N),
    C.USE_MOBILE_API:                      (Y,      Y,         Y,        N,              N),
    C.ADMINISTER_ORGANISATION:             (Y,      SCOPED,    N,        N,              Y),
    C.ADMINISTER_DEPARTMENTS:              (Y,      SCOPED,    N,        N,              Y),
    C.CHANGE_TOP_OF_TREE:                  (Y,      N,         N,        N,              Y),
    C.ADMINISTER_EMPLOYEES:                (Y,      SCOPED,    N,        N,              Y),
    C.EDIT_IDENTITY_RECORD:                (Y,      PLAIN,     N,        N,              Y),
    C.RESET_PASSWORD:                      (Y,      PLAIN,     N,        N,              N),
    C.IMPORT_ADDRESS_BOOK:                 (Y,      SCOPED,    N,        N,              N),
    C.SEE_EVERY_IMPORT:                    (Y,      N,         N,        N,              N),
    C.EXPORT_ADDRESS_BOOK:                 (Y,      SCOPED,    N,        N,              N),
    C.UNMASK_SENSITIVE_VALUES:             (Y,      PERM,      PERM,     PERM,           N),
    C.ADMINISTER_POSITIONS:                (Y,      N,         N,        N,              Y),
    C.ADMINISTER_ADMINISTRATORS:           (Y,      N,         N,        N,              N),
    C.HAND_OVER_MANAGER_ROLE:              (Y,      N,         N,        N,              N),
    C.CORRECT_ENTERPRISE_PROFILE:          (Y,      N,         N,        N,              N),
    C.CHOOSE_DIRECTORY_FIELDS:             (Y,      N,         N,        N,              N),
    C.MANAGE_APPLICATION_CATALOGUE:        (Y,      N,         N,        N,              N),
    C.SWITCH_APPLICATIONS_ENTERPRISE_WIDE: (Y,      N,         N,        N,              N),
    C.SWITCH_APPLICATIONS:                 (Y,      SCOPED,    N,        N,              N),
    C.SWITCH_TRACKING:                     (Y,      N,         N,        N,              N),
    C.SET_FACE_PHOTO_POLICY:               (Y,      N,         N,        N,              N),
    C.SEE_CONSENT_PAGES:                   (Y,      Y,         N,        N,              N),
    C.RECORD_CONSENT_ON_REQUEST:           (Y,      SCOPED,    N,        N,              N),
    C.USE_APPLICATION:                     (SWITCH, SWITCH,    SWITCH,   N,              N),
    C.CHANGE_ENTERPRISE_LIFECYCLE:         (N,      N,         N,        PERM,           N),
    C.PUBLISH_POLICY_VERSION:              (N,      N,         N,        Y,              N),
    C.PROVISION_ENTERPRISE:                (N,      N,         N,        PERM,           Y),
    C.ERASE_PERSON:                        (Y,      PLAIN,     N,        N,              Y),
    C.SEE_EVERY_ERASURE:                   (Y,      N,         N,        N,              N),
    C.CANCEL_ENTERPRISE:                   (Y,      N,         N,        PERM,           Y),
    C.ANNOUNCE_CESSATION:                  (N,      N,         N,        PERM,           N),
    C.RECORD_HOLDER_TRANSFER:              (N,      N,         N,        PERM,           N),
    C.VERIFY_MINOR_CASE:                   (Y,      N,         N,        N,              Y),
    C.RECORD_GUARDIAN_CONSENT:             (Y,      SCOPED,    N,        N,              N),
    C.HANDLE_RIGHTS_REQUESTS:              (Y,      PERM,      N,        N,              Y),
    C.CONFIGURE_RECIPIENTS:                (Y,      N,         N,        N,              Y),
    C.SHARE_WITH_PARTNERS:                 (Y,      N,         N,        N,              N),
    C.CHOOSE_FOR_PUBLIC_BOARD:             (Y,      N,         N,        N,              N),
    C.SEE_AUDIT_LOG:                       (Y,      N,         N,        N,              N),
    C.SEE_SHARING_LEDGER:                  (Y,      SCOPED,    N,        N,              N),
    C.SEE_POLICY_ACCEPTANCE:               (Y,      SCOPED,    N,        N,              N),
    C.SEE_ATTENDANCE_RECORDS:              (Y,      SCOPED,    N,        N,              N),
    C.ADMINISTER_CUSTOMERS:                (Y,      SCOPED,    N,        N,              N),
    C.SEE_FIELD_WORK:                      (Y,      SCOPED,    N,        N,              N),
    C.HANDLE_SECURITY_INCIDENTS:           (Y,      N,         N,        Y,              Y),
    C.APPLY_FOR_CERTIFICATION:             (Y,      N,         N,        N,              N),
    C.REVIEW_CERTIFICATION:                (N,      N,         N,        PERM,           N),
    C.SEE_CERTIFICATION_DOCUMENTS:         (Y,      N,         N,        PERM,           N),
    C.CONFIGURE_APPROVALS:                 (Y,      N,         N,        N,              Y),
    C.SEE_APPROVAL_LOG:                    (Y,      SCOPED,    N,        N,              N),
    C.SEND_ANNOUNCEMENTS:                  (Y,      SCOPED,    N,        N,              N),
    C.ANNOUNCE_TO_EVERYONE:                (Y,      N,         N,        N,              N),
}
ACTORS = ("manager", "sub_admin", "employee", "platform_staff", "system")


def test_every_capability_has_its_row():
    assert set(EXPECTED) == set(Capability) == set(CATALOGUE)


@pytest.fixture
def cast(in_a, manager):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    inside, outside = make_employee(department=tree["backend"]), make_employee(department=tree["east"])
    other_administrator = make_sub_administrator(departments=[tree["frontend"]], manager=manager, name="王五")
    staff = User(pk=10**9, role=User.Role.PLATFORM_STAFF, is_staff=True, is_active=True)
    actors = {"manager": manager, "sub_admin": deputy, "employee": inside.account,
              "platform_staff": staff, "system": SystemActor("capability table")}
    return {"tree": tree, "actors": actors, "inside": inside, "outside": outside, "admin": other_administrator}


def _targets(capability, cast):
    """(target inside the rule, target outside it) for the rows that depend on one."""
    if capability in (C.ADMINISTER_DEPARTMENTS, C.SWITCH_APPLICATIONS, C.SEND_ANNOUNCEMENTS):
        return cast["tree"]["backend"], cast["tree"]["east"]
    if capability in (C.EDIT_IDENTITY_RECORD, C.RESET_PASSWORD, C.ERASE_PERSON):
        return cast["inside"].account, cast["admin"]
    if capability is C.USE_APPLICATION:
        return "address-book", "attendance"  # on, and off, by default
    return cast["inside"], cast["outside"]


def _observed(actor, capability, cast) -> str:
    inside, outside = _targets(capability, cast)
    plain = may(actor, capability)
    if capability is C.USE_APPLICATION:
        return SWITCH if may(actor, capability, target=inside) and not may(actor, capability, target=outside) else N
    if capability in (C.EDIT_IDENTITY_RECORD, C.RESET_PASSWORD, C.ERASE_PERSON):
        with_inside, with_outside = may(actor, capability, target=inside), may(actor, capability, target=outside)
        if with_inside and with_outside:
            return Y
        return PLAIN if with_inside else N
    if plain and answer(actor, capability, target=outside) is Answer.OUT_OF_SCOPE:
        assert may(actor, capability, target=inside)
        return SCOPED
    return Y if plain else N


def test_the_catalogue_answers_as_the_table_says(cast):
    observed = {capability: tuple(_observed(cast["actors"][kind], capability, cast) for kind in ACTORS)
                for capability in Capability}
    expected = {capability: tuple(N if answer == PERM else answer for answer in row)
                for capability, row in EXPECTED.items()}
    assert observed == expected


def test_permission_rows_follow_the_django_permission(cast):
    from django.contrib.auth.models import Permission

    employee = cast["actors"]["employee"]
    employee.user_permissions.add(Permission.objects.get(codename="unmask_sensitive"))
    employee = User.objects.get(pk=employee.pk)  # a fresh permission cache
    assert may(employee, C.UNMASK_SENSITIVE_VALUES)
    assert not may(employee, C.CHANGE_ENTERPRISE_LIFECYCLE)
    assert not may(employee, C.PROVISION_ENTERPRISE)


def test_the_scope_of_each_actor(cast):
    scopes = {kind: scope_of(actor) for kind, actor in cast["actors"].items()}
    assert scopes == {"manager": Scope.EVERYTHING, "sub_admin": Scope.GRANTED_SUBTREES, "employee": Scope.NOTHING,
                      "platform_staff": Scope.NOTHING, "system": Scope.EVERYTHING}


def test_require_says_why(cast, manager):
    deputy, employee = cast["actors"]["sub_admin"], cast["actors"]["employee"]
    with pytest.raises(NotInYourScope):
        require(deputy, C.ADMINISTER_EMPLOYEES, target=cast["outside"])
    with pytest.raises(NotPermitted):
        require(deputy, C.ADMINISTER_ADMINISTRATORS)
    with pytest.raises(NotPermitted, match="reset"):
        require(manager, C.RESET_PASSWORD, target=manager)  # never one's own
    applications.switch_application(actor=manager, application=Application.objects.get(code="address-book"),
                                    enabled=False, person=employee)
    with pytest.raises(ApplicationNotAuthorised):
        require(employee, C.USE_APPLICATION, target="address-book")


@pytest.mark.promise("E5")
def test_a_sub_administrator_resets_and_edits_only_plain_employees_inside_their_departments(cast):
    deputy, outside = cast["actors"]["sub_admin"], cast["outside"].account
    for capability in (C.EDIT_IDENTITY_RECORD, C.RESET_PASSWORD, C.ERASE_PERSON):
        assert may(deputy, capability, target=cast["inside"].account)
        assert answer(deputy, capability, target=outside) is Answer.OUT_OF_SCOPE
        with pytest.raises(NotInYourScope):
            require(deputy, capability, target=outside)


def test_a_missing_actor_is_refused_loudly_not_taken_for_no_check(in_a):
    with pytest.raises(TypeError, match="actor is required"):
        require(None, C.ADMINISTER_DEPARTMENTS)
    assert not may(None, C.USE_CONSOLE)  # an interface's request without a user: nobody
