"""The manager's certification pages (E4): the case's status and history, the form (again after a
rejection), the letter template to print and sign, and the documents, opened by the manager only."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from certification import selectors, services
from certification.console.forms import CertificationForm
from certification.models import Submission
from core.errors import try_service
from tenants.selectors import current_enterprise

_FIELDS = ("certificate_type", "uscc", "enterprise_name", "enterprise_address")


@console_login_required
@require_http_methods(["GET", "POST"])
def certification(request):
    """The enterprise's certification: where it stands, why it was rejected, every submission with
    its documents and history, and the form while nothing is open."""
    require(request.user, Capability.APPLY_FOR_CERTIFICATION)
    enterprise_id = selectors.current_enterprise_id()
    submissions = selectors.submissions_of(viewer=request.user, enterprise_id=enterprise_id)
    latest = submissions[0] if submissions else None
    may_submit = latest is None or latest.status in (Submission.Status.REJECTED, Submission.Status.DOCUMENTS_REFUSED)
    if request.method == "POST":
        form = CertificationForm(request.POST, request.FILES)
        if form.is_valid() and try_service(form, lambda: services.submit_certification(
                actor=request.user, values={name: form.cleaned_data[name] for name in (
                    *_FIELDS, "legal_representative_name", "legal_representative_id_number")},
                uploads={"licence": form.cleaned_data["licence"], "letter": form.cleaned_data["letter"]})):
            messages.success(request, _("Submitted. The documents are being checked; platform support then "
                                        "reviews the certification."))
            return redirect("certification-console:status")
        status = 400
    else:
        # A resubmission starts from what was submitted last (never the legal representative's values).
        form = CertificationForm(initial={name: getattr(latest, name) for name in _FIELDS} if latest else None)
        status = 200
    return render(request, "certification/status.html", {
        "latest": latest, "submissions": submissions, "form": form, "may_submit": may_submit,
        "statuses": Submission.Status}, status=status)


@console_login_required
@require_http_methods(["GET"])
def letter_template(request):
    """The certification letter to print, sign, seal and upload: a page of its own, no download."""
    require(request.user, Capability.APPLY_FOR_CERTIFICATION)
    return render(request, "certification/letter.html", {"enterprise": current_enterprise()})


@console_login_required
@never_cache
@require_http_methods(["GET"])
def document(request, pk: int):
    """One checked document of this enterprise's certification, for the manager; every opening is
    recorded (services.open_document). Another enterprise's or an unchecked one: 404."""
    found = selectors.document_for(viewer=request.user, document_id=pk,
                                   enterprise_id=selectors.current_enterprise_id())
    return document_response(found, services.open_document(actor=request.user, document=found))


def document_response(found, content: bytes) -> HttpResponse:
    """The cleaned document inline, never cached, never sniffed as anything but its checked type
    (the Django admin serves it the same way)."""
    response = HttpResponse(content, content_type=found.content_type)
    extension = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}[found.content_type]
    response["Content-Disposition"] = f'inline; filename="{found.kind}-{found.submission_id}.{extension}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
