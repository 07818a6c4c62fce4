"""Console pages: Bulk import (E7, E8) with its preview and confirmation, and the scoped, masked
export (X2) run in the background (issue 14)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Func, IntegerField
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.capabilities import Capability, may
from core import tabular
from core.errors import try_service
from orgdata.console import forms
from orgdata.console.views.base import PAGE_SIZE, organisation_page
from orgdata.selectors import scope as scope_selectors
from orgdata.services import exports as export_services
from orgdata.services.imports import jobs as import_services
from orgdata.services.imports import template as import_template_service


@organisation_page
def import_upload(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        started = []
        if try_service(form, lambda: started.append(import_services.start_import(
                actor=request.user, upload=form.cleaned_data["file"],
                consent_confirmed=form.cleaned_data["consent_confirmed"],
                language=getattr(request, "LANGUAGE_CODE", "")))):
            return redirect("orgdata:import", pk=started[0].pk)
    # A refused upload is a 400 naming the field (nothing was stored, nothing queued).
    return render(request, "orgdata/import_upload.html", {
        "form": form, "jobs": scope_selectors.imports_visible_to(request.user)[:10],
        "instructions": import_template_service.instructions()},
        status=400 if request.method == "POST" else 200)


@organisation_page
def import_history(request):
    """E7: every import this administrator may see (the manager: everyone's; a sub-administrator:
    their own), newest first: who, when, status, counts, and the way to its report."""
    # The report (up to one line per bad row) stays in the database: the page needs its length only.
    jobs = (scope_selectors.imports_visible_to(request.user).select_related("created_by").defer("report")
            .annotate(problems=Func(F("report"), function="jsonb_array_length", output_field=IntegerField())).order_by("-created_at", "-pk"))
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orgdata/import_history.html", {"page": page})


@organisation_page
def import_status(request, pk: int, confirm_form=None):
    job = scope_selectors.import_visible_to(request.user, pk)
    progress = import_services.import_progress(job)
    if request.GET.get("format") == "json":
        return JsonResponse(progress)
    return render(request, "orgdata/import_status.html", {
        "job": job, "progress": progress, "confirm_form": confirm_form or forms.ImportConfirmForm(),
        "may_confirm": job.is_waiting_for_confirmation and job.created_by_id == request.user.pk},
        status=400 if confirm_form is not None else 200)


@require_POST
@organisation_page
def import_confirm(request, pk: int):
    job = scope_selectors.import_visible_to(request.user, pk)
    form = forms.ImportConfirmForm(request.POST)
    form.is_valid()
    if try_service(form, lambda: import_services.confirm_import(
            actor=request.user, job=job, create_new_values=form.cleaned_data.get("create_new_values", False))):
        messages.success(request, _("Import confirmed: the address book is being written."))
        return redirect("orgdata:import", pk=job.pk)
    return import_status(request, pk, confirm_form=form)


@require_POST
@organisation_page
def import_cancel(request, pk: int):
    job = scope_selectors.import_visible_to(request.user, pk)
    form = forms.ImportConfirmForm()
    if try_service(form, lambda: import_services.cancel_import(actor=request.user, job=job)):
        messages.success(request, _("Import cancelled: nothing was written and the file was deleted."))
        return redirect("orgdata:import", pk=job.pk)
    return import_status(request, pk, confirm_form=form)


@organisation_page
def import_report(request, pk: int):
    """The bad rows as a CSV file: row, column, reason (never a cell's value)."""
    job = scope_selectors.import_visible_to(request.user, pk)
    rows = [[error["row"], error["column"], error["reason"]] for error in job.report]
    content = tabular.write_csv([_("Row"), _("Column"), _("Reason")], rows)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response


@organisation_page
def import_template(request, file_format: str):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    content = import_template_service.template_file(file_format)
    content_type = ("text/csv; charset=utf-8" if file_format == "csv"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="address-book-template.{file_format}"'
    return response


@organisation_page
def export(request):
    form = forms.ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        started = []
        if try_service(form, lambda: started.append(export_services.start_export(
                actor=request.user, file_format=form.cleaned_data["file_format"],
                unmasked=form.cleaned_data["unmasked"], language=getattr(request, "LANGUAGE_CODE", "")))):
            return redirect("orgdata:export_status", pk=started[0].pk)
    return render(request, "orgdata/export.html", {
        "form": form, "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
        "jobs": scope_selectors.exports_visible_to(request.user)[:10]},
        status=400 if request.method == "POST" else 200)


@organisation_page
def export_status(request, pk: int):
    job = scope_selectors.export_visible_to(request.user, pk)
    progress = export_services.export_progress(job)
    if request.GET.get("format") == "json":
        return JsonResponse(progress)
    return render(request, "orgdata/export_status.html", {"job": job, "progress": progress})


@organisation_page
def export_download(request, pk: int):
    job = scope_selectors.export_visible_to(request.user, pk)
    # A refusal (expired, not ready, permission lost) is the service's DomainError: a 4xx page.
    download = export_services.export_download(actor=request.user, job=job)
    return FileResponse(download.stream, as_attachment=True, filename=download.filename,
                        content_type=download.content_type)
