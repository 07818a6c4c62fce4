from django import forms
from django.utils.translation import gettext_lazy as _


class RegistrationForm(forms.Form):
    """E1: the platform host's registration page. Values are checked by tenants.registration (one
    validator per kind of value), which names the field it refuses."""

    name = forms.CharField(label=_("Enterprise name"), max_length=400, required=False)
    manager_name = forms.CharField(label=_("Your name"), max_length=200, required=False,
                                   help_text=_("You become the enterprise's manager."))
    mobile = forms.CharField(label=_("Your mobile number"), max_length=32, required=False,
                             help_text=_("You sign in to the console with it."))
    code = forms.CharField(label=_("Code sent by text message"), max_length=16, required=False)
    password = forms.CharField(label=_("Password"), max_length=128, required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False))
