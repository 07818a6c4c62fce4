from django import forms
from django.utils.translation import gettext_lazy as _

from announcements import selectors
from announcements.services import BODY_LIMIT, TITLE_LIMIT
from orgdata.console.forms import DepartmentChoiceField
from orgdata.models import Department
from orgdata.selectors import scope as scope_selectors


class DepartmentsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, department):
        return DepartmentChoiceField.label_from_instance(None, department)


class AnnouncementForm(forms.Form):
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=selectors.active_channels())
    title = forms.CharField(label=_("Title"), max_length=TITLE_LIMIT)
    body = forms.CharField(label=_("Text"), max_length=BODY_LIMIT, widget=forms.Textarea(attrs={"rows": 6}))
    is_for_everyone = forms.BooleanField(label=_("Send to everyone in the enterprise"), required=False)
    departments = DepartmentsField(label=_("Or to these departments (with everything below them)"),
                                   queryset=Department.objects.none(), required=False,
                                   widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, actor, may_send_to_everyone: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = scope_selectors.departments_visible_to(actor).order_by("path")
        if not may_send_to_everyone:
            del self.fields["is_for_everyone"]


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Channel name"), max_length=100)
    description = forms.CharField(label=_("What it carries"), max_length=300, required=False)
