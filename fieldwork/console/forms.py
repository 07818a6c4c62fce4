"""The field-work console's forms: the customer form and the visit and report filters (a bad value
is named by its field, a 400)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PeriodFilterForm
from fieldwork.models import Report


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False)
    is_active = forms.BooleanField(label=_("Visits can be checked in"), required=False, initial=True)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class VisitFilterForm(PeriodFilterForm):
    field_order = ["person", "customer", "since", "until"]

    person = forms.CharField(label=_("Person (name, employee number or mobile number)"), required=False,
                             max_length=100)
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None, required=False)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class ReportFilterForm(PeriodFilterForm):
    field_order = ["person", "kind", "since", "until"]

    person = forms.CharField(label=_("Person (name, employee number or mobile number)"), required=False,
                             max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *Report.Kind.choices])
