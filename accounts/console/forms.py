from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_use_console


class ConsoleLoginForm(AuthenticationForm):
    username = forms.CharField(label=_("Mobile number"), max_length=20,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                                             "inputmode": "tel"}))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Mobile number or password is incorrect."),
        "not_admin": _("Only enterprise administrators can use the console. Use the mobile app instead."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not can_use_console(user):
            raise forms.ValidationError(self.error_messages["not_admin"], code="not_admin")
