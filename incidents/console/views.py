"""Console pages of security incidents (X5): the list, opening one, one incident with its counts,
deliveries and timeline, and its regulator report."""
from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from core.errors import try_service
from incidents import selectors, services
from incidents.console.forms import IncidentForm
from incidents.models import Incident


@console_login_required
def incidents(request):
    require(request.user, Capability.HANDLE_SECURITY_INCIDENTS)
    return render(request, "incidents/incidents.html", {"incidents": selectors.incidents_for(request.user)[:200]})


@console_login_required
@require_http_methods(["GET", "POST"])
def open_incident(request):
    require(request.user, Capability.HANDLE_SECURITY_INCIDENTS)
    form = IncidentForm(request.POST or None)
    opened = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def action():
            opened["incident"] = services.open_incident(
                actor=request.user, kind=data["kind"], title=data["title"], cause=data["cause"],
                possible_harm=data["possible_harm"], measures_taken=data["measures_taken"], advice=data["advice"],
                remedies=data["remedies"], contact=data["contact"], audience=data["audience"],
                occurred_on=data["occurred_on"], departments=data["departments"], people=data["people"],
                data_category=data["data_category"], data_table=data["data_table"])

        if try_service(form, action):
            messages.success(request, _("Incident opened: the affected people are being told."))
            return redirect("incidents-console:incident", pk=opened["incident"].pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "incidents/open.html", {"form": form}, status=status)


def _incident(request, pk: int) -> Incident:
    try:
        return selectors.incident_for(request.user, pk)
    except Incident.DoesNotExist:
        raise Http404 from None


@console_login_required
def incident(request, pk: int):
    require(request.user, Capability.HANDLE_SECURITY_INCIDENTS)
    found = _incident(request, pk)
    return render(request, "incidents/incident.html", {
        "incident": found, "deliveries": selectors.delivery_summary(found), "timeline": found.timeline.all()})


@console_login_required
def report(request, pk: int):
    require(request.user, Capability.HANDLE_SECURITY_INCIDENTS)
    found = _incident(request, pk)
    if not found.report_file or not default_storage.exists(found.report_file.name):
        raise Http404
    services.record_report_download(actor=request.user, incident=found)
    return FileResponse(default_storage.open(found.report_file.name, "rb"), as_attachment=True,
                        filename=f"{found.reference}.pdf", content_type="application/pdf")
