from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from access.capabilities import Capability, may
from accounts import selectors as account_selectors


class ConsoleLoginForm(AuthenticationForm):
    username = forms.CharField(label=_("Mobile number"), max_length=32,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                                             "inputmode": "tel"}))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Mobile number or password is incorrect."),
        "account_left_company": _("This account was closed because you left the company. "
                                  "Ask your administrator if you have been rehired."),
        "guardian_consent_required": _("You are under 18: your account can be used once your guardian's consent "
                                       "is recorded by your enterprise's administrator."),
        "not_admin": _("Only enterprise administrators can use the console. Use the mobile app instead."),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            # Issue 12: someone who left the company and gives their right password is told why.
            if error.code == "invalid_login" and account_selectors.is_disabled_account(
                    mobile=self.cleaned_data.get("username", ""), password=self.cleaned_data.get("password", "")):
                raise forms.ValidationError(self.error_messages["account_left_company"],
                                            code="account_left_company") from error
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.awaits_guardian_consent:  # M1: inactive until a guardian's consent is recorded
            raise forms.ValidationError(self.error_messages["guardian_consent_required"],
                                        code="guardian_consent_required")
        if not may(user, Capability.USE_CONSOLE):
            raise forms.ValidationError(self.error_messages["not_admin"], code="not_admin")


class PasswordChangeForm(forms.Form):
    """E5/X3: the console's own password change; the rules are checked by accounts.services."""

    old_password = forms.CharField(label=_("Current password"), strip=False, max_length=128,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                                                     "autofocus": True}))
    new_password = forms.CharField(label=_("New password"), strip=False, max_length=128,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(label=_("New password again"), strip=False, max_length=128,
                                         widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


class ActivationForm(forms.Form):
    """Issue 14: the person chooses their password; the rules are checked by accounts.invitations."""

    password = forms.CharField(label=_("Choose a password"), strip=False, max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("The password again"), strip=False, max_length=128,
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password_again") and \
                cleaned["password"] != cleaned["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned
