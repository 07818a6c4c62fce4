"""Console forms of consent: they parse and present input; the rules are in consent.services."""
from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consent.catalogue import PI_TYPES
from consent.models import Transfer

# A mainland mobile number or a resident ID number standing on its own: the reference names a
# document, and must not become a second copy of the person's identifiers.
_PERSONAL_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9}|\d{17}[\dXx])(?![0-9A-Za-z])")


class AnswerOnRequestForm(forms.Form):
    """An administrator records an answer the person gave outside the app (channel
    "admin_on_request"): which purpose, given or withdrawn, and the reference of their request."""

    GRANT, WITHDRAW = "grant", "withdraw"

    purpose = forms.CharField(label=_("Purpose"), max_length=80)
    action = forms.ChoiceField(label=_("Answer"), widget=forms.RadioSelect,
                               choices=[(GRANT, _("Give consent")), (WITHDRAW, _("Withdraw consent"))])
    reference = forms.CharField(
        label=_("Reference of the person's request"), max_length=200,
        help_text=_("E.g. the number of the signed form. A document reference only, never personal information."))
    confirmed = forms.BooleanField(
        label=_("The person asked for this themselves"),
        error_messages={"required": _("Confirm that the person asked for this themselves.")})

    def __init__(self, *args, purposes=(), language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        # A list to choose from; which codes are acceptable is the service's decision (unknown,
        # inactive and basic purposes are refused there and shown on this field).
        self.fields["purpose"].widget = forms.Select(
            choices=[("", "—")] + [(purpose.code, purpose.name(language)) for purpose in purposes])

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"]
        if _PERSONAL_IDENTIFIER.search(reference):
            raise ValidationError(_("Give the reference of the document, not a mobile or ID number."))
        return reference




class WebhookForm(forms.Form):
    """R3: where a recipient receives deletion notices; which URLs are acceptable is the service's
    decision (consent.services.deletion_notices.webhook_url_problem)."""

    webhook_url = forms.CharField(label=_("Webhook URL"), max_length=500,
                                  help_text=_("An https:// address of the recipient on the public internet."))

class PartnerForm(forms.Form):
    """C9/S1: a partner the enterprise registers: what it receives, why, where it keeps it (the
    rules are consent.services.recipients.register_partner's)."""

    code = forms.CharField(label=_("Code"), max_length=60,
                           help_text=_("Lower-case letters, digits, dots and hyphens, e.g. partner.payroll-bureau."))
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_zh_hans = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    purpose_en = forms.CharField(label=_("Purpose (English)"), max_length=300)
    purpose_zh_hans = forms.CharField(label=_("Purpose (Chinese)"), max_length=300)
    pi_types = forms.MultipleChoiceField(label=_("Personal-information types it receives"),
                                         widget=forms.CheckboxSelectMultiple)
    region = forms.CharField(label=_("Region"), max_length=2, initial="CN",
                             help_text=_("Where the recipient keeps the data: CN for mainland China."))
    rights_abroad_en = forms.CharField(label=_("How people exercise their rights there (English)"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    rights_abroad_zh_hans = forms.CharField(label=_("How people exercise their rights there (Chinese)"),
                                            required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        index = 1 if language.lower().startswith("zh") else 0
        self.fields["pi_types"].choices = [(code, names[index]) for code, names in PI_TYPES.items()]


class TransferForm(forms.Form):
    """C9: which data to send to a registered partner."""

    dataset = forms.ChoiceField(label=_("Data to send"), choices=Transfer.Dataset.choices)


class GuardianConsentForm(forms.Form):
    """M1: an administrator records the guardian's consent they verified to a 16- or 17-year-old's
    account: who the guardian is, how related, how to reach them, what was shown, and the
    additional purposes the guardian agrees to (consent.services.guardians checks the rest)."""

    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=100)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=[
        ("parent", _("Parent")), ("other_guardian", _("Other legal guardian"))])
    contact = forms.CharField(label=_("How to reach the guardian"), max_length=100)
    evidence = forms.CharField(label=_("What was shown"), max_length=300,
                               help_text=_("E.g. the household register and the guardian's signed consent form."))
    purposes = forms.MultipleChoiceField(
        label=_("Additional purposes the guardian agrees to (the basic services are implied)"),
        required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, purposes=(), language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purposes"].choices = [(purpose.code, purpose.name(language)) for purpose in purposes]

    def guardian(self) -> dict:
        """The keyword arguments of consent.services.guardians.record_guardian_consent."""
        data = self.cleaned_data
        return {"guardian_name": data.get("guardian_name", ""), "relationship": data.get("relationship", ""),
                "contact": data.get("contact", ""), "evidence": data.get("evidence", ""),
                "purpose_codes": data.get("purposes", [])}


class GuardianConsentWithdrawalForm(forms.Form):
    """M1: the guardian withdraws their consent (nothing to fill in; the service says what it refuses)."""


class LedgerFilterForm(forms.Form):
    """The sharing ledger's filters: one recipient (or the public), one person (account number)."""

    PUBLIC = "public"

    recipient = forms.ChoiceField(label=_("Recipient"), required=False)
    person = forms.IntegerField(label=_("Person (account number)"), required=False, min_value=1,
                                max_value=2**63 - 1)

    def __init__(self, *args, recipients, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipients = {recipient.code: recipient for recipient in recipients}
        self.fields["recipient"].choices = [("", _("Every recipient")), (self.PUBLIC, _("The public"))] + [
            (code, recipient.name(language)) for code, recipient in self.recipients.items()]

    def chosen_recipient(self):
        return self.recipients.get(self.cleaned_data.get("recipient") or "")
