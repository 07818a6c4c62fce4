from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import ApprovalRequest, Kind
from approvals.services import COMMENT_LIMIT, Decision
from orgdata.console.forms import DepartmentChoiceField, PersonField
from orgdata.models import Department
from orgdata.selectors import scope as scope_selectors


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        (Decision.APPROVE, _("Approve")), (Decision.REJECT, _("Reject")), (Decision.RETURN, _("Return for changes"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_LIMIT,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required to reject or return."))


class LogFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any")), *ApprovalRequest.Status.choices])


class KindsForm(forms.Form):
    def __init__(self, *args, offered: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False, initial=kind in offered)


class DepartmentHeadForm(forms.Form):
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none())
    head = PersonField(label=_("Head (direct manager)"), required=False,
                       help_text=_("Leave empty: the department above decides for its people."))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("path")
        self.fields["head"].people = scope_selectors.employees_visible_to(actor)


class NamedApproversForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    first = PersonField(label=_("First named approver"), required=False)
    second = PersonField(label=_("Second named approver"), required=False)
    third = PersonField(label=_("Third named approver"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first", "second", "third"):
            self.fields[name].people = scope_selectors.employees_visible_to(actor)

    def approvers(self) -> list:
        return [self.cleaned_data[name] for name in ("first", "second", "third") if self.cleaned_data.get(name)]
