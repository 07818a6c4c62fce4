"""Console pages: Version authorisation (E6): the application catalogue and its switches."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext as _
from django.utils.translation import ngettext

from access.capabilities import Capability, require
from core import confirmation
from core.errors import try_service
from orgdata import catalogue as catalogue_names
from orgdata.console import forms
from orgdata.console.views.base import organisation_page
from orgdata.models import Application, ApplicationSwitch
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import applications as application_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services import applications as application_services


@organisation_page
def applications(request):
    create = forms.SelfBuiltApplicationForm(request.POST if request.POST.get("action") == "create" else None)
    if request.method == "POST" and create.is_bound and create.is_valid():
        if try_service(create, lambda: application_services.create_self_built_application(
                actor=request.user, name=create.cleaned_data["name"],
                description=create.cleaned_data["description"])):
            messages.success(request, _("Application added."))
            return redirect("orgdata:applications")
    catalogue = list(application_selectors.application_catalogue())
    for application in catalogue:
        application.provider_shown = catalogue_names.provider_in(application, get_language())
    return render(request, "orgdata/applications.html", {"applications": catalogue, "create_form": create})


@organisation_page
def application_detail(request, pk: int):
    try:
        application = application_selectors.application_catalogue().get(pk=pk)
    except Application.DoesNotExist:
        raise Http404
    clear = None  # the posted "remove this switch" row, when the service refused it
    form = forms.SwitchForm(request.POST if request.POST.get("action") == "switch" else None,
                            departments=scope_selectors.departments_visible_to(request.user),
                            employees=scope_selectors.employees_visible_to(request.user))
    if request.method == "POST" and request.POST.get("action") == "clear":
        chosen = forms.IdForm(request.POST, field="switch")
        switch = ApplicationSwitch.objects.filter(
            pk=chosen.cleaned_data["id"], application=application).first() if chosen.is_valid() else None
        if switch is None:
            raise Http404
        if try_service(chosen, lambda: application_services.clear_application_switch(
                actor=request.user, switch=switch)):
            messages.success(request, _("Saved."))
            return redirect("orgdata:application", pk=application.pk)
        clear = chosen
    if form.is_bound and form.is_valid():
        level = form.cleaned_data["level"]
        department = form.cleaned_data["department"] if level == "department" else None
        if _shares_widely(application, level=level, enabled=form.cleaned_data["enabled"]):
            asked = _confirm_sharing_switch(request, application, department=department)
            if asked:
                return asked
        changed = []
        if try_service(form, lambda: changed.extend(application_services.switch_application(
                actor=request.user, application=application, enabled=form.cleaned_data["enabled"],
                department=department, person=form.cleaned_data["employee"] if level == "employee" else None))):
            messages.success(request, (ngettext("%(app)s switched on; it changed for %(count)d person.",
                                                "%(app)s switched on; it changed for %(count)d people.", len(changed))
                                       if form.cleaned_data["enabled"] else
                                       ngettext("%(app)s switched off; it changed for %(count)d person.",
                                                "%(app)s switched off; it changed for %(count)d people.", len(changed)))
                             % {"app": _(application.name), "count": len(changed)})
            return redirect("orgdata:application", pk=application.pk)
    visible_departments = set(scope_selectors.departments_visible_to(request.user).values_list("pk", flat=True))
    visible_accounts = set(scope_selectors.employees_visible_to(request.user).values_list("account_id", flat=True))
    switches = [switch for switch in application_selectors.application_switches(application)
                if (switch.department_id is None and switch.account_id is None)
                or switch.department_id in visible_departments or switch.account_id in visible_accounts]
    application.provider_shown = catalogue_names.provider_in(application, get_language())
    return render(request, "orgdata/application.html", {
        "application": application, "switches": switches, "form": form, "clear_form": clear,
        "awaits_certification": application_selectors.awaits_certification(application),
    })


def _shares_widely(application: Application, *, level: str, enabled: bool) -> bool:
    """Switching a data-sharing (third-party) application on for the enterprise or a department
    reaches many people at once: it is confirmed first (issue 14)."""
    return enabled and application.kind == Application.Kind.THIRD_PARTY and level in ("enterprise", "department")


def _confirm_sharing_switch(request, application: Application, *, department):
    people = scope_selectors.employees_visible_to(request.user)
    if department is None:
        require(request.user, Capability.SWITCH_APPLICATIONS_ENTERPRISE_WIDE)  # refused before asking
        count, where = people.count(), _("the whole enterprise")
    else:
        count = address_book_selectors.headcounts_by_subtree(people, within=department).get(department.pk, 0)
        where = department.name
    name = _(application.name)
    return confirmation.ask_unless_confirmed(
        request, title=_("Switch %(app)s on for %(where)s?") % {"app": name, "where": where},
        consequences=[
            ngettext("It is switched on for %(count)d person.", "It is switched on for %(count)d people.", count) % {
                "count": count},
            _("%(app)s is a third-party application: the information it needs is shared with %(provider)s, only "
              "for the people who consented, and every sharing is recorded.") % {
                "app": name, "provider": application.provider or name}],
        confirm_label=_("Switch on"), cancel_url=request.path)
