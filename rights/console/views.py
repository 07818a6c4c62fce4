"""Console pages of rights requests: the queue (filters, due dates, overdue first), each request with
its history and the decision forms, and a relative's request about a deceased employee (R7): the
death and proof recorded, the deceased's arrangement shown, the deletion confirmed by typing, the
deceased's copy downloaded through a short-lived audited link to hand over; the administrator's own
inbox (escalations, complaints); the manager's appointment of the personal-information protection
contact (R10)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from core import confirmation
from core.errors import try_service
from orgdata.selectors import scope as scope_selectors
from privacy import unmask
from rights import corrections, inbox, results, selectors, services
from rights.console.forms import AnswerForm, NextOfKinForm, ProtectionContactForm, RefuseForm, VerifyProofForm
from rights.models import RightsRequest


@console_login_required
def queue(request):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    kind, state = request.GET.get("kind", ""), request.GET.get("status", "open")
    overdue, due_soon = request.GET.get("overdue") == "1", request.GET.get("due") == "soon"
    kind = kind if kind in RightsRequest.Kind.values else ""
    state = state if state in ("open", "", *RightsRequest.Status.values) else "open"
    rows = list(selectors.queue_for(request.user, kind=kind, status=state, overdue=overdue, due_soon=due_soon)[:500])
    for row in rows:
        # R1/R8: a correction's value as the field is shown anywhere else (masked where it is).
        row.shown_correction = corrections.shown_value(viewer=request.user, request=row) \
            if row.kind == RightsRequest.Kind.CORRECTION else ""
    return render(request, "rights/queue.html", {
        "requests": rows, "today": timezone.localdate(), "kind": kind, "state": state, "overdue": overdue,
        "due_soon": due_soon, "kinds": RightsRequest.Kind.choices, "statuses": RightsRequest.Status.choices})


def _queued(request, pk: int) -> RightsRequest:
    try:
        return selectors.queued_request(request.user, pk)
    except RightsRequest.DoesNotExist:
        raise Http404 from None


@console_login_required
def detail(request, pk: int):
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    return _detail_page(request, _queued(request, pk))


def _detail_page(request, rights_request, *, answer_form=None, refuse_form=None, proof_form=None, status=200,
                 revealed_correction=None):
    is_kin = rights_request.kind == RightsRequest.Kind.NEXT_OF_KIN
    arrangement = services.arrangement_of(rights_request.person) if is_kin else None
    return render(request, "rights/request.html", {
        "rights_request": rights_request, "events": rights_request.events.all(), "today": timezone.localdate(),
        "details": services.shown_details(rights_request),
        "shown_correction": revealed_correction if revealed_correction is not None
        else corrections.shown_value(viewer=request.user, request=rights_request),
        "is_revealed": revealed_correction is not None,
        "may_unmask": unmask.may_unmask(request.user),
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


@console_login_required
@require_http_methods(["POST"])
def reveal_correct_value(request, pk: int):
    """X2: a correction's value in clear, for a handler who may unmask; the view is audited."""
    require(request.user, Capability.HANDLE_RIGHTS_REQUESTS)
    rights_request = _queued(request, pk)
    if rights_request.kind != RightsRequest.Kind.CORRECTION:
        raise Http404
    value = unmask.reveal(actor=request.user, instance=rights_request, field="correct_value")
    return _detail_page(request, rights_request, revealed_correction=value)


@console_login_required
def messages_page(request):
    """The administrator's own inbox: escalated requests, complaints, and what other functions send."""
    require(request.user, Capability.USE_CONSOLE)
    return render(request, "rights/messages.html", {"inbox": selectors.inbox_of(request.user)[:200]})


@console_login_required
@require_http_methods(["POST"])
def message_read(request, pk: int):
    require(request.user, Capability.USE_CONSOLE)
    inbox.mark_read(actor=request.user, message=get_object_or_404(selectors.inbox_of(request.user), pk=pk))
    return redirect("rights-console:messages")


@console_login_required
@require_http_methods(["GET", "POST"])
def protection_contact(request):
    """R10: the manager appoints (or changes) the personal-information protection contact."""
    require(request.user, Capability.ADMINISTER_ADMINISTRATORS)
    contact = selectors.protection_contact()
    initial = {"person": contact.person_id, "contact_channel": contact.contact_channel} if contact else {}
    form = ProtectionContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and try_service(form, lambda: services.appoint_protection_contact(
            actor=request.user, person=form.cleaned_data["person"],
            contact_channel=form.cleaned_data["contact_channel"])):
        messages.success(request, _("%(name)s is the personal information protection contact.")
                         % {"name": form.cleaned_data["person"].display_name})
        return redirect("rights-console:protection_contact")
    return render(request, "rights/protection_contact.html", {"contact": contact, "form": form},
                  status=400 if request.method == "POST" else 200)


@console_login_required
@require_http_methods(["POST"])
def remove_protection_contact(request):
    require(request.user, Capability.ADMINISTER_ADMINISTRATORS)
    contact = selectors.protection_contact()
    if contact is not None:
        asked = confirmation.ask_unless_confirmed(
            request, title=_("Remove %(name)s as the personal information protection contact?")
            % {"name": contact.person.display_name},
            consequences=[_("They no longer handle rights requests, and employees no longer see them as the contact."),
                          _("Until another contact is appointed, complaints go to the manager.")],
            confirm_label=_("Remove the contact"), cancel_url=reverse("rights-console:protection_contact"))
        if asked:
            return asked
    services.remove_protection_contact(actor=request.user)
    messages.success(request, _("No protection contact is appointed: complaints go to the manager."))
    return redirect("rights-console:protection_contact")
