"""Console pages: employees (E2, E5, E7): the scoped list, adding, one record, editing, password
resets."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from access.capabilities import Capability, may, require
from accounts.errors import InvitationUnusable, SmsUnavailable
from core import confirmation
from core.errors import try_service
from orgdata.console import forms
from orgdata.errors import ChildInformationDeleted, UnderWorkingAge
from orgdata.models import Employee
from orgdata.console.views.base import PAGE_SIZE, organisation_page
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services import administrators as admin_services
from orgdata.services import bulk as bulk_services
from orgdata.services import employees as employee_services
from orgdata.services import invitations as invitation_services
from orgdata.validators import is_minor
from privacy.disclosure import Route, shown_value


# ?sort=<column> or -<column>: the only orders the list offers, each ending on the unique employee
# number so pages never overlap; anything else is ignored (the default order).
SORTABLE = {
    "name": ("account__display_name",),
    "employee_number": (),
    "department": ("department__path",),
    "position": ("position__name",),
    "hire_date": ("entry_date",),
    "work_status": ("work_status",),
}
DEFAULT_SORT = "employee_number"


def _ordering(sort: str) -> tuple[str, list[str]]:
    """(the sort actually used, its ORDER BY fields)."""
    descending = sort.startswith("-")
    column = sort[1:] if descending else sort
    if column not in SORTABLE:
        return DEFAULT_SORT, ["employee_number"]
    sign = "-" if descending else ""
    return sort, [f"{sign}{field}" for field in (*SORTABLE[column], "employee_number")]


@organisation_page
def employee_list(request):
    visible_departments = scope_selectors.departments_visible_to(request.user)
    filters = forms.EmployeeFilterForm(request.GET or None, departments=visible_departments)
    people = scope_selectors.employees_visible_to(request.user)
    if filters.is_valid():
        people = address_book_selectors.search_employees(people, text=filters.cleaned_data["q"],
                                                         department=filters.cleaned_data["department"],
                                                         work_status=filters.cleaned_data["work_status"])
    sort, order = _ordering(str(request.GET.get("sort", "")))
    paginator = Paginator(people.order_by(*order).values_list("pk", "person_key_id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    employees = address_book_selectors.employees_in_order(scope_selectors.employees_visible_to(request.user),
                                                          list(page.object_list))
    names = address_book_selectors.department_names()
    rows = [{"employee": employee,
             "mobile": shown_value(viewer=request.user, instance=employee.account, field="mobile"),
             "department": address_book_selectors.department_label(employee.department, names=names)}
            for employee in employees]
    query = request.GET.copy()
    query.pop("page", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    kept = [(name, value) for name in query for value in query.getlist(name)]
    columns = [(key, label, sort) for key, label in (
        ("employee_number", _("Employee number")), ("name", _("Name")), (None, _("Mobile number")),
        ("department", _("Department")), ("position", _("Position")), ("hire_date", _("Hire date")),
        ("work_status", _("Work status")))]
    headings = [{"label": label, "key": key, "is_sorted": key is not None and sort.lstrip("-") == key,
                 "is_descending": sort.startswith("-"),
                 "next": None if key is None else (f"-{key}" if sort == key else key)}
                for key, label, sort in columns]
    return render(request, "orgdata/employees.html", {
        "filters": filters, "rows": rows, "page": page, "query": query.urlencode(),
        "unsorted_query": unsorted.urlencode(), "kept": kept, "headings": headings, "sort": sort,
        "bulk": forms.EmployeeBulkForm(departments=visible_departments),
        "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
    })


@organisation_page
@require_POST
def employee_bulk(request):
    """A bulk action on the ticked rows: confirmed first, then one service call per person."""
    form = forms.EmployeeBulkForm(request.POST, departments=scope_selectors.departments_visible_to(request.user))
    if not form.is_valid():
        return render(request, "orgdata/employee_bulk_refused.html", {"form": form}, status=400)
    data, count = form.cleaned_data, len(set(form.cleaned_data["selected"]))
    action = data["action"]
    if action == "move":
        consequence = ngettext("%(count)d selected person is moved to %(department)s.",
                               "%(count)d selected people are moved to %(department)s.", count) % {
            "count": count, "department": address_book_selectors.department_label(data["department"])}
    elif action == "status":
        consequence = ngettext("%(count)d selected person is set to “%(status)s”.",
                               "%(count)d selected people are set to “%(status)s”.", count) % {
            "count": count, "status": dict(Employee.WorkStatus.choices)[data["work_status"]]}
    else:
        consequence = ngettext("The address-book entry of %(count)d selected person is exported (masked).",
                               "The address-book entries of %(count)d selected people are exported (masked).",
                               count) % {"count": count}
    consequences = [consequence]
    _in_scope, outside = bulk_services.selected_in_scope(actor=request.user, employee_ids=data["selected"])
    if outside:
        consequences.append(ngettext(
            "%(count)d of them is not someone you administer: they are refused.",
            "%(count)d of them are not people you administer: they are refused.", outside) % {"count": outside})
    if action == "status" and data["work_status"] == Employee.WorkStatus.LEFT:
        consequences.append(_("People who leave have their accounts disabled at once: every way in is closed."))
    asked = confirmation.ask_unless_confirmed(
        request, title=_("Apply this to the selected people?"), consequences=consequences,
        confirm_label=dict(forms.EmployeeBulkForm.ACTIONS)[action], cancel_url=reverse("orgdata:employees"))
    if asked:
        return asked
    if action == "export":
        exported, refused = bulk_services.export_selection(actor=request.user, employee_ids=data["selected"],
                                                           file_format=data["file_format"])
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        response["X-Refused-Count"] = str(refused)
        return response
    changes = {"department": data["department"]} if action == "move" else {"work_status": data["work_status"]}
    outcome = bulk_services.change_employees(actor=request.user, employee_ids=data["selected"], changes=changes)
    messages.success(request, ngettext("%(count)d person changed.", "%(count)d people changed.", outcome.done) % {
        "count": outcome.done})
    if outcome.refused:
        messages.warning(request, ngettext(
            "%(count)d selected person was refused: outside your departments, or the change is not allowed for them.",
            "%(count)d selected people were refused: outside your departments, or the change is not allowed for "
            "them.", outcome.refused) % {"count": outcome.refused})
        for number, reason in sorted(outcome.reasons.items())[:10]:
            messages.warning(request, f"{number}: {reason}")
    return redirect("orgdata:employees")


@organisation_page
def person_picker(request):
    """The person picker's results (issue 14): people this administrator may see whose name or
    employee number starts with `q`, or whose complete mobile number it is; at most a few."""
    text = str(request.GET.get("q", ""))[:100]
    matches = address_book_selectors.people_matching(scope_selectors.employees_visible_to(request.user), text)
    return JsonResponse({"results": [{"employee_number": match["employee_number"],
                                      "label": f"{match['name']} ({match['employee_number']})"}
                                     for match in matches]})


@organisation_page
def employee_add(request):
    visible = scope_selectors.departments_visible_to(request.user)
    form = forms.EmployeeForm(request.POST or None, request.FILES or None, departments=visible)
    if request.method == "POST" and form.is_valid():
        created = []
        if try_service(form, lambda: created.append(employee_services.add_employee(
                actor=request.user, **form.changes()))):
            messages.success(request, _("Employee added; their account was created."))
            _keep_link_to_show_once(request, created[0], created[0].issued_invitation)
            _say_if_minor(request, created[0])
            return redirect("orgdata:employee", pk=created[0].pk)
    return render(request, "orgdata/employee_form.html", {"form": form, "employee": None})


@organisation_page
def employee_detail(request, pk: int):
    employee = scope_selectors.employee_visible_to(request.user, pk)
    # X2: the reveal button is the one way this page shows values unmasked, each one audited.
    route = Route.REVEAL if request.method == "POST" and request.POST.get("action") == "reveal" else Route.SURFACE
    shown = {field: shown_value(viewer=request.user, instance=instance, field=field, route=route) for instance, field in
             ((employee.account, "mobile"), (employee, "id_number"), (employee, "landline"), (employee, "email"))}
    return render(request, "orgdata/employee.html", {
        "employee": employee, "department": address_book_selectors.department_label(employee.department), **shown,
        "is_revealed": route is Route.REVEAL, "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
        "can_reset_password": may(request.user, Capability.RESET_PASSWORD, target=employee.account),
        **_invitation_to_show(request, employee),
    })


@organisation_page
def employee_edit(request, pk: int):
    employee = scope_selectors.employee_visible_to(request.user, pk)
    visible = scope_selectors.departments_visible_to(request.user)
    form = forms.EmployeeForm(request.POST or None, request.FILES or None, departments=visible, editing=employee,
                              viewer=request.user, initial=forms.EmployeeForm.initial_for(employee))
    if request.method == "POST" and form.is_valid():
        erased, disabled, saved, birth_before = [], [], [], employee.date_of_birth

        def save():
            try:
                saved.append(employee_services.update_employee(actor=request.user, employee=employee,
                                                               changes=form.changes()))
            except ChildInformationDeleted as refusal:  # M2: the person is being erased; no form to go back to
                erased.append(refusal)
            except UnderWorkingAge as refusal:  # M1: disabled, a case for the manager; nothing to correct here
                disabled.append(refusal)

        if try_service(form, save):
            if erased:
                messages.warning(request, erased[0].detail)
                return redirect("orgdata:employees")
            if disabled:
                messages.warning(request, disabled[0].detail)
                return redirect("orgdata:employee", pk=employee.pk)
            messages.success(request, _("Saved."))
            if saved[0].date_of_birth != birth_before:
                _say_if_minor(request, saved[0])
            return redirect("orgdata:employee", pk=employee.pk)
    return render(request, "orgdata/employee_form.html", {"form": form, "employee": employee})


def _say_if_minor(request, employee) -> None:
    # M2: the record was stored, and the erasure app opened a case for the manager to verify; M1:
    # the account cannot be used until a guardian's consent is recorded.
    if is_minor(employee.date_of_birth):
        messages.warning(request, _("The date of birth shows that this person is under 18: their account cannot be "
                                    "used until their guardian's consent is recorded, and a case was opened for the "
                                    "enterprise manager to verify."))


@organisation_page
@require_POST
def employee_reset_password(request, pk: int):
    employee = scope_selectors.employee_visible_to(request.user, pk)
    require(request.user, Capability.RESET_PASSWORD, target=employee.account)  # refused before asking
    name = employee.account.display_name
    asked = confirmation.ask_unless_confirmed(
        request, title=_("Reset %(name)s's password?") % {"name": name},
        consequences=[_("%(name)s's current password stops working at once, in the app and the console.") % {
                          "name": name},
                      _("The next page shows a temporary password once; %(name)s must replace it at their next "
                        "sign-in.") % {"name": name}],
        confirm_label=_("Reset password"), cancel_url=reverse("orgdata:employee", args=[employee.pk]))
    if asked:
        return asked
    temporary = admin_services.reset_employee_password(actor=request.user, employee=employee)
    return render(request, "orgdata/password_reset.html", {"employee": employee, "temporary": temporary})


@organisation_page
def employee_consent(request, pk: int):
    """The consent page's address from before it was keyed by the person (bookmarks keep working):
    the employee is looked up in the administrator's scope, then sent to their person's page."""
    employee = scope_selectors.employee_visible_to(request.user, pk)
    return redirect("consent-console:person", pk=employee.account_id)


# Issue 14: the activation link is shown once, on the employee's page right after it was made. The
# token waits in the administrator's session for that one page (redirect-after-POST), never longer.
def _session_key(employee) -> str:
    return f"orgdata.invitation.{employee.pk}"


def _keep_link_to_show_once(request, employee, issued) -> None:
    if issued is not None:
        request.session[_session_key(employee)] = issued.token


def _invitation_to_show(request, employee) -> dict:
    token = request.session.pop(_session_key(employee), None)
    if not token:
        return {}
    return {"activation_link": invitation_services.activation_link(token, host=request.get_host()),
            "activation_token": token, "activation_days": invitation_services.days_valid()}


@organisation_page
@require_POST
def employee_invite(request, pk: int):
    """Issue 14: a new activation link for the person (the earlier one stops working)."""
    employee = scope_selectors.employee_visible_to(request.user, pk)
    try:
        issued = invitation_services.invite_again(actor=request.user, employee=employee)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        _keep_link_to_show_once(request, employee, issued)
        messages.success(request, _("A new activation link was made; any earlier link no longer works."))
    return redirect("orgdata:employee", pk=employee.pk)


@organisation_page
@require_POST
def employee_invite_by_sms(request, pk: int):
    """Issue 14: send the activation link just shown to the person's mobile number."""
    employee = scope_selectors.employee_visible_to(request.user, pk)
    try:
        invitation_services.send_invitation_by_sms(actor=request.user, employee=employee,
                                                   token=request.POST.get("token", ""), host=request.get_host())
    except (InvitationUnusable, SmsUnavailable) as refusal:
        messages.error(request, refusal.detail)
    else:
        messages.success(request, _("The activation link was sent by text message to %(name)s.") % {
            "name": employee.account.display_name})
    return redirect("orgdata:employee", pk=employee.pk)
