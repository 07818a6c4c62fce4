"""Console forms: they parse and present input; every rule is in orgdata.services."""
from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User, mobile_index_of
from orgdata.models import Department, Employee, JobLevel, Position
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import directory as directory_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services.imports.jobs import CONSENT_STATEMENT
from orgdata.validators import choice_refusal
from privacy.disclosure import shown_value
from privacy.marks import sensitive_html
from tenants.models import Enterprise


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")  # what <input type="date"> needs in every language


class DateTextField(forms.CharField):
    """A date as typed or picked; parsed by the one date parser in the service
    (orgdata.validators.parse_date), so the console accepts what the API and the import accept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("widget", DateInput)
        super().__init__(**kwargs)


class ListedChoiceField(forms.ChoiceField):
    """A choice whose refusal names the accepted values, in the services' words."""

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as error:
            if error.code != "invalid_choice":
                raise
            raise ValidationError(choice_refusal([(key, label) for key, label in self.choices if key != ""]),
                                  code="invalid_choice")


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return f"{'— ' * department.depth}{department.name}"


class IdForm(forms.Form):
    """The id a row's button posts (a hidden input): anything but a whole number names nothing."""

    id = forms.IntegerField(min_value=1)

    def __init__(self, data, *, field: str):
        super().__init__({"id": data.get(field)})


def find_account(text: str, *, people: QuerySet[Employee], accounts: QuerySet[User]) -> User | None:
    """The account of the person typed as `text`: an exact employee number among `people`, else a
    complete mobile number among `people`'s accounts or `accounts`. None when nobody matches.

    Every lookup is an exact match on an index (the unique employee number; the mobile number's
    blind index), so it stays cheap however large the enterprise is.
    """
    text = (text or "").strip()
    account_id = people.filter(employee_number=text).values_list("account_id", flat=True).first()
    index = mobile_index_of(text) if account_id is None else None
    if index:
        account_id = (people.filter(account__mobile_index=index).values_list("account_id", flat=True).first()
                      or accounts.filter(mobile_index=index).values_list("pk", flat=True).first())
    return User.objects.filter(pk=account_id).first() if account_id else None


class PersonPickerInput(forms.TextInput):
    """The person picker's text box (issue 14): with script, the results of the picker's JSON
    endpoint fill a <datalist> as the administrator types; without it, the form answers with the
    matches to choose from (PersonField)."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        box_id = attrs.setdefault("id", f"id_{name}")
        results_id = f"{box_id}-results"
        attrs.update({"list": results_id, "data-person-picker": reverse("orgdata:person_picker")})
        return super().render(name, value, attrs, renderer) + format_html(
            '<datalist id="{}" data-testid="person-picker-results"></datalist>'
            '<script>{}</script>', results_id, mark_safe(_PICKER_SCRIPT % {"box": json.dumps(box_id)}))


# Fills the datalist with the picker's results as the administrator types (a pause of 200 ms
# between requests); values are set as properties, never as HTML.
_PICKER_SCRIPT = """(function () {
  const box = document.getElementById(%(box)s), list = document.getElementById(box.id + "-results");
  let timer = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(async function () {
      const text = box.value.trim();
      if (!text) { list.replaceChildren(); return; }
      const answer = await fetch(box.dataset.personPicker + "?q=" + encodeURIComponent(text),
                                 {headers: {"Accept": "application/json"}, credentials: "same-origin"});
      if (!answer.ok) return;
      const found = await answer.json();
      list.replaceChildren(...found.results.map(function (person) {
        const option = document.createElement("option");
        option.value = person.employee_number;
        option.label = person.label;
        return option;
      }));
    }, 200);
  });
})();"""


class PersonField(forms.CharField):
    """One person, typed as a part of their name, their employee number or their mobile number and
    cleaned to their account.

    A text box, not a <select> of everyone: with 100,000 people a select is a page of megabytes.
    The form sets `people` (and, where people without an employee record may be chosen,
    `accounts`) to the actor's scope; anyone outside it is "not found", like someone absent (E5).
    An exact employee number or full mobile number is the person; otherwise the text is searched
    as the employee list searches it: one match is the person, several are listed to choose from.
    """

    default_error_messages = {
        "not_found": _("Nobody you administer matches this name, employee number or mobile number."),
        "several": _("Several people match; type the employee number of the one you mean: %(matches)s"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", _("Type a part of their name, their employee number or their full mobile "
                                         "number, then choose them."))
        kwargs.setdefault("widget", PersonPickerInput)
        super().__init__(**kwargs)
        self.people = Employee.objects.none()
        self.accounts = User.objects.none()

    def clean(self, value) -> User | None:
        text = super().clean(value)
        if not text:
            return None
        account = find_account(text, people=self.people, accounts=self.accounts)
        if account is not None:
            return account
        matches = address_book_selectors.people_matching(self.people, text, limit=6)
        if len(matches) == 1:
            return User.objects.get(pk=matches[0]["account_id"])
        if matches:
            listed = ", ".join(f"{match['name']} ({match['employee_number']})" for match in matches[:5])
            raise ValidationError(self.error_messages["several"], code="several", params={"matches": listed})
        raise ValidationError(self.error_messages["not_found"], code="not_found")


class EmployeeForm(forms.Form):
    """Add or correct a person (E5, E7); E3's optional fields are optional here too."""

    display_name = forms.CharField(label=_("Name"), max_length=100)
    # Lengths leave room for spaces, brackets and prefixes: the service normalises and validates.
    mobile = forms.CharField(label=_("Mobile number"), max_length=32,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    employee_number = forms.CharField(label=_("Employee number"), max_length=32)
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    position = forms.ModelChoiceField(label=_("Position"), queryset=Position.objects.all(), required=False)
    job_level = forms.ModelChoiceField(label=_("Job level"), queryset=JobLevel.objects.all(), required=False)
    entry_date = DateTextField(label=_("Date of employment"), required=False)
    work_status = ListedChoiceField(label=_("Work status"), choices=Employee.WorkStatus.choices,
                                    initial=Employee.WorkStatus.WORKING)
    date_of_birth = DateTextField(label=_("Date of birth"), required=False)
    id_number = forms.CharField(label=_("Resident ID number"), max_length=32, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    landline = forms.CharField(label=_("Landline"), max_length=32, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    gender = ListedChoiceField(label=_("Gender"), choices=[("", "—"), *Employee.Gender.choices], required=False)
    education = ListedChoiceField(label=_("Education"), choices=[("", "—"), *Employee.Education.choices],
                                  required=False)
    residence = forms.CharField(label=_("Permanent residence"), max_length=200, required=False)
    country_region = forms.CharField(label=_("Country/region"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    qq = forms.CharField(label=_("QQ"), max_length=12, required=False)
    wechat_id = forms.CharField(label=_("WeChat ID"), max_length=20, required=False)
    avatar = forms.FileField(label=_("Avatar"), required=False)
    seal_image = forms.FileField(label=_("Seal image"), required=False)

    # Shown masked; when editing, an empty box keeps the stored value.
    KEEP_WHEN_EMPTY = ("mobile", "id_number")

    def __init__(self, *args, departments, editing: Employee | None = None, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments.order_by("path")
        self.editing = editing
        if editing is not None:
            self.fields["mobile"].required = False
            self.fields["mobile"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
                "masked": shown_value(viewer=viewer, instance=editing.account, field="mobile")}
            # C2: the ID number is sensitive: its masked value carries the mark.
            self.fields["id_number"].help_text = (
                mark_safe(conditional_escape(_("Now %(masked)s. Leave empty to keep it.")) % {
                    "masked": sensitive_html(shown_value(viewer=viewer, instance=editing, field="id_number"))})
                if editing.id_number else "")

    def changes(self) -> dict:
        """The cleaned values to hand to the service (unchanged masked fields left out)."""
        data = dict(self.cleaned_data)
        for field in ("avatar", "seal_image"):
            if not data.get(field):
                data.pop(field, None)
        if self.editing is not None:
            for field in self.KEEP_WHEN_EMPTY:
                if not data.get(field):
                    data.pop(field, None)
        return data

    @staticmethod
    def initial_for(employee: Employee) -> dict:
        initial = {field: getattr(employee, field) for field in (
            "employee_number", "entry_date", "work_status", "date_of_birth", "landline", "email", "title",
            "gender", "education", "residence", "country_region", "address", "qq", "wechat_id")}
        initial.update(display_name=employee.account.display_name, department=employee.department_id,
                       position=employee.position_id, job_level=employee.job_level_id)
        return initial


class DepartmentCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = DepartmentChoiceField(label=_("Parent department"), queryset=Department.objects.none(), required=False,
                                   empty_label=_("(top of the tree)"))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = departments.order_by("path")


class DepartmentRenameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=100)


class DepartmentMoveForm(forms.Form):
    parent = DepartmentChoiceField(label=_("New parent department"), queryset=Department.objects.none(),
                                   required=False, empty_label=_("(top of the tree)"))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = departments.order_by("path")


class DepartmentMergeForm(forms.Form):
    target = DepartmentChoiceField(label=_("Merge into"), queryset=Department.objects.none())

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = departments.order_by("path")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Address book file (CSV or XLSX)"))
    consent_confirmed = forms.BooleanField(label=CONSENT_STATEMENT, required=False)


class ImportConfirmForm(forms.Form):
    # Issue 14: positions and job levels the file names that do not exist are created only when asked.
    create_new_values = forms.BooleanField(
        label=_("Create the positions and job levels listed above"), required=False)


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")])
    unmasked = forms.BooleanField(
        label=_("Include full contact details and ID numbers (recorded in the audit log)"), required=False)


class AppointForm(forms.Form):
    account = PersonField(label=_("Person"))
    departments = forms.ModelMultipleChoiceField(label=_("Departments they administer (with everything below)"),
                                                 queryset=Department.objects.none(),
                                                 widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # Manager only (the view checks): everyone is in scope. The service refuses the manager
        # themself and deactivated accounts with its own field errors.
        self.fields["account"].people = scope_selectors.employees_visible_to(actor)
        self.fields["departments"].queryset = Department.objects.order_by("path")
        self.fields["departments"].label_from_instance = lambda d: f"{'— ' * d.depth}{d.name}"


class TransferForm(forms.Form):
    new_manager = PersonField(label=_("New enterprise manager"))
    password = forms.CharField(label=_("Your password (to confirm it is you)"), widget=forms.PasswordInput,
                               strip=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_manager"].people = scope_selectors.employees_visible_to(actor)
        # An account without an employee record (e.g. a former manager) can still be handed the
        # role back by mobile number; the service refuses the actor and deactivated accounts.
        self.fields["new_manager"].accounts = User.objects.filter(
            role__in=[User.Role.EMPLOYEE, User.Role.SUB_ADMIN])


class EnterpriseProfileForm(forms.Form):
    """The enterprise's profile. Each field also sends the value the page showed
    (`show_hidden_initial`), so `changed_data` names exactly the fields the manager edited, even if
    another administrator saved the profile meanwhile: only those are written."""

    name = forms.CharField(label=_("Enterprise name"), max_length=200, show_hidden_initial=True)
    location = forms.CharField(label=_("Location"), max_length=200, show_hidden_initial=True)
    industry = forms.CharField(label=_("Industry type"), max_length=100, show_hidden_initial=True)
    personnel_size = forms.ChoiceField(label=_("Personnel size"), choices=[], show_hidden_initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["personnel_size"].choices = Enterprise.PersonnelSize.choices

    def changes(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.changed_data}


class BasicDetailsForm(forms.Form):
    """E1: what an enterprise that registered itself gives before basic services work."""

    location = forms.CharField(label=_("Location"), max_length=200)
    industry = forms.CharField(label=_("Industry type"), max_length=100)
    personnel_size = forms.ChoiceField(label=_("Personnel size"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["personnel_size"].choices = [("", "—"), *Enterprise.PersonnelSize.choices]


_DIRECTORY_FIELD_LABELS = {
    "position": _("Position"),
    "job_level": _("Job level"),
    "title": _("Title"),
    "employee_number": _("Employee number"),
    "work_status": _("Work status"),
    "mobile": _("Mobile number (masked)"),
    "landline": _("Landline (masked)"),
    "email": _("Email (masked)"),
}


class DirectoryFieldsForm(forms.Form):
    """E7: the fields colleagues see of each other in the address book (the manager chooses)."""

    fields_shown = forms.MultipleChoiceField(
        label=_("Shown in the address book"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(field, _DIRECTORY_FIELD_LABELS[field]) for field in directory_selectors.DIRECTORY_OPTIONAL_FIELDS],
        help_text=_("Name and department are always shown. Contact values are always shown masked."))


class SwitchForm(forms.Form):
    LEVELS = [("enterprise", _("The whole enterprise")), ("department", _("A department")),
              ("employee", _("One person"))]
    level = forms.ChoiceField(label=_("For"), choices=LEVELS)
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    employee = PersonField(label=_("Person"), required=False)
    enabled = forms.TypedChoiceField(label=_("Switch"), choices=[("1", _("On")), ("0", _("Off"))],
                                     coerce=lambda value: value == "1")

    def __init__(self, *args, departments, employees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments.order_by("path")
        self.fields["employee"].people = employees

    def clean(self):
        data = super().clean()
        if data.get("level") != "employee":
            self._errors.pop("employee", None)  # a leftover entry in the person box is not used
            data["employee"] = None
        if data.get("level") == "department" and not data.get("department"):
            self.add_error("department", _("Choose a department."))
        if data.get("level") == "employee" and not data.get("employee") and "employee" not in self._errors:
            self.add_error("employee", _("Choose a person."))
        return data


class SelfBuiltApplicationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class NameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class EmployeeFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("Name, employee number or full mobile number")}))
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False,
                                       empty_label=_("All my departments"))
    work_status = ListedChoiceField(label=_("Work status"), choices=[("", _("Any")), *Employee.WorkStatus.choices],
                                    required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments.order_by("path")



class EmployeeIdsField(forms.Field):
    """The rows ticked in the employee list: whole numbers, at least one."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Select at least one person."),
                              "invalid": _("Select people from the list.")}

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        try:
            ids = [int(item) for item in values]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if any(pk < 1 or pk > 2**31 - 1 for pk in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class EmployeeBulkForm(forms.Form):
    """A bulk action on the selected rows of the employee list (issue 14)."""

    ACTIONS = [("move", _("Move to a department")), ("status", _("Set the work status")),
               ("export", _("Export the selection"))]
    action = ListedChoiceField(label=_("Action"), choices=ACTIONS)
    selected = EmployeeIdsField()
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    work_status = ListedChoiceField(label=_("Work status"), choices=[("", "—"), *Employee.WorkStatus.choices],
                                    required=False)
    file_format = ListedChoiceField(label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments.order_by("path")

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "move" and not data.get("department"):
            self.add_error("department", _("Choose the department to move them to."))
        if action == "status" and not data.get("work_status"):
            self.add_error("work_status", _("Choose the work status to set."))
        if action == "export" and not data.get("file_format"):
            data["file_format"] = "xlsx"
        return data
