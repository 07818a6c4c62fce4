"""Console pages: the enterprise's administrators (E5): sub-administrators, the manager role,
enterprise profile and directory fields."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from access.capabilities import Capability, may, require
from accounts.models import User
from core import confirmation
from core.errors import try_service
from orgdata.console import forms
from orgdata.console.views.base import organisation_page
from orgdata.selectors import directory as directory_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services import administrators as admin_services
from orgdata.services import directory as directory_services
from tenants import selectors as tenant_selectors


@organisation_page
def administrators(request):
    require(request.user, Capability.ADMINISTER_ADMINISTRATORS)
    action = request.POST.get("action") if request.method == "POST" else None
    appoint = forms.AppointForm(request.POST if action == "appoint" else None, actor=request.user)
    transfer = forms.TransferForm(request.POST if action == "transfer" else None, actor=request.user)
    enterprise = tenant_selectors.current_enterprise()  # the stored row, not routing's partial one
    profile = forms.EnterpriseProfileForm(request.POST if action == "profile" else None, initial={
        field: getattr(enterprise, field) for field in admin_services.ENTERPRISE_PROFILE_FIELDS})
    directory = forms.DirectoryFieldsForm(request.POST if action == "directory" else None,
                                          initial={"fields_shown": directory_selectors.directory_fields()})
    done = False
    if action == "appoint" and appoint.is_valid():
        done = try_service(appoint, lambda: admin_services.appoint_sub_administrator(
            actor=request.user, person=appoint.cleaned_data["account"],
            departments=appoint.cleaned_data["departments"]))
    elif action == "remove":
        chosen = forms.IdForm(request.POST, field="account")
        account = User.objects.filter(pk=chosen.cleaned_data["id"]).first() if chosen.is_valid() else None
        if account is None:
            raise Http404
        granted = scope_selectors.grants_by_administrator([account]).get(account.pk, [])
        asked = confirmation.ask_unless_confirmed(
            request, title=_("Remove %(name)s as a sub-administrator?") % {"name": account.display_name},
            consequences=[
                _("%(name)s no longer administers %(departments)s (with everything below).") % {
                    "name": account.display_name, "departments": ", ".join(d.name for d in granted) or "—"},
                _("They stay in the enterprise as an employee; a console page they have open is refused "
                  "from their next click.")],
            confirm_label=_("Remove sub-administrator"), cancel_url=request.path)
        if asked:
            return asked
        if try_service(appoint, lambda: admin_services.remove_sub_administrator(actor=request.user, person=account)):
            messages.success(request, _("%(name)s is no longer a sub-administrator.") % {"name": account.display_name})
            return redirect("orgdata:administrators")
    elif action == "transfer" and transfer.is_valid():
        done = try_service(transfer, lambda: admin_services.transfer_manager_role(
            actor=request.user, password=transfer.cleaned_data["password"],
            new_manager=transfer.cleaned_data["new_manager"]))
        if done:
            # They are an employee now: every console page would answer 403 (E5).
            messages.success(request, _("You handed the enterprise manager role over to %(name)s.") % {
                "name": transfer.cleaned_data["new_manager"].display_name})
            return redirect("orgdata:role_handed_over")
    elif action == "profile" and profile.is_valid():
        changed = []
        done = try_service(profile, lambda: changed.extend(admin_services.correct_enterprise_profile(
            actor=request.user, changes=profile.changes())))
        if done:
            labels = ", ".join(str(profile.fields[field].label) for field in changed)
            messages.success(request, _("Enterprise profile saved: %(fields)s.") % {"fields": labels} if changed
                             else _("Nothing to save: the enterprise profile is unchanged."))
            return redirect("orgdata:administrators")
    elif action == "directory" and directory.is_valid():
        done = try_service(directory, lambda: directory_services.choose_directory_fields(
            actor=request.user, fields=directory.cleaned_data["fields_shown"]))
    if done:
        messages.success(request, _("Saved."))
        return redirect("orgdata:administrators")
    people = list(scope_selectors.administrators())
    grants = scope_selectors.grants_by_administrator(people)
    return render(request, "orgdata/administrators.html", {
        "people": [{"account": person, "departments": grants.get(person.pk, [])} for person in people],
        "appoint_form": appoint, "transfer_form": transfer, "profile_form": profile, "directory_form": directory,
    })


@login_required
def role_handed_over(request):
    """Where a manager lands after handing the role over: as an employee they may open no console
    page any more, so this one (any signed-in account) says so instead of answering 403."""
    if may(request.user, Capability.USE_CONSOLE):
        return redirect("console:dashboard")
    return render(request, "orgdata/role_handed_over.html")
