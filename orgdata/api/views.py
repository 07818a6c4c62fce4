"""Mobile API of the organisation data: my profile (R1), the directory (E7, masked), departments,
my applications (E6), and the administrators' scoped employee endpoints (E5)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from access.errors import NotInYourScope
from accounts.permissions import ApplicationSwitchedOn, IsEnterpriseMember
from orgdata import permissions
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import applications as application_selectors
from orgdata.selectors import directory as directory_selectors
from orgdata.selectors import scope as scope_selectors
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


class DirectoryPagination:
    """Page-number pagination without a total: a phone scrolls on while `next` is set, and
    counting 100,000 colleagues on every page would cost more than the page itself."""

    page_size, max_page_size = 20, 100
    # Far beyond any enterprise's last page, far below PostgreSQL's bigint OFFSET limit.
    max_offset = 10_000_000

    def __init__(self, request):
        self.request = request
        try:
            self.number = max(int(request.query_params.get("page", 1)), 1)
            self.size = min(max(int(request.query_params.get("page_size", self.page_size)), 1), self.max_page_size)
        except ValueError:
            raise ValidationError({"page": [_("Enter a whole number.")]})
        self.offset = (self.number - 1) * self.size
        if self.offset > self.max_offset:
            raise NotFound(_("Invalid page."))  # as DRF's own paginators answer a page past the end

    def links(self, *, has_more: bool) -> tuple[str | None, str | None]:
        url = self.request.build_absolute_uri()
        next_url = replace_query_param(url, "page", self.number + 1) if has_more else None
        previous_url = replace_query_param(url, "page", self.number - 1) if self.number > 1 else None
        return next_url, previous_url

    def page_of(self, rows) -> tuple[list, str | None, str | None]:
        fetched = list(rows[self.offset:self.offset + self.size + 1])
        return (fetched[:self.size], *self.links(has_more=len(fetched) > self.size))


_DIRECTORY_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description=(
        "Name prefix, employee number prefix or a complete mobile number; numbers are searched only "
        "when the enterprise shows them in its address book (see shown_fields).")),
    OpenApiParameter("department", OpenApiTypes.INT, description="Only this department and everything below it."),
    OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT),
]
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
        raise NotInYourScope(_("No such department."))


def _directory_subtree(request) -> list[int] | None:
    raw = request.query_params.get("department")
    if not raw:
        return None
    try:
        subtree = directory_selectors.directory_subtree(int(raw))
    except ValueError:
        subtree = []
    if not subtree:
        raise NotInYourScope(_("No such department."))
    return subtree


def _paginated(request, people, serializer_class):
    page, next_url, previous_url = DirectoryPagination(request).page_of(people.values_list("pk", "person_key_id"))
    employees = address_book_selectors.employees_in_order(people, page)
    return Response({"next": next_url, "previous": previous_url,
                     "results": serializer_class(employees, many=True).data})


class MyProfileView(APIView):
    """R1: read my address-book profile; correct or supplement the fields I may change."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: EmployeeProfileSerializer})
    def get(self, request):
        return Response(EmployeeProfileSerializer(directory_selectors.own_employee_record(request.user),
                                                  context={"request": request}).data)

    @extend_schema(request=EmployeeProfileChangeSerializer, responses={200: EmployeeProfileSerializer})
    def patch(self, request):
        directory_selectors.own_employee_record(request.user)  # 404 for an account without a record (the manager)
        changes = EmployeeProfileChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        employee = employee_services.update_own_profile(person=request.user, changes=dict(changes.validated_data))
        return Response(EmployeeProfileSerializer(directory_selectors.own_employee_record(employee.account),
                                                  context={"request": request}).data)


class DirectoryView(APIView):
    """The address book (E7): colleagues still employed, paginated, searchable. Each entry holds
    the fields the enterprise shows (`shown_fields`: name and department always, the rest as the
    enterprise manager chose), contact values masked.

    Refused (403 `application_not_authorised`) when the enterprise switched the address-book
    application off for me (E6).
    """

    permission_classes = [IsEnterpriseMember, ApplicationSwitchedOn]
    application = DIRECTORY_APPLICATION
    application_refusal = gettext_lazy("The address book is switched off for you.")

    @extend_schema(parameters=_DIRECTORY_PARAMETERS, responses={200: DirectoryPageSerializer})
    def get(self, request):
        fields = directory_selectors.directory_fields()
        pagination = DirectoryPagination(request)
        people = directory_selectors.directory(fields=fields, text=request.query_params.get("search", ""),
                                     department_ids=_directory_subtree(request))
        rows, has_more = directory_selectors.directory_page(people, fields=fields, offset=pagination.offset,
                                                  limit=pagination.size)
        next_url, previous_url = pagination.links(has_more=has_more)
        return Response({"shown_fields": list(fields), "next": next_url, "previous": previous_url,
                         "results": DirectoryEntrySerializer(rows, many=True).data})


class DepartmentListView(APIView):
    """The department tree, depth first (parents before their children)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: DepartmentSerializer(many=True)})
    def get(self, request):
        rows = address_book_selectors.department_tree(directory_selectors.departments_for_directory(),
                                                      people=directory_selectors.directory_people())
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
        return Response(ApplicationSerializer(application_selectors.applications_enabled_for(request.user), many=True).data)


class AdminEmployeeListView(APIView):
    """E5: the employees I administer (everyone for the manager, my departments for a
    sub-administrator), masked; searchable like the directory."""

    permission_classes = [permissions.IsOrganisationAdministrator]

    @extend_schema(parameters=_SEARCH_PARAMETERS, responses={200: AdminEmployeePageSerializer},
                   operation_id="v1_admin_employees_list")
    def get(self, request):
        department = _department_filter(request, scope_selectors.departments_visible_to(request.user))
        people = address_book_selectors.search_employees(scope_selectors.employees_visible_to(request.user),
                                            text=request.query_params.get("search", ""), department=department)
        return _paginated(request, people.order_by("employee_number"), AdminEmployeeSerializer)


class AdminEmployeeDetailView(APIView):
    """E5: one employee I administer; 404 for anyone outside my departments."""

    permission_classes = [permissions.IsOrganisationAdministrator]

    @extend_schema(responses={200: AdminEmployeeSerializer})
    def get(self, request, pk: int):
        return Response(AdminEmployeeSerializer(scope_selectors.employee_visible_to(request.user, pk)).data)

    @extend_schema(request=AdminEmployeeChangeSerializer, responses={
        200: AdminEmployeeSerializer,
        400: OpenApiResponse(description="Field errors; M2: `child_information_deleted` (under 14: not stored, the "
                                         "person erased); M1: `under_working_age` (14 or 15: not stored, the account "
                                         "disabled, a case for the manager). Both name the `fields`."),
    })
    def patch(self, request, pk: int):
        employee = scope_selectors.employee_visible_to(request.user, pk)
        changes = AdminEmployeeChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        values = dict(changes.validated_data)
        if "department" in values and values["department"] is not None:
            values["department"] = _department_filter_by_id(request.user, values["department"])
        employee_services.update_employee(actor=request.user, employee=employee, changes=values)
        return Response(AdminEmployeeSerializer(scope_selectors.employee_visible_to(request.user, pk)).data)


def _department_filter_by_id(actor, pk: int):
    department = scope_selectors.departments_visible_to(actor).filter(pk=pk).first()
    if department is None:
        raise ValidationError({"department": [_("Choose one of your departments.")]})
    return department
