"""Console forms of the rights-request queue."""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from orgdata.selectors import scope as scope_selectors
from rights.models import RightsRequest
from rights.services import NEXT_OF_KIN_ACTIONS


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer the person will read"), widget=forms.Textarea, required=False,
                             max_length=2000)
    # R7: a relative's correction says what was corrected; disclosing against the deceased's
    # "disclose nothing" arrangement says why.
    corrected = forms.CharField(label=_("What was corrected"), widget=forms.Textarea, required=False, max_length=2000)
    override_reason = forms.CharField(label=_("Why it is disclosed against the deceased's arrangement"),
                                      widget=forms.Textarea, required=False, max_length=2000)


class VerifyProofForm(forms.Form):
    """R7: the date of death and the proof the administrator verified (parsed by the service)."""

    date_of_death = forms.CharField(label=_("Date of death"), max_length=20)
    proof = forms.CharField(label=_("Proof verified (death and relationship)"), max_length=500)


class RefuseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason (R8)"), required=False,
                               choices=[("", "—"), *RightsRequest.RefusalReason.choices])
    legal_exception = forms.ChoiceField(label=_("Or a legal exception (R9)"), required=False,
                                        choices=[("", "—"), *RightsRequest.LegalException.choices])
    explanation = forms.CharField(label=_("Explanation the person will read"), widget=forms.Textarea, max_length=2000)


class NextOfKinForm(forms.Form):
    action = forms.ChoiceField(label=_("The relative asks to"), choices=[(a, a) for a in NEXT_OF_KIN_ACTIONS])
    relative_name = forms.CharField(label=_("Relative's name"), max_length=500)
    relationship = forms.CharField(label=_("Relationship to the deceased"), max_length=500)
    contact = forms.CharField(label=_("Relative's contact"), max_length=500)
    proof = forms.CharField(label=_("Proof the relative presented (death and relationship)"), max_length=500)


class ProtectionContactForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Sub-administrator"), queryset=User.objects.none())
    contact_channel = forms.CharField(label=_("Contact channel published to employees (e-mail, telephone)"),
                                      max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service refuses anyone but an active sub-administrator with its own field error.
        self.fields["person"].queryset = scope_selectors.administrators().filter(
            role=User.Role.SUB_ADMIN, is_active=True)
        self.fields["person"].label_from_instance = lambda account: account.display_name
