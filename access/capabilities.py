"""THE catalogue of who may do what (E5, E6, X2): every capability named once, with who holds it.

Everything that decides whether someone may act asks `may(actor, capability, target=...)` or
`require(...)` here; nothing else compares roles. The adapters below only translate the answer for
their interface:

- `accounts.permissions.IsEnterpriseMember`, `orgdata.permissions.IsOrganisationAdministrator`,
  `accounts.permissions.ApplicationSwitchedOn` (E6, for the attendance API and the directory) — DRF
  permission classes;
- `accounts.permissions.console_login_required` (and `..._for_password_change`) — console views;
- `privacy.unmask.may_unmask` — the one release of unmasked values;
- `tenants.admin` and `policies.admin` — the Django admin site, its lifecycle actions and policy publishing;
- the `access` template library (`{% load access %}`, `user|may:"use_console"`) — templates;
- `orgdata.selectors.scope` — scoped querysets, whose rule is `scope_of(actor)` below;
- `people_in_scope(actor, capability)` below — the same scope as a filter, for the lists about
  people kept by apps below orgdata (the sharing ledger, policy acceptance, check-ins).

How to read a row: one column per kind of actor. A sub-administrator's `IN_SCOPE` means "within the
department subtrees granted to them" (orgdata's scope resolver answers for a target); an
employee's `SWITCHED_ON` means "for themselves, when the enterprise has the application (the
target) switched on for them" (E6). Services take a required `actor`; system work passes an
`access.actors.SystemActor` and holds what the "system" column says.

Adding a capability: add it to `Capability` and give it a row; tests/access/test_capabilities.py
lists every answer and fails until the new row is there too.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from access import resolvers
from access.actors import SystemActor, require_actor
from access.errors import ApplicationNotAuthorised, NotInYourScope
from access.roles import Role, role_of
from core.errors import NotPermitted


class Capability(StrEnum):
    USE_CONSOLE = "use_console"  # the enterprise's web console
    USE_ADMIN_SITE = "use_admin_site"  # the platform's Django admin
    USE_MOBILE_API = "use_mobile_api"  # the enterprise's mobile API, as one of its members
    ADMINISTER_ORGANISATION = "administer_organisation"  # the organisation pages; THE scope rule (E5)
    ADMINISTER_DEPARTMENTS = "administer_departments"  # create, rename, move, merge, delete
    CHANGE_TOP_OF_TREE = "change_top_of_tree"  # departments at the top of the tree
    ADMINISTER_EMPLOYEES = "administer_employees"  # add people, change them, place them in departments
    EDIT_IDENTITY_RECORD = "edit_identity_record"  # target: the account whose record (E5)
    RESET_PASSWORD = "reset_password"  # target: the account (never one's own)
    IMPORT_ADDRESS_BOOK = "import_address_book"
    SEE_EVERY_IMPORT = "see_every_import"  # others' imports too (one's own are always visible)
    EXPORT_ADDRESS_BOOK = "export_address_book"
    UNMASK_SENSITIVE_VALUES = "unmask_sensitive_values"  # X2: mobile and ID numbers in clear
    ADMINISTER_POSITIONS = "administer_positions"  # the position and job-level lists (E7)
    ADMINISTER_ADMINISTRATORS = "administer_administrators"  # appoint and remove sub-administrators
    HAND_OVER_MANAGER_ROLE = "hand_over_manager_role"
    CORRECT_ENTERPRISE_PROFILE = "correct_enterprise_profile"
    CHOOSE_DIRECTORY_FIELDS = "choose_directory_fields"  # E7, enterprise-wide
    MANAGE_APPLICATION_CATALOGUE = "manage_application_catalogue"  # E6: self-built applications
    SWITCH_APPLICATIONS_ENTERPRISE_WIDE = "switch_applications_enterprise_wide"  # E6
    SWITCH_APPLICATIONS = "switch_applications"  # E6: for a department or a person
    SWITCH_TRACKING = "switch_tracking"  # C4, enterprise-wide
    SET_FACE_PHOTO_POLICY = "set_face_photo_policy"  # A2: keep base photos after enrolment, enterprise-wide
    SEE_CONSENT_PAGES = "see_consent_pages"  # the console's privacy overview
    RECORD_CONSENT_ON_REQUEST = "record_consent_on_request"  # C6: an answer given on paper
    USE_APPLICATION = "use_application"  # E6; target: the application's code
    CHANGE_ENTERPRISE_LIFECYCLE = "change_enterprise_lifecycle"  # suspend, reactivate
    PUBLISH_POLICY_VERSION = "publish_policy_version"  # C8: the platform's privacy policy
    PROVISION_ENTERPRISE = "provision_enterprise"  # create an enterprise with its manager account
    ERASE_PERSON = "erase_person"  # R4/R5; target: the account erased (issue 12)
    SEE_EVERY_ERASURE = "see_every_erasure"  # others' erasure jobs and certificates (one's own always)
    CANCEL_ENTERPRISE = "cancel_enterprise"  # E9: apply for (or withdraw) the enterprise's cancellation
    ANNOUNCE_CESSATION = "announce_cessation"  # E10: announce (or withdraw) the end of the service
    RECORD_HOLDER_TRANSFER = "record_holder_transfer"  # C10: an enterprise's data passes to a new holder
    VERIFY_MINOR_CASE = "verify_minor_case"  # M2: confirm or dismiss that a person is a minor
    RECORD_GUARDIAN_CONSENT = "record_guardian_consent"  # M1: a guardian's consent to a minor's account
    HANDLE_RIGHTS_REQUESTS = "handle_rights_requests"  # R2–R10: the queue, answers and refusals
    CONFIGURE_RECIPIENTS = "configure_recipients"  # R3: a recipient's webhook URL and signing secret
    SHARE_WITH_PARTNERS = "share_with_partners"  # C9/S1: register a partner, send it payroll or insurance data
    CHOOSE_FOR_PUBLIC_BOARD = "choose_for_public_board"  # C11: choose the employee of the month
    SEE_AUDIT_LOG = "see_audit_log"  # X4: the enterprise's audit log and its chain's verification
    SEE_SHARING_LEDGER = "see_sharing_ledger"  # C9: what went to which recipient; target: the person
    SEE_POLICY_ACCEPTANCE = "see_policy_acceptance"  # C8: how many people accepted each version
    SEE_ATTENDANCE_RECORDS = "see_attendance_records"  # A1: check-ins; target: the person
    ADMINISTER_CUSTOMERS = "administer_customers"  # A1: the customer list field staff visit; target: a department
    SEE_FIELD_WORK = "see_field_work"  # A1: visits and reports; target: the person
    HANDLE_SECURITY_INCIDENTS = "handle_security_incidents"  # X5: open incidents, tell people, the report
    APPLY_FOR_CERTIFICATION = "apply_for_certification"  # E4: submit (or resubmit) the enterprise's certification
    REVIEW_CERTIFICATION = "review_certification"  # E4: platform support approves or rejects a submission
    SEE_CERTIFICATION_DOCUMENTS = "see_certification_documents"  # E4: the licence copy and the signed letter
    CONFIGURE_APPROVALS = "configure_approvals"  # X4: the kinds switched on, department heads, named approvers
    SEE_APPROVAL_LOG = "see_approval_log"  # X4: every request and decision; target: the applicant
    SEND_ANNOUNCEMENTS = "send_announcements"  # C13: to departments; target: the department
    ANNOUNCE_TO_EVERYONE = "announce_to_everyone"  # C13: to the whole enterprise; its channels


class Grant(Enum):
    NO = "no"
    YES = "yes"
    IN_SCOPE = "in scope"  # within the granted department subtrees (targets asked of orgdata)
    PLAIN_EMPLOYEES = "plain employees"  # only for plain employees' accounts, found through the scope
    SWITCHED_ON = "switched on"  # for themselves, when the application is on for them (E6)
    BY_PERMISSION = "by permission"  # when granted the row's Django permission


NO, YES, IN_SCOPE, PLAIN_EMPLOYEES, SWITCHED_ON, BY_PERMISSION = Grant


@dataclass(frozen=True)
class Holders:
    manager: Grant
    sub_admin: Grant
    employee: Grant
    platform_staff: Grant
    system: Grant
    permission: str = ""  # for BY_PERMISSION
    never_on_oneself: bool = False

    def for_role(self, role: Role) -> Grant:
        return {Role.MANAGER: self.manager, Role.SUB_ADMIN: self.sub_admin, Role.EMPLOYEE: self.employee,
                Role.PLATFORM_STAFF: self.platform_staff}[role]


C = Capability
UNMASK_PERMISSION = "privacy.unmask_sensitive"
LIFECYCLE_PERMISSION = "tenants.change_enterprise"
PROVISIONING_PERMISSION = "tenants.add_enterprise"
RIGHTS_PERMISSION = "rights.handle_rights_requests"  # the PI protection contact's, when not the manager
CERTIFICATION_PERMISSION = "certification.review_certification"  # platform support reviewing certifications

# One row per capability. Columns: manager, sub-administrator, employee, platform staff, system.
CATALOGUE: dict[Capability, Holders] = {
    C.USE_CONSOLE:                         Holders(YES, YES,             NO,          NO,  NO),
    C.USE_ADMIN_SITE:                      Holders(NO,  NO,              NO,          YES, NO),
    C.USE_MOBILE_API:                      Holders(YES, YES,             YES,         NO,  NO),
    C.ADMINISTER_ORGANISATION:             Holders(YES, IN_SCOPE,        NO,          NO,  YES),
    C.ADMINISTER_DEPARTMENTS:              Holders(YES, IN_SCOPE,        NO,          NO,  YES),
    C.CHANGE_TOP_OF_TREE:                  Holders(YES, NO,              NO,          NO,  YES),
    C.ADMINISTER_EMPLOYEES:                Holders(YES, IN_SCOPE,        NO,          NO,  YES),
    C.EDIT_IDENTITY_RECORD:                Holders(YES, PLAIN_EMPLOYEES, NO,          NO,  YES),
    C.RESET_PASSWORD:                      Holders(YES, PLAIN_EMPLOYEES, NO,          NO,  NO, never_on_oneself=True),
    C.IMPORT_ADDRESS_BOOK:                 Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.SEE_EVERY_IMPORT:                    Holders(YES, NO,              NO,          NO,  NO),
    C.EXPORT_ADDRESS_BOOK:                 Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.UNMASK_SENSITIVE_VALUES:             Holders(YES, BY_PERMISSION,   BY_PERMISSION, BY_PERMISSION, NO,
                                                   permission=UNMASK_PERMISSION),
    C.ADMINISTER_POSITIONS:                Holders(YES, NO,              NO,          NO,  YES),
    C.ADMINISTER_ADMINISTRATORS:           Holders(YES, NO,              NO,          NO,  NO),
    C.HAND_OVER_MANAGER_ROLE:              Holders(YES, NO,              NO,          NO,  NO),
    C.CORRECT_ENTERPRISE_PROFILE:          Holders(YES, NO,              NO,          NO,  NO),
    C.CHOOSE_DIRECTORY_FIELDS:             Holders(YES, NO,              NO,          NO,  NO),
    C.MANAGE_APPLICATION_CATALOGUE:        Holders(YES, NO,              NO,          NO,  NO),
    C.SWITCH_APPLICATIONS_ENTERPRISE_WIDE: Holders(YES, NO,              NO,          NO,  NO),
    C.SWITCH_APPLICATIONS:                 Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.SWITCH_TRACKING:                     Holders(YES, NO,              NO,          NO,  NO),
    C.SET_FACE_PHOTO_POLICY:               Holders(YES, NO,              NO,          NO,  NO),
    C.SEE_CONSENT_PAGES:                   Holders(YES, YES,             NO,          NO,  NO),
    C.RECORD_CONSENT_ON_REQUEST:           Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.USE_APPLICATION:                     Holders(SWITCHED_ON, SWITCHED_ON, SWITCHED_ON, NO, NO),
    C.CHANGE_ENTERPRISE_LIFECYCLE:         Holders(NO,  NO,              NO,          BY_PERMISSION, NO,
                                                   permission=LIFECYCLE_PERMISSION),
    C.PUBLISH_POLICY_VERSION:              Holders(NO,  NO,              NO,          YES, NO),
    C.PROVISION_ENTERPRISE:                Holders(NO,  NO,              NO,          BY_PERMISSION, YES,
                                                   permission=PROVISIONING_PERMISSION),
    C.ERASE_PERSON:                        Holders(YES, PLAIN_EMPLOYEES, NO,          NO,  YES, never_on_oneself=True),
    C.SEE_EVERY_ERASURE:                   Holders(YES, NO,              NO,          NO,  NO),
    C.CANCEL_ENTERPRISE:                   Holders(YES, NO,              NO,          BY_PERMISSION, YES,
                                                   permission=LIFECYCLE_PERMISSION),
    C.ANNOUNCE_CESSATION:                  Holders(NO,  NO,              NO,          BY_PERMISSION, NO,
                                                   permission=LIFECYCLE_PERMISSION),
    C.RECORD_HOLDER_TRANSFER:              Holders(NO,  NO,              NO,          BY_PERMISSION, NO,
                                                   permission=LIFECYCLE_PERMISSION),
    C.VERIFY_MINOR_CASE:                   Holders(YES, NO,              NO,          NO,  YES),
    C.RECORD_GUARDIAN_CONSENT:             Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.HANDLE_RIGHTS_REQUESTS:              Holders(YES, BY_PERMISSION,   NO,          NO,  YES,
                                                   permission=RIGHTS_PERMISSION),
    C.CONFIGURE_RECIPIENTS:                Holders(YES, NO,              NO,          NO,  YES),
    C.SHARE_WITH_PARTNERS:                 Holders(YES, NO,              NO,          NO,  NO),
    C.CHOOSE_FOR_PUBLIC_BOARD:             Holders(YES, NO,              NO,          NO,  NO),
    # X4: the log names every administrator's operations on anyone; no department subtree bounds it.
    C.SEE_AUDIT_LOG:                       Holders(YES, NO,              NO,          NO,  NO),
    C.SEE_SHARING_LEDGER:                  Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.SEE_POLICY_ACCEPTANCE:               Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.SEE_ATTENDANCE_RECORDS:              Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.ADMINISTER_CUSTOMERS:                Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.SEE_FIELD_WORK:                      Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    # X5: the manager for their own enterprise (the console), platform staff for any (the admin).
    C.HANDLE_SECURITY_INCIDENTS:           Holders(YES, NO,              NO,          YES, YES),
    C.APPLY_FOR_CERTIFICATION:             Holders(YES, NO,              NO,          NO,  NO),
    C.REVIEW_CERTIFICATION:                Holders(NO,  NO,              NO,          BY_PERMISSION, NO,
                                                   permission=CERTIFICATION_PERMISSION),
    # E4: the documents show the legal representative: their enterprise's manager, and support reviewing.
    C.SEE_CERTIFICATION_DOCUMENTS:         Holders(YES, NO,              NO,          BY_PERMISSION, NO,
                                                   permission=CERTIFICATION_PERMISSION),
    C.CONFIGURE_APPROVALS:                 Holders(YES, NO,              NO,          NO,  YES),
    C.SEE_APPROVAL_LOG:                    Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.SEND_ANNOUNCEMENTS:                  Holders(YES, IN_SCOPE,        NO,          NO,  NO),
    C.ANNOUNCE_TO_EVERYONE:                Holders(YES, NO,              NO,          NO,  NO),
}

# The words a refusal uses, per capability (the messages views have always shown).
_MANAGER_ONLY = gettext_noop("Only the enterprise manager can do this.")
_ADMINISTRATORS_ONLY = gettext_noop("Only enterprise administrators can do this.")
_REFUSALS = {
    C.ADMINISTER_ORGANISATION: _ADMINISTRATORS_ONLY, C.ADMINISTER_DEPARTMENTS: _ADMINISTRATORS_ONLY,
    C.ADMINISTER_EMPLOYEES: _ADMINISTRATORS_ONLY, C.IMPORT_ADDRESS_BOOK: _ADMINISTRATORS_ONLY,
    C.EXPORT_ADDRESS_BOOK: _ADMINISTRATORS_ONLY, C.SWITCH_APPLICATIONS: _ADMINISTRATORS_ONLY,
    C.RECORD_CONSENT_ON_REQUEST: _ADMINISTRATORS_ONLY, C.RECORD_GUARDIAN_CONSENT: _ADMINISTRATORS_ONLY,
    C.SEE_SHARING_LEDGER: _ADMINISTRATORS_ONLY,
    C.SEE_POLICY_ACCEPTANCE: _ADMINISTRATORS_ONLY, C.SEE_ATTENDANCE_RECORDS: _ADMINISTRATORS_ONLY,
    C.ADMINISTER_CUSTOMERS: _ADMINISTRATORS_ONLY, C.SEE_FIELD_WORK: _ADMINISTRATORS_ONLY,
    C.SEE_APPROVAL_LOG: _ADMINISTRATORS_ONLY, C.SEND_ANNOUNCEMENTS: _ADMINISTRATORS_ONLY,
    C.CONFIGURE_APPROVALS: _MANAGER_ONLY, C.ANNOUNCE_TO_EVERYONE: _MANAGER_ONLY,
    C.CHANGE_TOP_OF_TREE: gettext_noop("Only the enterprise manager can change the top of the tree."),
    C.EDIT_IDENTITY_RECORD: gettext_noop("Only the enterprise manager can change an administrator's record."),
    C.RESET_PASSWORD: gettext_noop("You cannot reset this person's password."),
    C.UNMASK_SENSITIVE_VALUES: gettext_noop("You may not see this information unmasked."),
    C.PUBLISH_POLICY_VERSION: gettext_noop("Only platform staff publish privacy-policy versions."),
    C.HANDLE_SECURITY_INCIDENTS: gettext_noop("Only the enterprise manager or platform staff handle security incidents."),
    C.REVIEW_CERTIFICATION: gettext_noop("Only platform support staff review certifications."),
}


class Answer(Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    OUT_OF_SCOPE = "out of scope"


class Scope(Enum):
    """How far an actor's organisation capabilities reach (E5)."""

    EVERYTHING = "everything"
    GRANTED_SUBTREES = "granted subtrees"
    NOTHING = "nothing"


def _grant_of(actor, capability: Capability) -> Grant:
    holders = CATALOGUE[capability]
    if isinstance(actor, SystemActor):
        return holders.system
    role = role_of(actor)  # None for nobody: an anonymous request, or DRF's user-less one
    return NO if role is None else holders.for_role(role)


def answer(actor, capability: Capability, *, target=None) -> Answer:
    """The catalogue's answer for `actor` doing `capability` (to `target`, when given)."""
    holders = CATALOGUE[capability]
    grant = _grant_of(actor, capability)
    if holders.never_on_oneself and target is not None and getattr(target, "pk", None) == getattr(actor, "pk", None):
        return Answer.REFUSED
    if grant is YES:
        return Answer.ALLOWED
    if grant is IN_SCOPE:
        if target is None or resolvers.scope_resolver().contains(actor, target):
            return Answer.ALLOWED
        return Answer.OUT_OF_SCOPE
    if grant is PLAIN_EMPLOYEES:
        # Inside the actor's departments, and only a plain employee's account: another
        # administrator's is the manager's alone.
        if target is not None and not resolvers.scope_resolver().contains(actor, target):
            return Answer.OUT_OF_SCOPE
        account = getattr(target, "account", target)
        return Answer.ALLOWED if getattr(account, "role", None) == Role.EMPLOYEE else Answer.REFUSED
    if grant is SWITCHED_ON:
        is_on = target is not None and resolvers.application_resolver()(actor, target)
        return Answer.ALLOWED if is_on else Answer.REFUSED
    if grant is BY_PERMISSION:
        return Answer.ALLOWED if actor.has_perm(holders.permission) else Answer.REFUSED
    return Answer.REFUSED


def may(actor, capability: Capability, *, target=None) -> bool:
    """Whether `actor` holds `capability` (for `target`, when the row's rule depends on it).

    An interface asking about its request's user may pass None (nobody signed in): the answer is no.
    """
    return answer(actor, capability, target=target) is Answer.ALLOWED


def require(actor, capability: Capability, *, target=None, refusal: str = "") -> None:
    """Raise unless `actor` holds `capability`: NotInYourScope (404, as if absent) for a target
    outside the actor's departments, ApplicationNotAuthorised (403) for an application switched
    off (E6), NotPermitted (403) otherwise.

    Services call it with their required `actor`: None is refused loudly (TypeError), so that a
    missing actor can never pass for "no check wanted".
    """
    require_actor(actor)
    outcome = answer(actor, capability, target=target)
    if outcome is Answer.ALLOWED:
        return
    if outcome is Answer.OUT_OF_SCOPE:
        raise NotInYourScope()
    if capability is C.USE_APPLICATION:
        raise ApplicationNotAuthorised(refusal or _("This application is switched off for you."))
    raise NotPermitted(refusal or _(_REFUSALS.get(capability, _MANAGER_ONLY)))


def scope_of(actor, capability: Capability = C.ADMINISTER_ORGANISATION) -> Scope:
    """How far `actor`'s `capability` reaches: the scoped querysets
    (orgdata.selectors.scope) start here."""
    grant = _grant_of(actor, capability)
    if grant is YES:
        return Scope.EVERYTHING
    if grant is IN_SCOPE:
        return Scope.GRANTED_SUBTREES
    return Scope.NOTHING


def people_in_scope(actor, capability: Capability, *, field: str = "person") -> Q:
    """A filter on `field` (a foreign key to the account) keeping the people `actor`'s `capability`
    reaches: everyone, the accounts of the granted department subtrees (orgdata's scope resolver
    says which), or nobody. Lists about people in apps below orgdata start here (E5)."""
    scope = scope_of(actor, capability)
    if scope is Scope.EVERYTHING:
        return Q()
    if scope is Scope.GRANTED_SUBTREES:
        return Q(**{f"{field}__in": resolvers.scope_resolver().accounts_within(actor)})
    return Q(pk__in=[])
