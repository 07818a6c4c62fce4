"""Mobile API shapes of the organisation data. Personal values are shown as the disclosure policy
(privacy.disclosure) says; rules live in orgdata.services and orgdata.selectors."""
from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from accounts.models import User
from orgdata.models import Department, Employee
from orgdata.selectors import directory as directory_selectors
from privacy.disclosure import Route, shown_plain_value, shown_value
from privacy.serializers import SensitiveFieldsMixin


def _viewer(serializer):
    """Who the response is for; without a request in the context, nobody (everything masked)."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class DepartmentSerializer(serializers.ModelSerializer):
    parent_id = serializers.IntegerField(allow_null=True, read_only=True)
    depth = serializers.IntegerField(read_only=True)
    employee_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Department
        fields = ["id", "name", "parent_id", "depth", "employee_count"]


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DirectoryEntrySerializer(serializers.Serializer):
    """A colleague as the address book shows them (E7): name and department always, the other
    fields only when the enterprise shows them; contact values always masked (X2).

    Reads the plain rows of `orgdata.selectors.directory.directory_page`, which hold the shown fields only,
    so a field the enterprise hides is absent from the entry, not empty.
    """

    _ONLY_WHEN_SHOWN = _("Present only when the enterprise shows this field in its address book.")

    id = serializers.IntegerField()
    display_name = serializers.CharField()
    department = _NamedSerializer(allow_null=True)
    position = _NamedSerializer(allow_null=True, required=False, help_text=_ONLY_WHEN_SHOWN)
    job_level = _NamedSerializer(allow_null=True, required=False, help_text=_ONLY_WHEN_SHOWN)
    title = serializers.CharField(required=False, help_text=_ONLY_WHEN_SHOWN)
    employee_number = serializers.CharField(required=False, help_text=_ONLY_WHEN_SHOWN)
    work_status = serializers.ChoiceField(choices=Employee.WorkStatus.choices, required=False,
                                          help_text=_ONLY_WHEN_SHOWN)
    mobile_masked = serializers.CharField(required=False, help_text=_(
        "The mobile number, masked (138****5678). Present only when the enterprise shows it."))
    landline_masked = serializers.CharField(required=False, help_text=_(
        "The landline, masked (021-****5678). Present only when the enterprise shows it."))
    email_masked = serializers.CharField(required=False, help_text=_(
        "The email address, masked (z***@example.com). Present only when the enterprise shows it."))

    # Row key → (entry name, the model whose declaration says how the value is shown).
    _MASKED = {"mobile": ("mobile_masked", User), "landline": ("landline_masked", Employee),
               "email": ("email_masked", Employee)}

    def to_representation(self, row: dict) -> dict:
        documented = self.fields
        viewer = _viewer(self)
        entry = {}
        for field, value in row.items():
            if field in self._MASKED:
                name, model = self._MASKED[field]
                entry[name] = shown_plain_value(viewer=viewer, model=model, field=field, value=value)
            elif field in documented:  # nothing leaves that the schema does not name
                entry[field] = value
        return entry


class _EmployeeListEntrySerializer(serializers.Serializer):
    """An employee in an administrator's list: mobile, landline and email masked (X2). The API has
    no unmask path; the console's (privacy.unmask.reveal) records each value it shows."""

    id = serializers.IntegerField()
    display_name = serializers.CharField(source="account.display_name")
    employee_number = serializers.CharField()
    department = _NamedSerializer(allow_null=True)
    position = _NamedSerializer(allow_null=True)
    title = serializers.CharField()
    work_status = serializers.CharField()
    mobile_masked = serializers.SerializerMethodField()
    landline_masked = serializers.SerializerMethodField()
    email_masked = serializers.SerializerMethodField()

    def get_mobile_masked(self, employee) -> str:
        return shown_value(viewer=_viewer(self), instance=employee.account, field="mobile")

    def get_landline_masked(self, employee) -> str:
        return shown_value(viewer=_viewer(self), instance=employee, field="landline")

    def get_email_masked(self, employee) -> str:
        return shown_value(viewer=_viewer(self), instance=employee, field="email")


class EmployeeProfileSerializer(SensitiveFieldsMixin, serializers.Serializer):
    """R1: everything the enterprise holds about me in the address book, through the disclosure
    policy's own-record path (needs the request in the context): contact values clear, the ID
    number masked (and marked sensitive, C2)."""

    sensitive_sources = {"id_number_masked": "orgdata.Employee.id_number"}

    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(source="account.display_name", read_only=True)
    mobile = serializers.CharField(source="account.mobile", read_only=True)
    employee_number = serializers.CharField(read_only=True)
    department = _NamedSerializer(allow_null=True, read_only=True)
    position = _NamedSerializer(allow_null=True, read_only=True)
    job_level = _NamedSerializer(allow_null=True, read_only=True)
    entry_date = serializers.DateField(allow_null=True, read_only=True)
    id_number_masked = serializers.SerializerMethodField()
    work_status = serializers.ChoiceField(choices=Employee.WorkStatus.choices)
    date_of_birth = serializers.DateField(allow_null=True)
    landline = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    gender = serializers.ChoiceField(choices=Employee.Gender.choices, allow_blank=True)
    residence = serializers.CharField(allow_blank=True)
    country_region = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    qq = serializers.CharField(allow_blank=True)
    wechat_id = serializers.CharField(allow_blank=True)
    education = serializers.ChoiceField(choices=Employee.Education.choices, allow_blank=True)
    has_avatar = serializers.SerializerMethodField()
    has_seal_image = serializers.SerializerMethodField()

    def to_representation(self, employee) -> dict:
        profile = super().to_representation(employee)
        viewer = _viewer(self)
        for name, (instance, field) in {"mobile": (employee.account, "mobile"), "landline": (employee, "landline"),
                                        "email": (employee, "email")}.items():
            profile[name] = shown_value(viewer=viewer, instance=instance, field=field, route=Route.OWN_RECORD)
        return profile

    def get_id_number_masked(self, employee) -> str:
        return shown_value(viewer=_viewer(self), instance=employee, field="id_number", route=Route.OWN_RECORD)

    def get_has_avatar(self, employee) -> bool:
        return bool(employee.avatar)

    def get_has_seal_image(self, employee) -> bool:
        return bool(employee.seal_image)


def _date_text_field(**kwargs) -> serializers.CharField:
    """A date as text, parsed by the one date parser in the service (orgdata.validators.parse_date),
    so the API accepts what the console and the import accept."""
    return serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=32, help_text=_(
        "A date: 2024-03-01, 2024/3/1, 2024.3.1 or 2024年3月1日; null or \"\" clears it."), **kwargs)


class EmployeeProfileChangeSerializer(serializers.Serializer):
    """R1: what I may correct or supplement. Send only the fields to change; "" clears one.

    Anything else (name, mobile number, employee number, department, ID number…) is the
    enterprise's record: the response names each such field and says to ask an administrator.
    """

    work_status = serializers.CharField(required=False, allow_blank=True)
    date_of_birth = _date_text_field()
    landline = serializers.CharField(required=False, allow_blank=True, max_length=32)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    gender = serializers.CharField(required=False, allow_blank=True)
    residence = serializers.CharField(required=False, allow_blank=True, max_length=200)
    country_region = serializers.CharField(required=False, allow_blank=True, max_length=100)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    qq = serializers.CharField(required=False, allow_blank=True, max_length=12)
    wechat_id = serializers.CharField(required=False, allow_blank=True, max_length=20)
    education = serializers.CharField(required=False, allow_blank=True)
    avatar = serializers.FileField(required=False, allow_null=True)
    seal_image = serializers.FileField(required=False, allow_null=True)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):  # `123`, `[{}]`: a 400 naming the problem, not a TypeError
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                _("Send a JSON object with the fields to change.")]})
        refused = sorted(set(data) - set(self.fields))
        values = super().to_internal_value(data)
        if refused:
            raise serializers.ValidationError({field: [_("Ask your administrator to change this.")]
                                               for field in refused})
        return values


class AdminEmployeeChangeSerializer(serializers.Serializer):
    """E5: an administrator's corrections; unknown or out-of-scope values are refused by the service."""

    display_name = serializers.CharField(required=False, max_length=100)
    # Lengths leave room for spaces, brackets and prefixes: the service normalises and validates.
    mobile = serializers.CharField(required=False, max_length=32)
    employee_number = serializers.CharField(required=False, max_length=32)
    department = serializers.IntegerField(required=False, allow_null=True)
    work_status = serializers.CharField(required=False, allow_blank=True)
    entry_date = _date_text_field()
    date_of_birth = _date_text_field()
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=32)
    landline = serializers.CharField(required=False, allow_blank=True, max_length=32)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)


class AdminEmployeeSerializer(SensitiveFieldsMixin, _EmployeeListEntrySerializer):
    sensitive_sources = {"id_number_masked": "orgdata.Employee.id_number"}
    id_number_masked = serializers.SerializerMethodField()
    entry_date = serializers.DateField(allow_null=True)

    def get_id_number_masked(self, employee) -> str:
        return shown_value(viewer=_viewer(self), instance=employee, field="id_number")


class ApplicationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()


class _PageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DirectoryPageSerializer(_PageSerializer):
    shown_fields = serializers.ListField(child=serializers.ChoiceField(
        choices=list(directory_selectors.DIRECTORY_ALWAYS_SHOWN + directory_selectors.DIRECTORY_OPTIONAL_FIELDS)), help_text=_(
        "The fields this enterprise shows in its address book; the entries hold these and no others "
        "(mobile, landline and email as mobile_masked, landline_masked and email_masked)."))
    results = DirectoryEntrySerializer(many=True)


class AdminEmployeePageSerializer(_PageSerializer):
    results = AdminEmployeeSerializer(many=True)
