"""Platform support's review of enterprise certifications (E4), in the Django admin (public schema).

The queue lists every enterprise's submissions, those waiting for review first. A submission's
page shows what the manager entered (the legal representative's values masked, as on every
surface), the documents inline (each opening recorded: services.open_document), the case's history
and the enterprise's earlier submissions; "Approve" and "Reject" (with the reason the manager reads
in the console) go through certification.services. Nothing here writes a model directly.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from access.capabilities import Capability, may
from accounts.permissions import CapabilityRecordAdmin
from certification import selectors, services
from certification.console.views import document_response
from certification.errors import NotReviewable
from certification.models import CertificationEvent, Document, Submission
from core.errors import NotPermitted
from privacy.disclosure import shown_value
from privacy.marks import sensitive_html


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return may(request.user, Capability.REVIEW_CERTIFICATION)


class DocumentInline(_ReadOnlyInline):
    model = Document
    fields = readonly_fields = ["kind", "status", "opened", "content_type", "size", "pixel_width", "pixel_height",
                                "pages", "refusal", "checked_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=gettext_lazy("document"))
    def opened(self, document):
        if document.status != Document.Status.ACCEPTED:
            return "—"
        url = reverse("admin:certification_document_open", args=[document.pk])
        if document.content_type.startswith("image/"):
            # Opening the page shows the image: each load is recorded like any other opening.
            return format_html('<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
                               'style="max-width:480px;max-height:480px"></a>', url, url, document.get_kind_display())
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Open the PDF"))


class EventInline(_ReadOnlyInline):
    model = CertificationEvent
    fields = readonly_fields = ["at", "event", "actor", "detail"]
    verbose_name_plural = gettext_lazy("history")


@admin.register(Submission)
class SubmissionAdmin(CapabilityRecordAdmin, admin.ModelAdmin):
    view_capability = Capability.REVIEW_CERTIFICATION
    change_form_template = "admin/certification/submission/change_form.html"
    list_display = ["enterprise_name", "enterprise", "uscc", "certificate_type", "status", "submitted_at",
                    "reviewed_at"]
    list_filter = ["status", "certificate_type"]
    search_fields = ["enterprise_name", "uscc", "enterprise__code", "enterprise__name"]
    fields = readonly_fields = ["enterprise", "status", "certificate_type", "uscc", "enterprise_name",
                                "enterprise_address", "legal_representative", "legal_representative_id",
                                "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "rejection_reason",
                                "earlier_submissions"]
    inlines = [DocumentInline, EventInline]

    def get_queryset(self, request):
        return selectors.review_queue()

    def get_ordering(self, request):
        return ["waiting", "submitted_at"]  # the queue's order (selectors.review_queue): waiting first, oldest first

    # Masked as on every surface (X2): shown_value's surface route masks for every viewer.
    @admin.display(description=gettext_lazy("legal representative"))
    def legal_representative(self, submission):
        return shown_value(viewer=None, instance=submission, field="legal_representative_name")

    @admin.display(description=gettext_lazy("legal representative's ID number"))
    def legal_representative_id(self, submission):
        # C2: marked as sensitive, the one mark every surface uses.
        return sensitive_html(shown_value(viewer=None, instance=submission, field="legal_representative_id_number"))

    @admin.display(description=gettext_lazy("the enterprise's submissions"))
    def earlier_submissions(self, submission):
        others = Submission.objects.filter(enterprise_id=submission.enterprise_id).exclude(pk=submission.pk)
        if not others:
            return "—"
        return format_html_join(", ", '<a href="{}">{} ({})</a>', (
            (reverse("admin:certification_submission_change", args=[other.pk]),
             other.submitted_at.strftime("%Y-%m-%d %H:%M"), other.get_status_display()) for other in others))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        submission = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}),
                         "may_decide": submission is not None and submission.status == Submission.Status.PENDING}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            path("<int:pk>/approve/", self.admin_site.admin_view(self.approve_view),
                 name="certification_submission_approve"),
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view),
                 name="certification_submission_reject"),
            path("documents/<int:pk>/", self.admin_site.admin_view(self.document_view),
                 name="certification_document_open"),
        ]
        return own + super().get_urls()

    def _decide(self, request, pk, decision, done):
        if not may(request.user, Capability.REVIEW_CERTIFICATION):
            raise NotPermitted()
        submission = get_object_or_404(Submission, pk=pk)
        try:
            decision(submission)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
        except NotReviewable as error:
            self.message_user(request, error.detail, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:certification_submission_change", submission.pk)

    @method_decorator(require_POST)
    def approve_view(self, request, pk):
        return self._decide(request, pk, lambda submission: services.approve(actor=request.user, submission=submission),
                            _("Approved: the enterprise is certified."))

    @method_decorator(require_POST)
    def reject_view(self, request, pk):
        return self._decide(request, pk, lambda submission: services.reject(
            actor=request.user, submission=submission, reason=request.POST.get("reason", "")),
            _("Rejected: the manager sees the reason in the console and can submit again."))

    @method_decorator(never_cache)
    @method_decorator(require_GET)
    def document_view(self, request, pk):
        """One checked document of any enterprise, for support reviewing; each opening is recorded."""
        found = selectors.document_for(viewer=request.user, document_id=pk, enterprise_id=None)
        return document_response(found, services.open_document(actor=request.user, document=found))
