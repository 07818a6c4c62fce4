"""The web console's organisation pages. Thin: parse with a form, call one service or selector,
render. Who may do what is decided in access.capabilities (scoped reads in orgdata.selectors, E5);
refusals become 403/404 pages in core.errors.ConsoleRefusalMiddleware."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.capabilities import Capability, may, require
from access.roles import Role, holds_role
from accounts.models import User
from accounts.permissions import console_login_required
from core.errors import DomainError, add_service_errors
from orgdata import selectors
from orgdata.console import forms
from orgdata.models import Application, ApplicationSwitch, JobLevel, Position
from orgdata.services import administrators as admin_services
from orgdata.services import applications as application_services
from orgdata.services import departments as department_services
from orgdata.services import directory as directory_services
from orgdata.services import employees as employee_services
from orgdata.services import exports as export_services
from orgdata.services import imports as import_services
from orgdata.services import positions as position_services
from privacy.masking import mask_id_number, mask_mobile

PAGE_SIZE = 25


def organisation_page(view):
    """Signed-in administrator of the organisation (the manager, or a sub-administrator in scope)."""

    @console_login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require(request.user, Capability.ADMINISTER_ORGANISATION)
        return view(request, *args, **kwargs)

    return wrapper


def _try(request, form, action) -> bool:
    """Run a service call; show its refusals on `form` (core.errors). Returns whether it succeeded."""
    try:
        action()
        return True
    except (ValidationError, DomainError) as error:
        add_service_errors(form, error)
    return False


# --- departments ------------------------------------------------------------------------------

@organisation_page
def department_tree(request):
    visible = selectors.departments_visible_to(request.user)
    create = forms.DepartmentCreateForm(request.POST or None, departments=visible)
    if request.method == "POST" and create.is_valid():
        if _try(request, create, lambda: department_services.create_department(
                name=create.cleaned_data["name"], parent=create.cleaned_data["parent"], actor=request.user)):
            messages.success(request, _("Department created."))
            return redirect("orgdata:departments")
    return render(request, "orgdata/departments.html", {
        "rows": selectors.department_tree(visible), "create_form": create,
        "is_manager": may(request.user, Capability.CHANGE_TOP_OF_TREE),
    })


@organisation_page
def department_detail(request, pk: int):
    department = selectors.department_visible_to(request.user, pk)
    visible = selectors.departments_visible_to(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    rename = forms.DepartmentRenameForm(request.POST if action == "rename" else None, initial={"name": department.name})
    move = forms.DepartmentMoveForm(request.POST if action == "move" else None, departments=visible,
                                    initial={"parent": department.parent_id})
    merge = forms.DepartmentMergeForm(request.POST if action == "merge" else None,
                                      departments=visible.exclude(pk=department.pk))
    delete = forms.forms.Form(request.POST if action == "delete" else None)
    done = False
    if action == "rename" and rename.is_valid():
        done = _try(request, rename, lambda: department_services.rename_department(
            department=department, name=rename.cleaned_data["name"], actor=request.user))
    elif action == "move" and move.is_valid():
        done = _try(request, move, lambda: department_services.move_department(
            department=department, new_parent=move.cleaned_data["parent"], actor=request.user))
    elif action == "merge" and merge.is_valid():
        done = _try(request, merge, lambda: department_services.merge_departments(
            source=department, target=merge.cleaned_data["target"], actor=request.user))
    elif action == "delete" and delete.is_valid():
        done = _try(request, delete, lambda: department_services.delete_department(
            department=department, actor=request.user))
    if done:
        messages.success(request, _("Saved."))
        if action in ("merge", "delete"):
            return redirect("orgdata:departments")
        return redirect("orgdata:department", pk=department.pk)
    return render(request, "orgdata/department.html", {
        "department": department, "label": selectors.department_label(department),
        "rename_form": rename, "move_form": move, "merge_form": merge, "delete_form": delete,
        "employee_count": selectors.employees_visible_to(request.user).filter(
            department__path__startswith=department.path).count(),
    })


# --- employees --------------------------------------------------------------------------------

@organisation_page
def employee_list(request):
    visible_departments = selectors.departments_visible_to(request.user)
    filters = forms.EmployeeFilterForm(request.GET or None, departments=visible_departments)
    people = selectors.employees_visible_to(request.user)
    if filters.is_valid():
        people = selectors.search_employees(people, text=filters.cleaned_data["q"],
                                            department=filters.cleaned_data["department"],
                                            work_status=filters.cleaned_data["work_status"])
    paginator = Paginator(people.order_by("employee_number").values_list("pk", "person_key_id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    employees = selectors.employees_in_order(selectors.employees_visible_to(request.user), list(page.object_list))
    names = selectors.department_names()
    rows = [{"employee": employee, "mobile": mask_mobile(employee.account.mobile),
             "department": selectors.department_label(employee.department, names=names)} for employee in employees]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orgdata/employees.html", {
        "filters": filters, "rows": rows, "page": page, "query": query.urlencode(),
        "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
    })


@organisation_page
def employee_add(request):
    visible = selectors.departments_visible_to(request.user)
    form = forms.EmployeeForm(request.POST or None, request.FILES or None, departments=visible)
    if request.method == "POST" and form.is_valid():
        created = []
        if _try(request, form, lambda: created.append(employee_services.add_employee(
                actor=request.user, **form.changes()))):
            messages.success(request, _("Employee added; their account was created."))
            return redirect("orgdata:employee", pk=created[0].pk)
    return render(request, "orgdata/employee_form.html", {"form": form, "employee": None})


@organisation_page
def employee_detail(request, pk: int):
    employee = selectors.employee_visible_to(request.user, pk)
    revealed = {}
    if request.method == "POST" and request.POST.get("action") == "reveal":
        from privacy.unmask import reveal

        # X2: the one way an unmasked value is shown, audited.
        revealed["id_number"] = reveal(user=request.user, instance=employee, field="id_number")
        revealed["mobile"] = reveal(user=request.user, instance=employee.account, field="mobile")
    return render(request, "orgdata/employee.html", {
        "employee": employee, "department": selectors.department_label(employee.department),
        "mobile": revealed.get("mobile") or mask_mobile(employee.account.mobile),
        "id_number": revealed.get("id_number") or mask_id_number(employee.id_number),
        "is_revealed": bool(revealed), "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
        "can_reset_password": may(request.user, Capability.RESET_PASSWORD, target=employee.account),
    })


@organisation_page
def employee_edit(request, pk: int):
    employee = selectors.employee_visible_to(request.user, pk)
    visible = selectors.departments_visible_to(request.user)
    form = forms.EmployeeForm(request.POST or None, request.FILES or None, departments=visible, editing=employee,
                              initial=forms.EmployeeForm.initial_for(employee))
    if request.method == "POST" and form.is_valid():
        if _try(request, form, lambda: employee_services.update_employee(
                actor=request.user, employee=employee, changes=form.changes())):
            messages.success(request, _("Saved."))
            return redirect("orgdata:employee", pk=employee.pk)
    return render(request, "orgdata/employee_form.html", {"form": form, "employee": employee})


@organisation_page
@require_POST
def employee_reset_password(request, pk: int):
    employee = selectors.employee_visible_to(request.user, pk)
    temporary = admin_services.reset_employee_password(actor=request.user, employee=employee)
    return render(request, "orgdata/password_reset.html", {"employee": employee, "temporary": temporary})


# --- import and export ------------------------------------------------------------------------

@organisation_page
def import_upload(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        started = []
        if _try(request, form, lambda: started.append(import_services.start_import(
                actor=request.user, upload=form.cleaned_data["file"],
                consent_confirmed=form.cleaned_data["consent_confirmed"],
                language=getattr(request, "LANGUAGE_CODE", "")))):
            return redirect("orgdata:import", pk=started[0].pk)
    # A refused upload is a 400 naming the field (nothing was stored, nothing queued).
    return render(request, "orgdata/import_upload.html", {
        "form": form, "jobs": selectors.imports_visible_to(request.user)[:10]},
        status=400 if request.method == "POST" else 200)


@organisation_page
def import_status(request, pk: int):
    job = selectors.import_visible_to(request.user, pk)
    progress = import_services.import_progress(job)
    if request.GET.get("format") == "json":
        return JsonResponse(progress)
    return render(request, "orgdata/import_status.html", {"job": job, "progress": progress})


@organisation_page
def import_report(request, pk: int):
    """The bad rows as a CSV file: row, column, reason (never a cell's value)."""
    from orgdata import tabular

    job = selectors.import_visible_to(request.user, pk)
    rows = [[error["row"], error["column"], error["reason"]] for error in job.report]
    content = tabular.write_csv([_("Row"), _("Column"), _("Reason")], rows)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response


@organisation_page
def import_template(request, file_format: str):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    content = import_services.sample_template(file_format)
    content_type = ("text/csv; charset=utf-8" if file_format == "csv"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="address-book-template.{file_format}"'
    return response


@organisation_page
def export(request):
    form = forms.ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        exported = export_services.export_address_book(
            actor=request.user, file_format=form.cleaned_data["file_format"], unmasked=form.cleaned_data["unmasked"])
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
    return render(request, "orgdata/export.html", {
        "form": form, "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES)})


# --- administrators (E5) ------------------------------------------------------------------------

@organisation_page
def administrators(request):
    require(request.user, Capability.ADMINISTER_ADMINISTRATORS)
    action = request.POST.get("action") if request.method == "POST" else None
    appoint = forms.AppointForm(request.POST if action == "appoint" else None, actor=request.user)
    transfer = forms.TransferForm(request.POST if action == "transfer" else None, actor=request.user)
    tenant = request.tenant
    profile = forms.EnterpriseProfileForm(request.POST if action == "profile" else None, initial={
        field: getattr(tenant, field) for field in admin_services.ENTERPRISE_PROFILE_FIELDS})
    directory = forms.DirectoryFieldsForm(request.POST if action == "directory" else None,
                                          initial={"fields_shown": selectors.directory_fields()})
    done = False
    if action == "appoint" and appoint.is_valid():
        done = _try(request, appoint, lambda: admin_services.appoint_sub_administrator(
            actor=request.user, account=appoint.cleaned_data["account"],
            departments=appoint.cleaned_data["departments"]))
    elif action == "remove":
        chosen = forms.IdForm(request.POST, field="account")
        account = User.objects.filter(pk=chosen.cleaned_data["id"]).first() if chosen.is_valid() else None
        if account is None:
            raise Http404
        done = _try(request, appoint, lambda: admin_services.remove_sub_administrator(
            actor=request.user, account=account))
    elif action == "transfer" and transfer.is_valid():
        done = _try(request, transfer, lambda: admin_services.transfer_manager_role(
            actor=request.user, password=transfer.cleaned_data["password"],
            new_manager=transfer.cleaned_data["new_manager"]))
        if done:
            # They are an employee now: every console page would answer 403 (E5).
            messages.success(request, _("You handed the enterprise manager role over to %(name)s.") % {
                "name": transfer.cleaned_data["new_manager"].display_name})
            return redirect("orgdata:role_handed_over")
    elif action == "profile" and profile.is_valid():
        done = _try(request, profile, lambda: admin_services.correct_enterprise_profile(
            actor=request.user, enterprise=tenant, changes=profile.cleaned_data))
    elif action == "directory" and directory.is_valid():
        done = _try(request, directory, lambda: directory_services.choose_directory_fields(
            actor=request.user, fields=directory.cleaned_data["fields_shown"]))
    if done:
        messages.success(request, _("Saved."))
        return redirect("orgdata:administrators")
    people = list(selectors.administrators())
    grants = selectors.grants_by_administrator(people)
    return render(request, "orgdata/administrators.html", {
        "people": [{"account": person, "departments": grants.get(person.pk, []),
                    "is_removable": holds_role(person, Role.SUB_ADMIN)} for person in people],
        "appoint_form": appoint, "transfer_form": transfer, "profile_form": profile, "directory_form": directory,
    })


@login_required
def role_handed_over(request):
    """Where a manager lands after handing the role over: as an employee they may open no console
    page any more, so this one (any signed-in account) says so instead of answering 403."""
    if may(request.user, Capability.USE_CONSOLE):
        return redirect("console:dashboard")
    return render(request, "orgdata/role_handed_over.html")


# --- positions and job levels (E7) --------------------------------------------------------------

# The two lists are kept alike: (model, create, rename, delete) through orgdata.services.positions.
_ENTRY_LISTS = {
    "position": (
        Position,
        lambda actor, name: position_services.create_position(actor=actor, name=name),
        lambda actor, entry, name: position_services.rename_position(actor=actor, position=entry, name=name),
        lambda actor, entry: position_services.delete_position(actor=actor, position=entry),
    ),
    "job_level": (
        JobLevel,
        lambda actor, name: position_services.create_job_level(actor=actor, name=name),
        lambda actor, entry, name: position_services.rename_job_level(actor=actor, job_level=entry, name=name),
        lambda actor, entry: position_services.delete_job_level(actor=actor, job_level=entry),
    ),
}


@organisation_page
def positions(request):
    """The position and job-level lists the employee form offers (E7).

    The manager adds, renames and deletes entries. A sub-administrator only sees the lists: they
    are the choices of the employee form they use anyway, and changing them changes every
    department, not just theirs (so the services allow it to the manager alone).
    """
    is_manager = may(request.user, Capability.ADMINISTER_POSITIONS)
    which = request.POST.get("list") if request.method == "POST" else None
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST":
        require(request.user, Capability.ADMINISTER_POSITIONS)
        if which not in _ENTRY_LISTS or action not in ("add", "rename", "delete"):
            raise BadRequest
    add_forms = {kind: forms.NameForm(request.POST if (which, action) == (kind, "add") else None, prefix=kind)
                 for kind in _ENTRY_LISTS}
    problem = None  # (list, entry, form) of a refused rename or delete, shown above that list
    if which is not None:
        model, create, rename, delete = _ENTRY_LISTS[which]
        done = False
        if action == "add":
            form = add_forms[which]
            done = form.is_valid() and _try(request, form, lambda: create(request.user, form.cleaned_data["name"]))
        else:
            chosen = forms.IdForm(request.POST, field="item")
            entry = model.objects.filter(pk=chosen.cleaned_data["id"]).first() if chosen.is_valid() else None
            if entry is None:
                raise Http404
            form = forms.NameForm(request.POST) if action == "rename" else chosen
            if action == "rename":
                done = form.is_valid() and _try(
                    request, form, lambda: rename(request.user, entry, form.cleaned_data["name"]))
            else:
                done = form.is_valid() and _try(request, form, lambda: delete(request.user, entry))
            if not done:
                problem = (which, entry, form)
        if done:
            messages.success(request, _("Saved."))
            return redirect("orgdata:positions")
    sections = []
    for kind, title in (("position", _("Positions")), ("job_level", _("Job levels"))):
        entries = _ENTRY_LISTS[kind][0].objects.all()
        if is_manager:  # how many people hold each: enterprise-wide counts, so for the manager only
            entries = entries.annotate(holders=Count("employees"))
        refused = problem if problem and problem[0] == kind else None
        sections.append({
            "kind": kind, "title": title, "entries": entries, "add_form": add_forms[kind],
            "refused_entry": refused[1] if refused else None,
            "refusals": [error for errors in refused[2].errors.values() for error in errors] if refused else [],
        })
    return render(request, "orgdata/positions.html", {"sections": sections, "is_manager": is_manager})


# --- applications (E6) --------------------------------------------------------------------------

@organisation_page
def applications(request):
    is_manager = may(request.user, Capability.MANAGE_APPLICATION_CATALOGUE)
    create = forms.SelfBuiltApplicationForm(request.POST if request.POST.get("action") == "create" else None)
    if request.method == "POST" and create.is_bound and create.is_valid():
        if _try(request, create, lambda: application_services.create_self_built_application(
                actor=request.user, name=create.cleaned_data["name"],
                description=create.cleaned_data["description"])):
            messages.success(request, _("Application added."))
            return redirect("orgdata:applications")
    return render(request, "orgdata/applications.html", {
        "applications": selectors.application_catalogue(), "create_form": create, "is_manager": is_manager})


@organisation_page
def application_detail(request, pk: int):
    try:
        application = selectors.application_catalogue().get(pk=pk)
    except Application.DoesNotExist:
        raise Http404
    clear = None  # the posted "remove this switch" row, when the service refused it
    form = forms.SwitchForm(request.POST if request.POST.get("action") == "switch" else None,
                            departments=selectors.departments_visible_to(request.user),
                            employees=selectors.employees_visible_to(request.user))
    if request.method == "POST" and request.POST.get("action") == "clear":
        chosen = forms.IdForm(request.POST, field="switch")
        switch = ApplicationSwitch.objects.filter(
            pk=chosen.cleaned_data["id"], application=application).first() if chosen.is_valid() else None
        if switch is None:
            raise Http404
        if _try(request, chosen, lambda: application_services.clear_application_switch(
                actor=request.user, switch=switch)):
            messages.success(request, _("Saved."))
            return redirect("orgdata:application", pk=application.pk)
        clear = chosen
    if form.is_bound and form.is_valid():
        level = form.cleaned_data["level"]
        if _try(request, form, lambda: application_services.switch_application(
                actor=request.user, application=application, enabled=form.cleaned_data["enabled"],
                department=form.cleaned_data["department"] if level == "department" else None,
                account=form.cleaned_data["employee"] if level == "employee" else None)):
            messages.success(request, _("Saved."))
            return redirect("orgdata:application", pk=application.pk)
    visible_departments = set(selectors.departments_visible_to(request.user).values_list("pk", flat=True))
    visible_accounts = set(selectors.employees_visible_to(request.user).values_list("account_id", flat=True))
    switches = [switch for switch in selectors.application_switches(application)
                if (switch.department_id is None and switch.account_id is None)
                or switch.department_id in visible_departments or switch.account_id in visible_accounts]
    return render(request, "orgdata/application.html", {
        "application": application, "switches": switches, "form": form, "clear_form": clear,
        "is_manager": may(request.user, Capability.SWITCH_APPLICATIONS_ENTERPRISE_WIDE),
    })
