"""Console pages of rights requests: the queue (filters, due dates, overdue first), each request with
its history and the decision forms, and a relative's request about a deceased employee (R7)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from core.errors import try_service
from orgdata.selectors import scope as scope_selectors
from rights import selectors, services
from rights.console.forms import AnswerForm, NextOfKinForm, RefuseForm
from rights.models import PreDeathArrangement, RightsRequest


@console_login_required
def queue(request):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    kind, state = request.GET.get("kind", ""), request.GET.get("status", "open")
    overdue = request.GET.get("overdue") == "1"
    kind = kind if kind in RightsRequest.Kind.values else ""
    state = state if state in ("open", "", *RightsRequest.Status.values) else "open"
    rows = selectors.queue_for(request.user, kind=kind, status=state, overdue=overdue)[:500]
    return render(request, "rights/queue.html", {
        "requests": rows, "today": timezone.localdate(), "kind": kind, "state": state, "overdue": overdue,
        "kinds": RightsRequest.Kind.choices, "statuses": RightsRequest.Status.choices})


def _queued(request, pk: int) -> RightsRequest:
    try:
        return selectors.queued_request(request.user, pk)
    except RightsRequest.DoesNotExist:
        raise Http404 from None


@console_login_required
def detail(request, pk: int):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    return _detail_page(request, _queued(request, pk))


def _detail_page(request, rights_request, *, answer_form=None, refuse_form=None, status=200):
    arrangement = PreDeathArrangement.objects.filter(person=rights_request.person).first() \
        if rights_request.kind == RightsRequest.Kind.NEXT_OF_KIN else None
    return render(request, "rights/request.html", {
        "rights_request": rights_request, "events": rights_request.events.all(), "today": timezone.localdate(),
        "details": services.shown_details(rights_request),
        "answer_form": answer_form or AnswerForm(), "refuse_form": refuse_form or RefuseForm(),
        "arrangement": arrangement}, status=status)


@console_login_required
@require_http_methods(["POST"])
def authorise(request, pk: int):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _queued(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid() and try_service(form, lambda: services.authorise(
            actor=request.user, request=rights_request, answer=form.cleaned_data["answer"])):
        messages.success(request, _("Done: the person has been told."))
        return redirect("rights-console:request", pk=pk)
    return _detail_page(request, rights_request, answer_form=form, status=400)


@console_login_required
@require_http_methods(["POST"])
def refuse(request, pk: int):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _queued(request, pk)
    form = RefuseForm(request.POST)
    if form.is_valid() and try_service(form, lambda: services.refuse(actor=request.user, request=rights_request,
                                                                     **form.cleaned_data)):
        messages.success(request, _("Refused: the person has been told why."))
        return redirect("rights-console:request", pk=pk)
    return _detail_page(request, rights_request, refuse_form=form, status=400)


@console_login_required
@require_http_methods(["GET", "POST"])
def next_of_kin(request, employee_pk: int):
    """R7: record a close relative's request about a deceased employee, with the proof verified."""
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    employee = scope_selectors.employee_visible_to(request.user, employee_pk)
    arrangement = PreDeathArrangement.objects.filter(person=employee.account).first()
    form = NextOfKinForm(request.POST or None)
    created = []
    if request.method == "POST" and form.is_valid() and try_service(form, lambda: created.append(
            services.record_next_of_kin_request(actor=request.user, deceased=employee.account, **form.cleaned_data))):
        return redirect("rights-console:request", pk=created[0].pk)
    return render(request, "rights/next_of_kin.html", {"employee": employee, "form": form, "arrangement": arrangement},
                  status=400 if request.method == "POST" else 200)
