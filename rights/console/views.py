"""Console pages of rights requests: the queue (filters, due dates, overdue first), each request with
its history and the decision forms, and a relative's request about a deceased employee (R7): the
death and proof recorded, the deceased's arrangement shown, the deletion confirmed by typing, the
deceased's copy downloaded through a short-lived audited link to hand over."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from core import confirmation
from core.errors import try_service
from orgdata.selectors import scope as scope_selectors
from rights import results, selectors, services
from rights.console.forms import AnswerForm, NextOfKinForm, RefuseForm, VerifyProofForm
from rights.models import RightsRequest


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


def _detail_page(request, rights_request, *, answer_form=None, refuse_form=None, proof_form=None, status=200):
    is_kin = rights_request.kind == RightsRequest.Kind.NEXT_OF_KIN
    arrangement = services.arrangement_of(rights_request.person) if is_kin else None
    return render(request, "rights/request.html", {
        "rights_request": rights_request, "events": rights_request.events.all(), "today": timezone.localdate(),
        "details": services.shown_details(rights_request),
        "answer_form": answer_form or AnswerForm(), "refuse_form": refuse_form or RefuseForm(),
        "proof_form": proof_form or VerifyProofForm(), "arrangement": arrangement, "is_kin": is_kin,
        "kin_action": rights_request.details.get("action", "") if is_kin else "",
        "death_recorded": is_kin and services.death_recorded(rights_request),
        "kin_result": is_kin and bool(rights_request.result_file) and rights_request.result_expires_at is not None
        and rights_request.result_expires_at > timezone.now()}, status=status)


@console_login_required
@require_http_methods(["POST"])
def authorise(request, pk: int):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _queued(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid() and _is_kin_deletion(rights_request):
        asked = _ask_to_type_the_deceased(request, rights_request)
        if asked is not None:
            return asked
    if form.is_valid() and try_service(form, lambda: services.authorise(
            actor=request.user, request=rights_request, **form.cleaned_data)):
        messages.success(request, _("Done: the person has been told."))
        return redirect("rights-console:request", pk=pk)
    return _detail_page(request, rights_request, answer_form=form, status=400)


def _is_kin_deletion(rights_request: RightsRequest) -> bool:
    return rights_request.kind == RightsRequest.Kind.NEXT_OF_KIN and rights_request.details.get("action") == "delete"


def _ask_to_type_the_deceased(request, rights_request: RightsRequest):
    # R7: erasing a deceased person at a relative's request cannot be undone: the administrator
    # types the deceased's name or the request's number on the confirmation page.
    name = rights_request.person.display_name or ""
    return confirmation.ask_unless_confirmed(
        request, title=_("Erase the personal information of %(name)s?") % {"name": name or "—"},
        consequences=[
            _("Every piece of personal information of this deceased person is erased at a relative's request; "
              "records the law requires are kept, anonymised. This cannot be undone."),
            _("The relative is told through the contact they gave."),
        ],
        confirm_label=_("Erase"), cancel_url=reverse("rights-console:request", kwargs={"pk": rights_request.pk}),
        typed_answers=[name, str(rights_request.pk)],
        typed_prompt=_("Type the deceased's name or the request number (%(id)s) to confirm")
        % {"id": rights_request.pk})


@console_login_required
@require_http_methods(["POST"])
def verify_proof(request, pk: int):
    """R7: record the date of death and the proof verified."""
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _queued(request, pk)
    form = VerifyProofForm(request.POST)
    if form.is_valid() and try_service(form, lambda: services.verify_next_of_kin_proof(
            actor=request.user, request=rights_request, **form.cleaned_data)):
        messages.success(request, _("The death and the proof are recorded."))
        return redirect("rights-console:request", pk=pk)
    return _detail_page(request, rights_request, proof_form=form, status=400)


def _kin_result(request, pk: int) -> RightsRequest:
    # R7: only a relative's request hands a copy to the administrator; the person's own copy is theirs alone.
    return results.with_result(selectors.queue_for(request.user).filter(pk=pk, kind=RightsRequest.Kind.NEXT_OF_KIN))


@console_login_required
@require_http_methods(["POST"])
def download_link(request, pk: int):
    """R7: a link valid 10 minutes to the deceased's copy, for this administrator only."""
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _kin_result(request, pk)
    path = reverse("rights-console:download", kwargs={"pk": rights_request.pk})
    return redirect(f"{path}?token={results.download_token(rights_request, request.user)}")


@console_login_required
def download(request, pk: int):
    """R7: the deceased's copy (a ZIP) for the relative; every download is in the audit log."""
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _kin_result(request, pk)
    return results.stream(rights_request, downloader=request.user, token=request.GET.get("token", ""),
                          filename=f"next-of-kin-{rights_request.pk}.zip")


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
    arrangement = services.arrangement_of(employee.account)
    form = NextOfKinForm(request.POST or None)
    created = []
    if request.method == "POST" and form.is_valid() and try_service(form, lambda: created.append(
            services.record_next_of_kin_request(actor=request.user, deceased=employee.account, **form.cleaned_data))):
        return redirect("rights-console:request", pk=created[0].pk)
    return render(request, "rights/next_of_kin.html", {"employee": employee, "form": form, "arrangement": arrangement},
                  status=400 if request.method == "POST" else 200)
