"""Console pages of the erasure engine (issue 12, part 3): an administrator deletes an employee
outright, then follows the job; minors' cases (M2): a guardian's report recorded from the employee
page, the manager's list of cases to verify and the decision on each. They live here, not in
orgdata: erasure sits above orgdata in the import graph."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from consent import selectors as consent_selectors
from core.errors import try_service
from erasure import enterprise as enterprise_services
from erasure import selectors, services
from erasure.console.forms import CancelEnterpriseForm, EraseEmployeeForm, GuardianReportForm, MinorCaseDecisionForm
from orgdata.selectors import scope as scope_selectors


@console_login_required
@require_http_methods(["GET", "POST"])
def erase_employee(request, pk: int):
    """R4/R5: the delete form (also on the employee page, for the manager). The employee is looked
    up in the administrator's scope (404 outside it); the engine's service decides who may erase
    whom (a sub-administrator: plain employees in scope only), and the form is shown only to them."""
    require(request.user, Capability.ADMINISTER_ORGANISATION)
    employee = scope_selectors.employee_visible_to(request.user, pk)
    if request.method == "GET":
        require(request.user, Capability.ERASE_PERSON, target=employee.account)
        return render(request, "erasure/erase_employee.html", {"employee": employee})
    form = EraseEmployeeForm(request.POST, employee=employee)
    started = []
    if form.is_valid() and try_service(form, lambda: started.append(services.erase_person(
            actor=request.user, person=employee.account, reason=form.cleaned_data["reason"]))):
        return redirect("erasure-console:job", pk=started[0].pk)
    return render(request, "erasure/erase_employee.html", {"form": form, "employee": employee}, status=400)


@console_login_required
def erasure_job(request, pk: int):
    """The job's status and steps; no personal data (the person is a tombstone). Shown to whoever
    requested it and to the manager; to anyone else it does not exist."""
    require(request.user, Capability.ADMINISTER_ORGANISATION)
    job = selectors.erasure_job_visible_to(request.user, pk)
    return render(request, "erasure/job.html", {"job": job, "steps": job.steps.all()})


@console_login_required
def erasure_certificate(request, pk: int):
    """R5: the erasure certificate as a JSON download (erasure.selectors.erasure_certificate), for
    whoever may see the job; the erased person has no account left to sign in with."""
    require(request.user, Capability.ADMINISTER_ORGANISATION)
    certificate = selectors.erasure_certificate(selectors.erasure_job_visible_to(request.user, pk))
    response = JsonResponse(certificate, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="erasure-certificate-{pk}.json"'
    return response



def _current_enterprise(request):
    from tenants.models import Enterprise

    return Enterprise.objects.get(pk=request.tenant.pk)


@console_login_required
@require_http_methods(["GET", "POST"])
def enterprise_cancellation(request):
    """E9: the manager applies for the enterprise's cancellation (password and the enterprise code
    typed again), sees when it will run and what happens, and can withdraw it until then."""
    require(request.user, Capability.CANCEL_ENTERPRISE)
    enterprise = _current_enterprise(request)
    context = {"enterprise": enterprise, "cancellation": enterprise_services.open_cancellation(enterprise)}
    if request.method == "GET":
        return render(request, "erasure/cancellation.html", {**context, "form": CancelEnterpriseForm()})
    form = CancelEnterpriseForm(request.POST)
    if form.is_valid() and try_service(form, lambda: enterprise_services.apply_for_cancellation(
            actor=request.user, password=form.cleaned_data["password"],
            confirmation=form.cleaned_data["confirmation"])):
        messages.success(request, _("The enterprise's cancellation is scheduled. You can withdraw it until then."))
        return redirect("erasure-console:cancellation")
    return render(request, "erasure/cancellation.html", {**context, "form": form}, status=400)


@console_login_required
@require_http_methods(["POST"])
def withdraw_enterprise_cancellation(request):
    """E9: withdraw the scheduled cancellation during its grace period."""
    require(request.user, Capability.CANCEL_ENTERPRISE)
    enterprise = _current_enterprise(request)
    form = forms.Form({})  # nothing to fill in: carries the refusal to the page
    form.is_valid()
    if try_service(form, lambda: enterprise_services.withdraw_cancellation(actor=request.user, enterprise=enterprise)):
        messages.success(request, _("The cancellation is withdrawn; the enterprise carries on."))
        return redirect("erasure-console:cancellation")
    context = {"enterprise": enterprise, "cancellation": enterprise_services.open_cancellation(enterprise),
               "form": form}
    return render(request, "erasure/cancellation.html", context, status=400)


@console_login_required
@require_http_methods(["GET", "POST"])
def guardian_report(request, pk: int):
    """M2: an administrator records that a guardian reports this employee to be a minor, which opens
    a case for the manager to verify. The employee is looked up in the administrator's scope (404
    outside it); the service decides who may."""
    require(request.user, Capability.ADMINISTER_ORGANISATION)
    employee = scope_selectors.employee_visible_to(request.user, pk)
    require(request.user, Capability.ADMINISTER_EMPLOYEES, target=employee.account)
    form = GuardianReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and try_service(form, lambda: services.record_guardian_report(
            actor=request.user, person=employee.account, note=form.cleaned_data["note"])):
        messages.success(request, _("The guardian's report was recorded: the enterprise manager verifies the case."))
        return redirect("orgdata:employee", pk=employee.pk)
    return render(request, "erasure/guardian_report.html", {"form": form, "employee": employee},
                  status=400 if form.is_bound else 200)


@console_login_required
def minor_cases(request):
    """M2: the cases still to verify, for the manager."""
    require(request.user, Capability.VERIFY_MINOR_CASE)
    return render(request, "erasure/minor_cases.html", {"cases": selectors.open_minor_cases()})


@console_login_required
@require_http_methods(["GET", "POST"])
def minor_case(request, pk: int):
    """M2: one case to verify and the manager's decision: confirmed (the person is erased at once;
    the erasure job's page follows) or dismissed with a note (back to the list)."""
    require(request.user, Capability.VERIFY_MINOR_CASE)
    case = selectors.open_minor_case(pk)
    form = MinorCaseDecisionForm(request.POST or None, purposes=consent_selectors.additional_purposes(),
                                 language=get_language() or "en")
    decided = []
    if request.method == "POST" and form.is_valid() and try_service(form, lambda: decided.append(
            services.decide_minor_case(actor=request.user, case=case, note=form.cleaned_data["note"],
                                       decision=form.cleaned_data["decision"], guardian=form.guardian()))):
        if decided[0].erasure_job_id:
            return redirect("erasure-console:job", pk=decided[0].erasure_job_id)
        if decided[0].status == decided[0].Status.GUARDIAN_CONSENTED:
            messages.success(request, _("The guardian's consent is recorded: the account can be used."))
        else:
            messages.success(request, _("The case was dismissed; nothing was deleted."))
        return redirect("erasure-console:minor_cases")
    return render(request, "erasure/minor_case.html", {"case": case, "form": form},
                  status=400 if form.is_bound else 200)
