"""E1: the one page an enterprise's console shows until its location, industry type and personnel
size are given (tenants.basic_details sends every other console page here)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from access.capabilities import Capability, may, require
from accounts.permissions import console_login_required
from core.errors import try_service
from orgdata.console import forms
from orgdata.services import administrators as admin_services
from tenants import selectors as tenant_selectors


@console_login_required
def basic_details(request):
    enterprise = tenant_selectors.current_enterprise()
    if not enterprise.missing_basic_details:
        return redirect("console:dashboard")
    may_give = may(request.user, Capability.CORRECT_ENTERPRISE_PROFILE)
    form = forms.BasicDetailsForm(request.POST if request.method == "POST" else None, initial={
        field: getattr(enterprise, field) for field in ("location", "industry", "personnel_size")})
    if request.method == "POST":
        require(request.user, Capability.CORRECT_ENTERPRISE_PROFILE)
        if form.is_valid() and try_service(form, lambda: admin_services.correct_enterprise_profile(
                actor=request.user, changes=form.cleaned_data)):
            messages.success(request, _("Thank you: the enterprise's basic services are ready."))
            return redirect("console:dashboard")
    return render(request, "orgdata/basic_details.html", {
        "form": form if may_give else None, "enterprise": enterprise,
        "missing": [str(forms.BasicDetailsForm.base_fields[field].label) for field in enterprise.missing_basic_details]})


basic_details.basic_details_exempt = True  # E1: the page the gate sends everyone to
