"""Console forms of the erasure engine: deleting one employee outright (issue 12, part 3), and
minors' cases (M2)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from consent.console.forms import GuardianConsentForm


class EraseEmployeeForm(forms.Form):
    """The employee number typed again, so nobody is erased by a stray click, and why."""

    confirmation = forms.CharField(label=_("Type the employee number again to confirm"), max_length=50)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, employee, **kwargs):
        super().__init__(*args, **kwargs)
        self.employee = employee

    def clean_confirmation(self):
        typed = self.cleaned_data["confirmation"].strip()
        if typed != self.employee.employee_number:
            raise forms.ValidationError(_("This is not the employee number of the person shown."))
        return typed


class CancelEnterpriseForm(forms.Form):
    """E9: the manager's password (re-authentication) and the enterprise code typed as confirmation;
    the service checks both (erasure.enterprise.apply_for_cancellation)."""

    password = forms.CharField(label=_("Your password"), max_length=128, strip=False, widget=forms.PasswordInput)
    confirmation = forms.CharField(label=_("Type the enterprise code to confirm"), max_length=50)


class GuardianReportForm(forms.Form):
    """M2: an administrator records that a guardian reports a person to be a minor."""

    note = forms.CharField(label=_("Note (who reported it, how to reach them)"), max_length=200, required=False)


class MinorCaseDecisionForm(GuardianConsentForm):
    """M2: the manager's decision on a case; a dismissal says why (the service refuses one without).
    M1: for a 16- or 17-year-old, the guardian's consent the manager verified closes the case (its
    details as on the guardian's consent page; the service refuses missing ones)."""

    CONFIRMED, DISMISSED, GUARDIAN_CONSENTED = "confirmed", "dismissed", "guardian_consented"
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (CONFIRMED, _("Confirmed a minor: delete their information now")),
        (DISMISSED, _("Not a minor: the data was wrong")),
        (GUARDIAN_CONSENTED, _("16 or 17: the guardian's consent is verified (record it below)")),
    ])
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    field_order = ["decision", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("guardian_name", "relationship", "contact", "evidence"):
            self.fields[name].required = False  # only for the third decision: the service says so
