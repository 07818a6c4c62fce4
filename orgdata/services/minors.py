"""M1 and M2: what the address book does when real-name data reveals a minor.

"Information of children under 14 is deleted as soon as found" (M2) and "no service under the
legal working age (16) even with guardian consent" (M1): `clean_employee_values` (the one validator
of every path: console, API, import, the person's own profile) refuses a date of birth or a
resident ID number stating an age under 14 with the code CHILD_REFUSAL_CODE, and one stating 14 or
15 with UNDER_WORKING_AGE_CODE. On a new record that is the end of it: nothing is stored. On an
edit of someone already recorded the edited values are not stored either: for a child,
`erase_child` disables the account at once and announces the child (erased at once); for 14 or 15,
`disable_under_working_age` disables the account at once and announces a case for the manager to
verify. A person aged 16 or 17 is stored, their account inactive until a guardian's consent is
recorded (accounts.User.minor_until, written by employee_services.record_minority), and announced
with `announce_minors` for a case to verify.

orgdata sits below the erasure app (tests/architecture): it announces with
`orgdata.signals.minor_found`, and the erasure app's receiver opens the MinorCase and, for a child,
erases the person at once (erasure.services).
"""
from __future__ import annotations

from typing import NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.actors import SystemActor
from access.roles import Role, holds_role
from audit.chain import lock_person
from orgdata import signals
from orgdata.errors import ChildInformationDeleted, UnderWorkingAge
from orgdata.models import Employee
from orgdata.services import employees as employee_services

# Protecting a child is work nobody in the enterprise asked for: the account is disabled, and the
# erasure app erases, in this actor's name (the audit log says "system:minor protection").
MINOR_PROTECTION = SystemActor("minor protection")
CHILD_REFUSAL_CODE = "under_14"
UNDER_WORKING_AGE_CODE = "under_16"


def child_refusal() -> ValidationError:
    """The field error of a value stating an age under 14 (what clean_employee_values raises)."""
    return ValidationError(_("This person is under 14: information of children under 14 cannot be collected."),
                           code=CHILD_REFUSAL_CODE)


def under_working_age_refusal() -> ValidationError:
    """M1: the field error of a value stating an age of 14 or 15 (what clean_employee_values raises)."""
    return ValidationError(_("This person is under 16, the legal working age: no account, even with a guardian's "
                             "consent."), code=UNDER_WORKING_AGE_CODE)


def _fields_refused_with(refusal: ValidationError, code: str) -> dict[str, list[str]]:
    if not hasattr(refusal, "error_dict"):
        return {}
    return {field: [message for error in errors if error.code == code for message in error.messages]
            for field, errors in refusal.error_dict.items()
            if any(error.code == code for error in errors)}


def fields_revealing_a_child(refusal: ValidationError) -> dict[str, list[str]]:
    """The fields of `refusal` refused because they state an age under 14, with their messages."""
    return _fields_refused_with(refusal, CHILD_REFUSAL_CODE)


def fields_revealing_under_working_age(refusal: ValidationError) -> dict[str, list[str]]:
    """M1: the fields of `refusal` refused because they state an age of 14 or 15, with their messages."""
    return _fields_refused_with(refusal, UNDER_WORKING_AGE_CODE)


def _require_receiver() -> None:
    # Without the erasure app's receiver a found child would only be disabled, never erased:
    # refuse loudly rather than keep their information quietly.
    if not signals.minor_found.has_listeners():
        raise RuntimeError("nothing receives orgdata.signals.minor_found: is the erasure app installed?")


def may_protect(employee: Employee) -> bool:
    """Whether `employee`'s record can be erased at once: the enterprise manager's cannot while
    they hold the role (erasure refuses it; the enterprise always has its manager), so an edit
    revealing a child there is only refused."""
    return not holds_role(employee.account, Role.MANAGER)


def protect_children(*, employee_ids: list[int]) -> None:
    """M2: the people of `employee_ids` were found to be under 14 by an edit that was not stored.
    In one transaction of its own: each account is disabled at once (every token and session
    ends) and the children are announced (the erasure app opens a confirmed case and erases each
    at once). The manager's record is skipped (see `may_protect`). Refuses to act when nothing
    receives the announcement (RuntimeError)."""
    _require_receiver()
    with transaction.atomic():
        person_ids = []
        for employee_id in sorted(employee_ids):
            employee = Employee.objects.select_related("account").filter(pk=employee_id).first()
            if employee is None or not may_protect(employee):
                continue
            # Lock order: the person's row before the audit-chain head (the disabling's audit entry).
            lock_person(employee.account_id, exclusive=True)
            employee_services.close_every_way_in(actor=MINOR_PROTECTION, employee=employee)
            person_ids.append(employee.account_id)
        if person_ids:
            signals.minor_found.send(sender=Employee, person_ids=person_ids, is_child=True)


def erase_child(*, employee: Employee, refusal: ValidationError) -> NoReturn:
    """M2: an edit of `employee` stated an age under 14 (`refusal` says where). Nothing of the edit
    is stored; the account is disabled and the person erased at once (`protect_children`), then
    ChildInformationDeleted names the fields. The manager's record is only refused (`refusal`
    itself). Call it outside the edit's transaction: what it does must not be rolled back with it."""
    if not may_protect(employee):
        raise refusal
    protect_children(employee_ids=[employee.pk])
    raise ChildInformationDeleted(fields=fields_revealing_a_child(refusal))


def protect_under_working_age(*, employee_ids: list[int]) -> None:
    """M1: the people of `employee_ids` were found to be 14 or 15 by an edit that was not stored. In
    one transaction of its own: each account is disabled at once (every token and session ends)
    and announced with `account_disabled` (the erasure app opens a case for the manager: confirmed,
    the person is erased; dismissed, the data was wrong, the account is enabled again). The
    manager's record is skipped (see `may_protect`). Refuses to act when nothing receives the
    announcement (RuntimeError)."""
    _require_receiver()
    with transaction.atomic():
        person_ids = []
        for employee_id in sorted(employee_ids):
            employee = Employee.objects.select_related("account").filter(pk=employee_id).first()
            if employee is None or not may_protect(employee):
                continue
            # Lock order: the person's row before the audit-chain head (the disabling's audit entry).
            lock_person(employee.account_id, exclusive=True)
            employee_services.close_every_way_in(actor=MINOR_PROTECTION, employee=employee)
            person_ids.append(employee.account_id)
        if person_ids:
            signals.minor_found.send(sender=Employee, person_ids=person_ids, is_child=False, account_disabled=True)


def disable_under_working_age(*, employee: Employee, refusal: ValidationError) -> NoReturn:
    """M1: an edit of `employee` stated an age of 14 or 15 (`refusal` says where). Nothing of the
    edit is stored; the account is disabled at once and a case opened for the manager
    (`protect_under_working_age`), then UnderWorkingAge names the fields. The manager's record is
    only refused (`refusal` itself). Call it outside the edit's transaction."""
    if not may_protect(employee):
        raise refusal
    protect_under_working_age(employee_ids=[employee.pk])
    raise UnderWorkingAge(fields=fields_revealing_under_working_age(refusal))


def announce_minors(*, person_ids: list[int]) -> None:
    """M2: the people of `person_ids` are 16 or 17 by the real-name data just written, in the
    caller's transaction: the erasure app opens a case for the manager to verify. Refuses to act
    when nothing receives the announcement (RuntimeError)."""
    if not person_ids:
        return
    _require_receiver()
    signals.minor_found.send(sender=Employee, person_ids=list(person_ids), is_child=False, account_disabled=False)
