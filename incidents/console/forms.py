"""Console form of a security incident (X5), opened by the enterprise's manager."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident
from incidents.services import data_map_tables
from orgdata.models import Department, Employee
from privacy.registry import Category


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Incident.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    occurred_on = forms.DateField(label=_("Occurred on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    possible_harm = forms.CharField(label=_("Possible harm"), widget=forms.Textarea(attrs={"rows": 3}),
                                    max_length=4000)
    measures_taken = forms.CharField(label=_("Measures taken"), widget=forms.Textarea(attrs={"rows": 3}),
                                     max_length=4000)
    advice = forms.CharField(label=_("Advice to individuals"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=4000)
    remedies = forms.CharField(label=_("Remedies"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    contact = forms.CharField(label=_("Contact"), max_length=200)
    audience = forms.ChoiceField(label=_("Affected people"), choices=Incident.Audience.choices)
    departments = forms.ModelMultipleChoiceField(label=_("Departments (with everything below them)"),
                                                 queryset=Department.objects.all(), required=False)
    people = forms.CharField(label=_("Employee numbers, one per line"), required=False, max_length=20000,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    data_category = forms.ChoiceField(label=_("Data category"), required=False,
                                      choices=[("", "—"), *Category.choices])
    data_table = forms.ChoiceField(label=_("Table"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_table"].choices = [("", "—")] + [
            (table, f"{label} ({', '.join(categories)})") for table, label, categories in data_map_tables()]

    def clean_people(self):
        numbers = sorted({n.strip() for n in self.cleaned_data["people"].replace(",", "\n").splitlines()
                          if n.strip()})
        accounts = dict(Employee.objects.filter(employee_number__in=numbers)
                        .values_list("employee_number", "account_id"))
        unknown = [n for n in numbers if n not in accounts]
        if unknown:
            raise ValidationError(_("No employee has the number %(numbers)s.") % {"numbers": ", ".join(unknown[:5])})
        return [accounts[n] for n in numbers]
