"""E1: the platform host's registration page (the API is tenants.api.views.RegistrationView)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.throttling import client_address
from core.errors import try_service
from tenants import registration
from tenants.console.forms import RegistrationForm


def register(request):
    """Step 1 (`action=code`) sends the code; step 2 (`action=register`) registers. The page keeps
    what was typed (never the password) between them."""
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address = client_address(request)
        if request.POST.get("action") == "code":
            sent = []
            if try_service(form, lambda: sent.append(registration.send_registration_code(
                    mobile=data["mobile"], client_address=address))):
                messages.success(request, _("We sent a code to %(mobile)s. It is valid for a few minutes.") % {
                    "mobile": sent[0].mobile_masked})
        else:
            done = []
            if try_service(form, lambda: done.append(registration.register_enterprise(
                    name=data["name"], manager_name=data["manager_name"], mobile=data["mobile"],
                    code=data["code"], password=data["password"], client_address=address))):
                return render(request, "tenants/registered.html", {"registered": done[0]}, status=201)
    return render(request, "tenants/register.html", {"form": form})
