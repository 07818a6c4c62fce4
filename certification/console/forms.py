"""The console's certification form (E4). Presence only: the values are normalised and checked by
the one validator of each kind, in certification.services (USCC, ID number, documents)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from certification.models import Submission


class CertificationForm(forms.Form):
    certificate_type = forms.ChoiceField(label=_("Certificate type"), choices=Submission.CertificateType.choices)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=40,
                           help_text=_("18 characters, as printed on the certificate."))
    enterprise_name = forms.CharField(label=_("Enterprise name (as registered)"), max_length=200)
    enterprise_address = forms.CharField(label=_("Registered address"), max_length=300)
    legal_representative_name = forms.CharField(label=_("Legal representative's name"), max_length=100)
    legal_representative_id_number = forms.CharField(label=_("Legal representative's resident ID number"),
                                                     max_length=40)
    licence = forms.FileField(label=_("Business licence copy (PNG, JPEG or PDF, at most 10 MB)"))
    letter = forms.FileField(label=_("Signed certification letter (PNG, JPEG or PDF, at most 10 MB)"))
