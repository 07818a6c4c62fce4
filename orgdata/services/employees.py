"""Writes to the address book, one person at a time (E2, E3, E5, E7, R1).

`clean_employee_values` is the single validator of every employee field; the console, the API
and the bulk import all pass through it, so they accept and refuse exactly the same values.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.capabilities import Capability, Scope, require, scope_of
from access.roles import Role, holds_role
from accounts import invitations as account_invitations
from accounts import services as account_services
from accounts.models import User
from accounts.validators import normalize_mainland_mobile
from audit.recording import record_bulk
from consent import gate as consent_gate
from consent import state_cache as consent_state_cache
from consent.services import legal_bases as legal_basis_services
from consent.models import LegalBasis
from orgdata import validators
from orgdata.models import Department, Employee, JobLevel, Position
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import directory as directory_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services import minors as minor_services

# Fields an administrator maintains (E5, E7) and the optional profile (E3).
IDENTITY_FIELDS = ("display_name", "mobile")
EMPLOYMENT_FIELDS = ("employee_number", "department", "position", "job_level", "entry_date", "work_status")
PROFILE_FIELDS = (
    "date_of_birth", "id_number", "landline", "email", "title", "gender", "residence", "country_region",
    "address", "qq", "wechat_id", "education",
)
FILE_FIELDS = ("avatar", "seal_image")
ADMIN_EDITABLE_FIELDS = IDENTITY_FIELDS + EMPLOYMENT_FIELDS + PROFILE_FIELDS + FILE_FIELDS
# R1: what a person corrects and supplements about themselves. Name, mobile number (their login),
# ID number and employment facts are the enterprise's records, corrected by an administrator.
SELF_EDITABLE_FIELDS = (
    "work_status", "date_of_birth", "landline", "email", "title", "gender", "residence", "country_region",
    "address", "qq", "wechat_id", "education", "avatar", "seal_image",
)

_NORMALISERS = {
    "employee_number": validators.normalize_employee_number,
    "id_number": validators.normalize_resident_id,
    "landline": validators.normalize_landline,
    "email": validators.normalize_email,
    "qq": validators.normalize_qq,
    "wechat_id": validators.normalize_wechat_id,
    "mobile": normalize_mainland_mobile,
}
_MAX_LENGTHS = {"display_name": 100, "title": 100, "residence": 200, "country_region": 100, "address": 300}
_CHOICES = {"work_status": Employee.WorkStatus, "gender": Employee.Gender, "education": Employee.Education}
# A choices class builds its list of values afresh on every access.
_CHOICE_VALUES = {field: frozenset(choices.values) for field, choices in _CHOICES.items()}

# C12/C2: a resident ID number is sensitive and would need the person's separate consent (the
# purpose "sensitive.id_number"); the enterprise holds it as the employer, to perform the
# employment contract (HR management). Each time one is written for a person, that basis is
# recorded. The reference names the record, never the number.
ID_NUMBER_PURPOSE = "sensitive.id_number"
ID_NUMBER_LEGAL_BASIS = LegalBasis.CONTRACT_NECESSITY
ID_NUMBER_REFERENCE = "employment record"


def clean_employee_values(values: dict[str, Any], *, record: Employee | None = None,
                          today: date | None = None) -> dict[str, Any]:
    """Normalise the given employee fields; raise ValidationError naming each bad field.

    M2: a date of birth or an ID number stating an age under 14 is refused on its field with the
    code `minors.CHILD_REFUSAL_CODE` (information of children under 14 is never collected); M1:
    one stating 14 or 15 with `minors.UNDER_WORKING_AGE_CODE` (no account under 16, the legal
    working age, even with a guardian's consent).

    Empty optional values become "" / None (E3: they never block anything). Only the keys present
    in `values` are checked; uniqueness against the database is the caller's part. A date of
    birth must agree with the ID number given with it, except that when `record` (the person
    being corrected) is given, a date of birth still equal to the stored one follows a new ID
    number: the ID number is the authority, and forms and exported files send the old date back.
    Ages are counted on `today` (the enterprise's date; a bulk caller reads it once for all its rows).
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        try:
            cleaned[field] = _clean_one(field, value)
        except ValidationError as error:
            errors[field] = error.messages
    birth, id_number = cleaned.get("date_of_birth"), cleaned.get("id_number")
    if today is None and (birth or id_number):
        today = timezone.localdate()
    if id_number and "id_number" not in errors:
        inside = validators.birth_date_of_resident_id(id_number)
        if (birth and record is not None and id_number != record.id_number
                and birth == record.date_of_birth):
            birth = None  # E5: correcting the ID number corrects the birth date it states
        if birth and birth != inside:
            errors.setdefault("date_of_birth", []).append(_birth_date_mismatch())
        elif not birth:
            cleaned["date_of_birth"] = inside  # the ID number states it; no need to type it twice
        if validators.is_child(inside, today=today):
            errors.setdefault("id_number", []).append(minor_services.child_refusal())
        elif validators.is_under_working_age(inside, today=today):
            errors.setdefault("id_number", []).append(minor_services.under_working_age_refusal())
    if birth and validators.is_child(birth, today=today):
        # M2: a child's information is never collected; on an edit the caller erases the person
        # (orgdata.services.minors.erase_child), whatever else the values got wrong.
        errors.setdefault("date_of_birth", []).append(minor_services.child_refusal())
    elif birth and validators.is_under_working_age(birth, today=today):
        # M1: no account under 16; on an edit the caller disables the account and opens a case
        # (orgdata.services.minors.disable_under_working_age).
        errors.setdefault("date_of_birth", []).append(minor_services.under_working_age_refusal())
    if errors:
        raise ValidationError(errors)
    return cleaned


def _birth_date_mismatch() -> str:
    return _("The date of birth does not match the one in the resident ID number.")


def check_birth_date_against_record(values: dict[str, Any], employee: Employee) -> None:
    """The check `clean_employee_values` makes, for a change set that brings a date of birth but no
    ID number: the new date must agree with the ID number already on `employee`'s record.

    `values` are cleaned values; an emptied date is filled from the stored ID number (as when
    both come together). An unchanged date is let through, so an old contradiction on the record
    never blocks saving other fields. Raises ValidationError on date_of_birth.
    """
    if "date_of_birth" not in values or "id_number" in values or not employee.id_number:
        return
    birth = values["date_of_birth"]
    if birth is not None and birth == employee.date_of_birth:
        return
    inside = validators.birth_date_of_resident_id(employee.id_number)
    if birth is None:
        values["date_of_birth"] = inside
    elif birth != inside:
        raise ValidationError({"date_of_birth": [_birth_date_mismatch()]})


def record_id_number_legal_basis(*, actor, person) -> None:
    """C12: record why the enterprise holds `person`'s resident ID number without their consent,
    and that `actor` wrote it (the caller has asked whether they may)."""
    legal_basis_services.record_legal_basis(actor=actor, person=person, purpose_code=ID_NUMBER_PURPOSE,
                                            basis=ID_NUMBER_LEGAL_BASIS, reference=ID_NUMBER_REFERENCE)


# Free text that is a name or reads like one: one normaliser (accounts.validators.clean_name_text).
_NAME_LIKE = frozenset(("display_name", "title", "residence", "country_region", "address"))


def _clean_one(field: str, value: Any) -> Any:
    if field in ("department", "position", "job_level"):
        return value or None
    if field in FILE_FIELDS:
        if value:
            extension = validators.validate_image_upload(value)
            # Stored under a generated name with the extension of what it really is (see
            # orgdata.models._private_upload_path), never under the name the client sent.
            value.name = f"{field}.{extension}"
        return value
    if field in ("entry_date", "date_of_birth"):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        parsed = validators.parse_date(value)
        validators.validate_not_in_future(parsed)
        return parsed
    if field in _NAME_LIKE:
        text = validators.clean_name_text(value)
    else:
        text = validators.visible_text(value).strip()
    if field in ("display_name", "mobile", "employee_number") and not text:
        raise ValidationError(_("This field is required."))
    if field == "work_status" and not text:
        return Employee.WorkStatus.WORKING
    if not text:
        return ""
    if field in _NORMALISERS:
        return _NORMALISERS[field](text)
    if field in _CHOICE_VALUES and text not in _CHOICE_VALUES[field]:
        raise ValidationError(validators.choice_refusal(_CHOICES[field].choices))
    if field in _MAX_LENGTHS and len(text) > _MAX_LENGTHS[field]:
        raise ValidationError(_("Use at most %(count)d characters.") % {"count": _MAX_LENGTHS[field]})
    return text


def _check_employee_number_free(number: str, *, exclude: Employee | None = None) -> None:
    taken = Employee.objects.filter(employee_number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"employee_number": [_("Another employee already has this employee number.")]})


def _check_id_number_free(id_number: str, *, exclude: Employee | None = None) -> None:
    if not id_number:
        return
    taken = address_book_selectors.employees_with_id_number(id_number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"id_number": [_("Another employee already has this resident ID number.")]})


def _check_actor_scope(actor, department: Department | None) -> None:
    """A sub-administrator may place people only in their own departments."""
    require(actor, Capability.ADMINISTER_EMPLOYEES)
    if scope_of(actor, Capability.ADMINISTER_EMPLOYEES) is Scope.EVERYTHING:
        return
    if department is None or not scope_selectors.departments_visible_to(actor).filter(pk=department.pk).exists():
        raise ValidationError({"department": [_("Choose one of your departments.")]})


def release_identifiers_of_leavers(*, actor, mobiles: list[str], id_numbers: list[str]) -> None:
    """Issue 12, rehiring: someone who left keeps their disabled account and employment record as
    they are, but their mobile number and ID number no longer block a new account and record
    for the same person (no data is carried over). Only the blind indexes go (set to NULL, which
    is what erasure makes of them), so uniqueness holds among people who have not left. The one
    release for every way of adding people (`add_employee`, the address-book import); values are
    normalised, and the caller's transaction undoes the release if the addition is refused."""
    released = account_services.release_login_of_disabled_accounts(actor=actor, mobiles=mobiles)
    if released:
        record_bulk(model=User, action="update", object_ids=released, changed_fields=["mobile_index"])
    if not Employee.objects.filter(work_status=Employee.WorkStatus.LEFT, id_number_index__isnull=False).exists():
        return  # no leaver's ID number to free: an import's 100,000 numbers need not be indexed and sent
    leavers = address_book_selectors.employees_with_id_numbers(id_numbers).filter(
        work_status=Employee.WorkStatus.LEFT)
    left_ids = list(leavers.values_list("pk", flat=True))
    if left_ids:
        Employee.objects.filter(pk__in=left_ids).update(id_number_index=None)
        record_bulk(model=Employee, action="update", object_ids=left_ids, changed_fields=["id_number_index"])


@transaction.atomic
def add_employee(*, mobile: str, display_name: str, employee_number: str, actor,
                 department: Department | None = None, position: Position | None = None,
                 job_level: JobLevel | None = None, **profile: Any) -> Employee:
    """E2/E7: add a person to the address book, creating their personal account (mobile + name).

    The account gets no usable password: an invitation is issued (issue 14, accounts.invitations),
    its token on the returned record as `issued_invitation` for the caller to show once; the
    person activates the account through it and chooses their password. Someone who left the company is rehired this way: a fresh account and record (issue 12),
    their old ones kept as they are. Refuses invalid values field by field, an employee number,
    mobile number or resident ID number in use by someone who has not left, (for a
    sub-administrator) a department outside their scope, and (M2, M1) a date of birth or ID number
    stating an age under 16: nothing is stored. Someone aged 16 or 17 is added, their account
    inactive until a guardian's consent is recorded (`record_minority`), and announced for a case
    to verify (`minors.announce_minors`).
    """
    unknown = set(profile) - set(PROFILE_FIELDS + FILE_FIELDS + ("entry_date", "work_status"))
    if unknown:
        raise TypeError(f"unknown employee fields: {sorted(unknown)}")
    values = clean_employee_values({
        "mobile": mobile, "display_name": display_name, "employee_number": employee_number,
        "department": department, "position": position, "job_level": job_level, **profile,
    })
    _check_actor_scope(actor, values["department"])
    _check_employee_number_free(values["employee_number"])
    release_identifiers_of_leavers(actor=actor, mobiles=[values["mobile"]], id_numbers=[values.get("id_number", "")])
    _check_id_number_free(values.get("id_number", ""))
    account = account_services.create_account(actor=actor, mobile=values.pop("mobile"),
                                              display_name=values.pop("display_name"))
    # The record shares the account's data key: erasing the person (R4) shreds both at once.
    employee = Employee(account=account, person_key_id=account.person_key_id, **values)
    employee.save()
    if employee.id_number:
        record_id_number_legal_basis(actor=actor, person=account)
    if validators.is_minor(employee.date_of_birth):
        record_minority(actor=actor, employee=employee)  # M1: inactive until a guardian consents
        minor_services.announce_minors(person_ids=[account.pk])  # M2: 16 or 17, a case to verify
    account.refresh_from_db(fields=["is_active"])
    # Issue 14: never a password the administrator invents; an account awaiting a guardian's
    # consent is invited once it is active (invite again from the employee's page).
    employee.issued_invitation = (account_invitations.issue_invitation(actor=actor, person=account)
                                  if account.is_active else None)
    return employee


def record_minority(*, actor, employee: Employee) -> None:
    """M1: the one place the account learns from the record's date of birth whether its holder is
    a minor: `accounts.User.minor_until` becomes their 18th birthday (None for an adult or an
    unknown date), so the layers below orgdata (sign-in, the consent ledger) can tell. A minor's
    account without a guardian's consent is inactive (and signed out at once). Called by every
    service that writes a date of birth; the bulk import does the same in bulk
    (`minor_until_of`)."""
    account_services.record_minor_until(actor=actor, person=employee.account,
                                        minor_until=minor_until_of(employee.date_of_birth))


def minor_until_of(birth: date | None) -> date | None:
    """M1: what `record_minority` stores for a date of birth: the 18th birthday of a minor, else None."""
    return validators.eighteenth_birthday(birth) if validators.is_minor(birth) else None


def update_employee(*, actor, employee: Employee, changes: dict[str, Any]) -> Employee:
    """E5: an administrator corrects or supplements a person's record (scoped, see selectors).

    Name and mobile number are corrected on the person's account. Refuses a person outside the
    actor's departments (as "not found"), an administrator's record to a sub-administrator
    (NotPermitted: their mobile number is an administrator's login), moving them to a department
    outside the actor's, unknown fields, invalid values, a date of birth contradicting the
    stored ID number, and values another person already uses. A new ID number corrects a date
    of birth sent back unchanged (see `clean_employee_values`). Writing an ID number records its
    legal basis (C12). Setting the work status to "left" closes every way in at once
    (`close_every_way_in`); setting it back, or the manager's record to "left", is refused
    (`check_work_status_change`).

    M2: values stating an age under 14 are not stored; the account is disabled and the person
    erased at once, and ChildInformationDeleted names the fields (`minors.erase_child`). M1: values
    stating 14 or 15 are not stored either; the account is disabled at once and a case opened for
    the manager, and UnderWorkingAge names the fields (`minors.disable_under_working_age`). A new
    birth date of 16 or 17 is stored, the account inactive until a guardian's consent is recorded
    (`record_minority`), and announced for a case to verify; on the manager's own record it is
    refused (the enterprise would be left without its manager).
    """
    with transaction.atomic():
        employee = scope_selectors.employee_visible_to(actor, employee.pk)
        require(actor, Capability.EDIT_IDENTITY_RECORD, target=employee.account)
        unknown = set(changes) - set(ADMIN_EDITABLE_FIELDS)
        if unknown:
            raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
        try:
            values = clean_employee_values(changes, record=employee)
        except ValidationError as refusal:
            if not (minor_services.fields_revealing_a_child(refusal)
                    or minor_services.fields_revealing_under_working_age(refusal)):
                raise
            refused_for_age = refusal
        else:
            check_birth_date_against_record(values, employee)
            if "department" in values:
                _check_actor_scope(actor, values["department"])
            writes_id_number = bool(values.get("id_number")) and values["id_number"] != employee.id_number
            reveals_a_minor = _reveals_a_minor(values, employee)
            employee = _apply(employee, values, actor=actor)
            if writes_id_number:
                record_id_number_legal_basis(actor=actor, person=employee.account)
            if reveals_a_minor:
                minor_services.announce_minors(person_ids=[employee.account_id])
            return employee
    # Outside the edit's transaction, which refused the values: the protection must stay done.
    _protect(employee, refused_for_age)


def update_own_profile(*, person, changes: dict[str, Any]) -> Employee:
    """R1: a person corrects and supplements their own profile.

    Refuses fields that are the enterprise's records (name, mobile number, employee number,
    department, position, job level, date of employment, ID number): those go through an
    administrator. Refuses invalid values field by field, a date of birth contradicting the stored
    ID number, and (ConsentRequired, C3) an avatar or seal image uploaded before the person granted
    the device permission it needs. An account without an address-book record (the manager is
    created without one) gets NotInYourScope (404). M2: a date of birth under 14 is not stored and the person is
    erased at once (ChildInformationDeleted), as when an administrator writes it; M1: 14 or 15 is
    not stored, the account disabled and a case opened (UnderWorkingAge); 16 or 17 is stored, the
    account inactive until a guardian's consent is recorded, and announced for a case to verify.
    """
    with transaction.atomic():
        own = directory_selectors.own_employee_record(person)
        employee = Employee.objects.select_for_update().get(pk=own.pk)
        refused = set(changes) - set(SELF_EDITABLE_FIELDS)
        if refused:
            raise ValidationError({field: [_("Ask your administrator to change this.")] for field in sorted(refused)})
        for field in sorted(field for field in FILE_FIELDS if changes.get(field)):
            # C3: a photo from the phone only once the person granted the device permission for it.
            consent_gate.require_permission_for(person, f"orgdata.Employee.{field}")
        try:
            values = clean_employee_values(changes, record=employee)
        except ValidationError as refusal:
            if not (minor_services.fields_revealing_a_child(refusal)
                    or minor_services.fields_revealing_under_working_age(refusal)):
                raise
            refused_for_age = refusal
        else:
            if values.get("work_status") == Employee.WorkStatus.LEFT != employee.work_status:
                # Leaving ends the account: the enterprise records it (issue 12), not the person.
                raise ValidationError({"work_status": [_("Ask your administrator to change this.")]})
            check_birth_date_against_record(values, employee)
            reveals_a_minor = _reveals_a_minor(values, employee)
            employee = _apply(employee, values, actor=person)
            if reveals_a_minor:
                minor_services.announce_minors(person_ids=[employee.account_id])
            return employee
    _protect(employee, refused_for_age)


def _protect(employee: Employee, refusal: ValidationError) -> None:
    """M2/M1: an edit of `employee` stated an age under 16 and was not stored: a child is erased at
    once, someone of 14 or 15 is disabled with a case for the manager. Raises the refusal."""
    if minor_services.fields_revealing_a_child(refusal):
        minor_services.erase_child(employee=employee, refusal=refusal)
    minor_services.disable_under_working_age(employee=employee, refusal=refusal)


def _reveals_a_minor(values: dict[str, Any], employee: Employee) -> bool:
    """M2: whether `values` write a new date of birth stating 16 or 17 (under 16 never gets here).
    An unchanged one was announced when it was written. M1: refused on the manager's own record
    (ValidationError): a minor's account is inactive until a guardian consents, which would leave
    the enterprise without its manager."""
    birth = values.get("date_of_birth")
    reveals = birth != employee.date_of_birth and validators.is_minor(birth)
    if reveals and not minor_services.may_protect(employee):
        raise ValidationError({"date_of_birth": [_("The enterprise manager must be 18 or over: hand the manager "
                                                   "role over first.")]})
    return reveals


def check_work_status_change(employee: Employee, values: dict[str, Any]) -> bool:
    """Refuse a work-status change the offboarding rules forbid; return whether it is leaving.

    Issue 12: someone who left is never set back to working (they are rehired: a new account and
    record, `add_employee`), and the manager's record cannot be set to "left" before the manager
    role is handed over (the enterprise would have nobody to run it). Sets `left_at` in `values`
    when the person leaves. Raises ValidationError on work_status.
    """
    status = values.get("work_status")
    if status is None or status == employee.work_status:
        return False
    if employee.work_status == Employee.WorkStatus.LEFT:
        raise ValidationError({"work_status": [_("Someone who left the company cannot be set back: add them as a new "
                                                 "employee to rehire them.")]})
    if status != Employee.WorkStatus.LEFT:
        return False
    if holds_role(employee.account, Role.MANAGER):
        raise ValidationError({"work_status": [_("The manager cannot leave the company: hand the manager role over "
                                                 "first.")]})
    values["left_at"] = timezone.localdate()
    return True


def close_every_way_in(*, actor, employee: Employee) -> None:
    """Issue 12: `employee` left the company. Their account is disabled in the caller's transaction
    (every device token revoked, every console session ended, sign-in refused) and their cached
    consent state forgotten. The employment record stays for its retention class, counted from
    `left_at`; once it ends the erasure engine erases the person
    (erasure.services.erase_leavers_past_retention)."""
    account_services.disable_account(actor=actor, person=employee.account)
    consent_state_cache.forget_person(employee.account_id)


def _apply(employee: Employee, values: dict[str, Any], *, actor) -> Employee:
    leaving = check_work_status_change(employee, values)
    if "employee_number" in values:
        _check_employee_number_free(values["employee_number"], exclude=employee)
    if values.get("id_number"):
        _check_id_number_free(values["id_number"], exclude=employee)
    identity = {field: values.pop(field) for field in IDENTITY_FIELDS if field in values}
    if identity:
        account_services.correct_account_identity(actor=actor, person=employee.account, **identity)
    changed = []
    for field, value in values.items():
        if getattr(employee, field) != value:
            setattr(employee, field, value)
            changed.append(field)
    if changed:
        employee.save(update_fields=changed + ["updated_at"])
    if "date_of_birth" in changed:
        record_minority(actor=actor, employee=employee)
    if leaving:
        close_every_way_in(actor=actor, employee=employee)
    return employee
