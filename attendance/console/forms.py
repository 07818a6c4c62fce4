"""The attendance records page's filters: a bad value is named by its field (a 400)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PeriodFilterForm


class RecordFilterForm(PeriodFilterForm):
    field_order = ["person", "since", "until"]

    person = forms.CharField(label=_("Person (name, employee number or mobile number)"), required=False,
                             max_length=100)


