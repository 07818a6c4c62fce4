"""Console pages: the department tree (E7): list, create, rename, move, merge, delete."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import confirmation
from core.errors import try_service
from orgdata.console import forms
from orgdata.console.views.base import organisation_page
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services import departments as department_services


@organisation_page
def department_tree(request):
    visible = scope_selectors.departments_visible_to(request.user)
    create = forms.DepartmentCreateForm(request.POST or None, departments=visible)
    if request.method == "POST" and create.is_valid():
        if try_service(create, lambda: department_services.create_department(
                name=create.cleaned_data["name"], parent=create.cleaned_data["parent"], actor=request.user)):
            messages.success(request, _("Department created."))
            return redirect("orgdata:departments")
    return render(request, "orgdata/departments.html", {
        "rows": address_book_selectors.department_tree(
            visible, people=scope_selectors.employees_visible_to(request.user)),
        "create_form": create,
    })


@organisation_page
def department_detail(request, pk: int):
    department = scope_selectors.department_visible_to(request.user, pk)
    visible = scope_selectors.departments_visible_to(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    rename = forms.DepartmentRenameForm(request.POST if action == "rename" else None, initial={"name": department.name})
    move = forms.DepartmentMoveForm(request.POST if action == "move" else None, departments=visible,
                                    initial={"parent": department.parent_id})
    merge = forms.DepartmentMergeForm(request.POST if action == "merge" else None,
                                      departments=visible.exclude(pk=department.pk))
    delete = forms.forms.Form(request.POST if action == "delete" else None)
    done = False
    if action == "rename" and rename.is_valid():
        done = try_service(rename, lambda: department_services.rename_department(
            department=department, name=rename.cleaned_data["name"], actor=request.user))
    elif action == "move" and move.is_valid():
        done = try_service(move, lambda: department_services.move_department(
            department=department, new_parent=move.cleaned_data["parent"], actor=request.user))
    elif action == "merge" and merge.is_valid():
        target = merge.cleaned_data["target"]
        moving = address_book_selectors.department_contents(department)
        asked = confirmation.ask_unless_confirmed(
            request, title=_("Merge %(source)s into %(target)s?") % {"source": department.name, "target": target.name},
            consequences=[
                ngettext("%(count)d person in %(source)s moves to %(target)s.",
                         "%(count)d people in %(source)s move to %(target)s.", moving["people"]) % {
                    "count": moving["people"], "source": department.name, "target": target.name},
                ngettext("%(count)d sub-department moves under %(target)s.",
                         "%(count)d sub-departments move under %(target)s.", moving["children"]) % {
                    "count": moving["children"], "target": target.name},
                _("%(source)s is then deleted. This cannot be undone.") % {"source": department.name}],
            confirm_label=_("Merge departments"), cancel_url=request.path)
        if asked:
            return asked
        done = try_service(merge, lambda: department_services.merge_departments(
            source=department, target=target, actor=request.user))
        if done:
            messages.success(request, ngettext(
                "Department %(source)s merged into %(target)s; %(count)d person moved to %(target)s.",
                "Department %(source)s merged into %(target)s; %(count)d people moved to %(target)s.",
                moving["people"]) % {"source": department.name, "target": target.name, "count": moving["people"]})
            return redirect("orgdata:departments")
    elif action == "delete" and delete.is_valid():
        contents = address_book_selectors.department_contents(department)
        consequences = [_("The department %(name)s is deleted. This cannot be undone.") % {"name": department.name}]
        if contents["people"] or contents["children"]:
            consequences.append(_("It still has %(people)s and %(children)s: it cannot be deleted until they are "
                                  "moved. Merging it into another department moves them.") % {
                "people": ngettext("%(count)d person", "%(count)d people", contents["people"]) % {
                    "count": contents["people"]},
                "children": ngettext("%(count)d sub-department", "%(count)d sub-departments",
                                     contents["children"]) % {"count": contents["children"]}})
        asked = confirmation.ask_unless_confirmed(
            request, title=_("Delete the department %(name)s?") % {"name": department.name},
            consequences=consequences, confirm_label=_("Delete department"), cancel_url=request.path)
        if asked:
            return asked
        done = try_service(delete, lambda: department_services.delete_department(
            department=department, actor=request.user))
        if done:
            messages.success(request, _("Department %(name)s deleted.") % {"name": department.name})
            return redirect("orgdata:departments")
    if done:
        messages.success(request, _("Saved."))
        return redirect("orgdata:department", pk=department.pk)
    return render(request, "orgdata/department.html", {
        "department": department, "label": address_book_selectors.department_label(department),
        "rename_form": rename, "move_form": move, "merge_form": merge, "delete_form": delete,
        "employee_count": address_book_selectors.headcounts_by_subtree(
            scope_selectors.employees_visible_to(request.user), within=department).get(department.pk, 0),
    })
