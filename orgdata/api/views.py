"""Mobile API of the organisation data: my profile (R1), the directory (E7, masked), departments,
my applications (E6), and the administrators' scoped employee endpoints (E5)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.permissions import IsEnterpriseMember
from config.api_errors import NotPermitted
from orgdata import permissions, selectors
from orgdata.api.serializers import (
    AdminEmployeeChangeSerializer,
    AdminEmployeePageSerializer,
    AdminEmployeeSerializer,
    ApplicationSerializer,
    DepartmentSerializer,
    DirectoryEntrySerializer,
    DirectoryPageSerializer,
    EmployeeProfileChangeSerializer,
    EmployeeProfileSerializer,
)
from orgdata.services import employees as employee_services

DIRECTORY_APPLICATION = "address-book"
# Never shown in the directory, so never loaded or decrypted for it.
DIRECTORY_HIDES = ("id_number", "date_of_birth", "residence", "address", "qq", "wechat_id", "education",
                   "avatar", "seal_image", "gender", "country_region", "entry_date")


class DirectoryPagination:
    """Page-number pagination without a total: a phone scrolls on while `next` is set, and
    counting 100,000 colleagues on every page would cost more than the page itself."""

    page_size, max_page_size = 20, 100

    def page_of(self, request, rows) -> tuple[list, str | None, str | None]:
        try:
            number = max(int(request.query_params.get("page", 1)), 1)
            size = min(max(int(request.query_params.get("page_size", self.page_size)), 1), self.max_page_size)
        except ValueError:
            raise ValidationError({"page": [_("Enter a whole number.")]})
        start = (number - 1) * size
        fetched = list(rows[start:start + size + 1])
        url = request.build_absolute_uri()
        next_url = replace_query_param(url, "page", number + 1) if len(fetched) > size else None
        previous_url = replace_query_param(url, "page", number - 1) if number > 1 else None
        return fetched[:size], next_url, previous_url


_SEARCH_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Name prefix, employee number prefix or a complete mobile number."),
    OpenApiParameter("department", OpenApiTypes.INT, description="Only this department and everything below it."),
    OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT),
]


def _department_filter(request, queryset):
    raw = request.query_params.get("department")
    if not raw:
        return None
    try:
        return queryset.get(pk=int(raw))
    except (ValueError, queryset.model.DoesNotExist):
        raise permissions.NotInYourScope(_("No such department."))


def _paginated(request, people, serializer_class, *, without: tuple[str, ...] = ()):
    page, next_url, previous_url = DirectoryPagination().page_of(request, people.values_list("pk", "person_key_id"))
    employees = selectors.employees_in_order(people, page, without=without)
    return Response({"next": next_url, "previous": previous_url,
                     "results": serializer_class(employees, many=True).data})


class MyProfileView(APIView):
    """R1: read my address-book profile; correct or supplement the fields I may change."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: EmployeeProfileSerializer})
    def get(self, request):
        return Response(EmployeeProfileSerializer(selectors.own_employee_record(request.user)).data)

    @extend_schema(request=EmployeeProfileChangeSerializer, responses={200: EmployeeProfileSerializer})
    def patch(self, request):
        changes = EmployeeProfileChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        employee = employee_services.update_own_profile(account=request.user, changes=dict(changes.validated_data))
        return Response(EmployeeProfileSerializer(selectors.own_employee_record(employee.account)).data)


class DirectoryView(APIView):
    """The address book: colleagues still employed, contact numbers masked, paginated, searchable.

    Refused (403) when the enterprise switched the address-book application off for me (E6).
    """

    permission_classes = [IsEnterpriseMember]

    @extend_schema(parameters=_SEARCH_PARAMETERS, responses={200: DirectoryPageSerializer})
    def get(self, request):
        if not selectors.is_application_enabled_for(request.user, DIRECTORY_APPLICATION):
            raise NotPermitted(_("The address book is switched off for you."))
        department = _department_filter(request, selectors.departments_for_directory())
        people = selectors.directory(text=request.query_params.get("search", ""), department=department)
        return _paginated(request, people, DirectoryEntrySerializer, without=DIRECTORY_HIDES)


class DepartmentListView(APIView):
    """The department tree, depth first (parents before their children)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: DepartmentSerializer(many=True)})
    def get(self, request):
        rows = selectors.department_tree(selectors.departments_for_directory())
        departments = []
        for row in rows:
            row["department"].employee_count = row["employee_count"]
            departments.append(row["department"])
        return Response(DepartmentSerializer(departments, many=True).data)


class MyApplicationsView(APIView):
    """E6: the applications switched on for me."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: ApplicationSerializer(many=True)})
    def get(self, request):
        return Response(ApplicationSerializer(selectors.applications_enabled_for(request.user), many=True).data)


class AdminEmployeeListView(APIView):
    """E5: the employees I administer (everyone for the manager, my departments for a
    sub-administrator), masked; searchable like the directory."""

    permission_classes = [permissions.IsOrganisationAdministrator]

    @extend_schema(parameters=_SEARCH_PARAMETERS, responses={200: AdminEmployeePageSerializer},
                   operation_id="v1_admin_employees_list")
    def get(self, request):
        department = _department_filter(request, selectors.departments_visible_to(request.user))
        people = selectors.search_employees(selectors.employees_visible_to(request.user),
                                            text=request.query_params.get("search", ""), department=department)
        return _paginated(request, people.order_by("employee_number"), AdminEmployeeSerializer)


class AdminEmployeeDetailView(APIView):
    """E5: one employee I administer; 404 for anyone outside my departments."""

    permission_classes = [permissions.IsOrganisationAdministrator]

    @extend_schema(responses={200: AdminEmployeeSerializer})
    def get(self, request, pk: int):
        return Response(AdminEmployeeSerializer(selectors.employee_visible_to(request.user, pk)).data)

    @extend_schema(request=AdminEmployeeChangeSerializer, responses={200: AdminEmployeeSerializer})
    def patch(self, request, pk: int):
        employee = selectors.employee_visible_to(request.user, pk)
        changes = AdminEmployeeChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        values = dict(changes.validated_data)
        if "department" in values and values["department"] is not None:
            values["department"] = _department_filter_by_id(request.user, values["department"])
        employee_services.update_employee(actor=request.user, employee=employee, changes=values)
        return Response(AdminEmployeeSerializer(selectors.employee_visible_to(request.user, pk)).data)


def _department_filter_by_id(actor, pk: int):
    department = selectors.departments_visible_to(actor).filter(pk=pk).first()
    if department is None:
        raise ValidationError({"department": [_("Choose one of your departments.")]})
    return department
