"""The small form of each kind of request: what an applicant fills in, validated field by field.

`clean_details(kind, data)` is the one validator, used by the API and the console alike: it returns
the stored form (dates as ISO text, amounts as text with two decimals) or raises a ValidationError
naming each bad field. Fields outside the kind's form are refused, not silently dropped.
"""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.models import Kind
from orgdata.validators import parse_date

_TEXT_LIMIT = 500


class DateValueField(forms.Field):
    """A date in any spelling orgdata's one date parser accepts (2024-03-01, 2024/3/1, 2024年3月1日)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_date(value)


class LeaveForm(forms.Form):
    leave_type = forms.ChoiceField(label=gettext_lazy("type of leave"), choices=[
        ("annual", gettext_lazy("Annual leave")), ("sick", gettext_lazy("Sick leave")),
        ("personal", gettext_lazy("Personal leave")), ("other", gettext_lazy("Other leave"))])
    start_date = DateValueField(label=gettext_lazy("first day"))
    end_date = DateValueField(label=gettext_lazy("last day"))
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=_TEXT_LIMIT, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The last day cannot be before the first day."))
        return data


class ExpenseForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("amount (CNY)"), max_digits=10, decimal_places=2,
                                min_value=Decimal("0.01"), max_value=Decimal("1000000"))
    category = forms.ChoiceField(label=gettext_lazy("category"), choices=[
        ("travel", gettext_lazy("Travel")), ("meals", gettext_lazy("Meals")),
        ("supplies", gettext_lazy("Supplies")), ("other", gettext_lazy("Other"))])
    spent_on = DateValueField(label=gettext_lazy("date spent"))
    description = forms.CharField(label=gettext_lazy("description"), max_length=_TEXT_LIMIT)

    def clean_spent_on(self):
        spent_on = self.cleaned_data["spent_on"]
        if spent_on and spent_on > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return spent_on


class BusinessTripForm(forms.Form):
    destination = forms.CharField(label=gettext_lazy("destination"), max_length=100)
    start_date = DateValueField(label=gettext_lazy("departure"))
    end_date = DateValueField(label=gettext_lazy("return"))
    purpose = forms.CharField(label=gettext_lazy("purpose of the trip"), max_length=_TEXT_LIMIT)

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The return cannot be before the departure."))
        return data


FORMS: dict[str, type[forms.Form]] = {Kind.LEAVE: LeaveForm, Kind.EXPENSE: ExpenseForm,
                                      Kind.BUSINESS_TRIP: BusinessTripForm}


def clean_details(kind: str, data) -> dict:
    """The stored form of `data` for `kind`; ValidationError naming each bad field otherwise."""
    if kind not in FORMS:
        raise ValidationError({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Kind.values)}]})
    if not isinstance(data, dict):
        raise ValidationError({"details": [_("Send the form's fields.")]})
    form = FORMS[kind](data=data)
    unknown = sorted(set(data) - set(form.fields))
    if not form.is_valid() or unknown:
        errors = {name: list(messages) for name, messages in form.errors.items()}
        for name in unknown:
            errors[str(name)[:50]] = [_("This field is not part of the form.")]
        raise ValidationError(errors)
    return {name: _stored(value) for name, value in form.cleaned_data.items()}


def _stored(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def form_fields(kind: str) -> list[dict]:
    """The kind's fields for the app to draw its form: name, label, type, required, choices."""
    fields = []
    for name, field in FORMS[kind]().fields.items():
        entry = {"name": name, "label": str(field.label), "required": field.required,
                 "type": {DateValueField: "date", forms.DecimalField: "decimal",
                          forms.ChoiceField: "choice"}.get(type(field), "text")}
        if isinstance(field, forms.ChoiceField):
            entry["choices"] = [{"value": value, "label": str(label)} for value, label in field.choices]
        fields.append(entry)
    return fields


def readable_details(kind: str, details: dict) -> list[tuple[str, str]]:
    """(label, value) of a stored form in the reader's language: choices by their label."""
    if kind not in FORMS:
        return []
    details = details or {}  # None once the applicant's key was destroyed (R4)
    rows = []
    for name, field in FORMS[kind]().fields.items():
        value = details.get(name, "")
        if isinstance(field, forms.ChoiceField):
            value = dict(field.choices).get(value, value)
        rows.append((str(field.label), str(value)))
    return rows
