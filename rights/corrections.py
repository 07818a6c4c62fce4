"""Corrections (R1, R8): what a person may ask an administrator to correct, how the value they ask for
is checked, and how it is shown.

A person corrects and supplements most of their profile themselves (orgdata's
`SELF_EDITABLE_FIELDS`, the app's profile screen). The enterprise's own records about them — name,
mobile number, employee number, department, position, job level, date of employment, ID number —
are corrected by an administrator: that is what a correction request asks for. The value is checked
on submission by the very validator the address book uses (`orgdata.services.employees
.clean_employee_values`), held encrypted (RightsRequest.correct_value), shown as the field itself is
shown (masked where the field is), and applied on approval by `update_employee`, the console's own
edit, with the administrator as actor.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from orgdata.columns import DEPARTMENT_SEPARATOR
from orgdata.models import Department, Employee, JobLevel, Position
from orgdata.services import employees as employee_services
from orgdata.services import minors as minor_services
from privacy import disclosure



class StatesAMinor(Exception):
    """M1/M2: the value a correction asks for states an age under 16; `refusal` is the address book's
    own (coded under_14 or under_16), `is_child` whether it states under 14. Not a field error: the
    person is protected as when their profile says so (rights.services)."""

    def __init__(self, refusal: ValidationError):
        super().__init__("the corrected value states an age under 16")
        self.refusal = refusal
        self.is_child = bool(minor_services.fields_revealing_a_child(refusal))


# Field → its label. The model each one lives on decides how its value is shown (privacy.disclosure).
CORRECTABLE_FIELDS = {
    "display_name": gettext_lazy("Name"),
    "mobile": gettext_lazy("Mobile number"),
    "employee_number": gettext_lazy("Employee number"),
    "department": gettext_lazy("Department"),
    "position": gettext_lazy("Position"),
    "job_level": gettext_lazy("Job level"),
    "entry_date": gettext_lazy("Date of employment"),
    "id_number": gettext_lazy("Resident ID number"),
}
_ON_ACCOUNT = {"display_name", "mobile"}
# Chosen from the enterprise's lists, by name (a department by its path, as the import writes it).
_LISTED = {"department": Department, "position": Position, "job_level": JobLevel}


def checked_field(field) -> str:
    """`field` if a correction may ask for it; refuses (ValidationError on details.field) a field the
    person edits themselves (pointing to the profile screen) and anything else."""
    if field in employee_services.SELF_EDITABLE_FIELDS:
        raise ValidationError({"details.field": [
            _("You can change this yourself on the profile screen of the app (Me › My profile).")]})
    if field not in CORRECTABLE_FIELDS:
        raise ValidationError({"details.field": [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(CORRECTABLE_FIELDS)}]})
    return field


def checked_value(field: str, value: str) -> str:
    """The requested value normalised by the address book's own validator; refuses (ValidationError
    on details.correct_value, with that validator's message) a value the address book would refuse.
    M1/M2: an ID number stating an age under 16 raises StatesAMinor instead."""
    if field in _LISTED:
        listed_item(field, value)
        return value.strip()
    try:
        cleaned = employee_services.clean_employee_values({field: value})[field]
    except ValidationError as refusal:
        if (minor_services.fields_revealing_a_child(refusal)
                or minor_services.fields_revealing_under_working_age(refusal)):
            raise StatesAMinor(refusal) from None
        raise ValidationError({"details.correct_value": refusal.message_dict.get(field) or refusal.messages}) from None
    return cleaned.isoformat() if field == "entry_date" else str(cleaned)


def listed_item(field: str, name: str):
    """The department, position or job level named `name`; refuses (ValidationError) a name not on the
    enterprise's list."""
    model = _LISTED[field]
    found = None
    if field == "department":
        parent = None
        for part in (part.strip() for part in name.split(DEPARTMENT_SEPARATOR)):
            found = parent = Department.objects.filter(parent=parent, name=part).first()
            if parent is None:
                break
    else:
        found = model.objects.filter(name=name.strip()).first()
    if found is None:
        raise ValidationError({"details.correct_value": [_("Choose a name from the enterprise's list.")]})
    return found


def changes_of(request) -> dict:
    """The change `update_employee` makes when the correction is approved."""
    field, value = request.details["field"], request.correct_value
    return {field: listed_item(field, value) if field in _LISTED else value}


def shown_value(*, viewer, request) -> str:
    """The requested value as `viewer` sees the corrected field anywhere else (X2: the ID number and
    mobile number masked, the employee number as stored)."""
    field = request.details.get("field")
    if field not in CORRECTABLE_FIELDS or not request.correct_value:
        return ""
    model = User if field in _ON_ACCOUNT else Employee
    return disclosure.shown_plain_value(viewer=viewer, model=model, field=field, value=request.correct_value)
