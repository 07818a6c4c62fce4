"""Console pages of field work (A1): the customer list, the visit log and the reports with their export.

Whereabouts are sensitive (C2): shown masked, unless someone who may unmask asks to reveal a
page's (each value released through privacy.unmask, which records the view), as attendance does.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from access.capabilities import Capability, may, require
from accounts.permissions import console_login_required
from fieldwork import selectors, services
from fieldwork.console.forms import CustomerForm, ReportFilterForm, VisitFilterForm
from fieldwork.models import UploadCheck
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import scope as scope_selectors
from privacy.disclosure import Route, shown_value

PAGE_SIZE = 50


def _position_text(location) -> str:
    if isinstance(location, dict) and "lat" in location and "lng" in location:
        return f"{location['lat']}, {location['lng']}"
    return "" if location is None else str(location)


def _people(request, text: str):
    """The accounts of the people this administrator sees whose name or number matches `text`."""
    return address_book_selectors.search_employees(
        scope_selectors.employees_visible_to(request.user), text=text).values("account_id")


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _customer_form(request, *, data=None, initial=None):
    return CustomerForm(data, initial=initial, departments=scope_selectors.departments_visible_to(request.user))


def _save_customer(request, form, customer=None) -> bool:
    """Run the service with the form's values; its refusals become the form's field errors."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        if customer is None:
            services.add_customer(actor=request.user, name=data["name"], address=data["address"],
                                  department=data["department"])
        else:
            services.change_customer(actor=request.user, customer=customer, name=data["name"],
                                     address=data["address"], department=data["department"],
                                     is_active=data["is_active"])
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return False
    return True


@console_login_required
@require_http_methods(["GET", "POST"])
def customers(request):
    """A1: the customers this administrator keeps (their departments'), and adding one."""
    require(request.user, Capability.ADMINISTER_CUSTOMERS)
    form = _customer_form(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _save_customer(request, form):
            messages.success(request, _("Customer added."))
            return redirect("fieldwork-console:customers")
    page = Paginator(selectors.customers_visible_to(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "fieldwork/customers.html", {"form": form, "page": page},
                  status=400 if form.is_bound else 200)


@console_login_required
@require_http_methods(["GET", "POST"])
def customer(request, pk: int):
    """A1: one customer: changing or retiring it, and its visit log (visits of the people this
    administrator sees)."""
    require(request.user, Capability.ADMINISTER_CUSTOMERS)
    record = selectors.customer_visible_to(request.user, pk)
    if request.method == "POST":
        form = _customer_form(request, data=request.POST)
        if _save_customer(request, form, record):
            messages.success(request, _("Customer saved."))
            return redirect("fieldwork-console:customer", pk=record.pk)
    else:
        form = _customer_form(request, initial={"name": record.name, "address": record.address,
                                                "department": record.department, "is_active": record.is_active})
    visits = selectors.visits_visible_to(request.user, customer=record)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "fieldwork/customer.html", {
        "customer": record, "form": form, "page": page, "rows": _visit_rows(request, page.object_list, Route.SURFACE),
    }, status=400 if form.is_bound else 200)


def _visit_rows(request, visits, route):
    return [{"visit": visit,
             "check_in_location": _position_text(shown_value(viewer=request.user, instance=visit,
                                                             field="check_in_location", route=route)),
             "check_out_location": _position_text(shown_value(viewer=request.user, instance=visit,
                                                              field="check_out_location", route=route)),
             "check_in_place": shown_value(viewer=request.user, instance=visit, field="check_in_place"),
             "check_out_place": shown_value(viewer=request.user, instance=visit, field="check_out_place"),
             "note": shown_value(viewer=request.user, instance=visit, field="note"),
             "photos": _file_counts(visit.photos.all())}
            for visit in visits]


def _file_counts(files) -> dict:
    # Only files the worker has cleaned count as there; the others are "being checked" (never shown).
    statuses = [upload.status for upload in files]
    return {"ready": statuses.count(UploadCheck.READY), "pending": statuses.count(UploadCheck.PENDING)}


@console_login_required
@require_http_methods(["GET", "POST"])
def visits(request):
    """A1: the visits of the people this administrator may see, by person, customer and date."""
    require(request.user, Capability.SEE_FIELD_WORK)
    filters = VisitFilterForm(request.GET or None, customers=selectors.every_customer())
    is_valid = filters.is_bound and filters.is_valid()
    narrowed = {}
    if is_valid:
        narrowed["since"], narrowed["before"] = filters.period()
        narrowed["customer"] = filters.cleaned_data["customer"]
        if filters.cleaned_data["person"]:
            narrowed["people"] = _people(request, filters.cleaned_data["person"])
    found = selectors.visits_visible_to(request.user, **narrowed)
    if filters.is_bound and not is_valid:
        found = found.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    route = Route.REVEAL if request.method == "POST" and request.POST.get("action") == "reveal" else Route.SURFACE
    return render(request, "fieldwork/visits.html", {
        "filters": filters, "rows": _visit_rows(request, page.object_list, route), "page": page,
        "query": _query_without_page(request), "is_revealed": route is Route.REVEAL,
        "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
    }, status=400 if filters.is_bound and not is_valid else 200)


def _filtered_reports(request):
    filters = ReportFilterForm(request.GET or None)
    is_valid = filters.is_bound and filters.is_valid()
    narrowed = {}
    if is_valid:
        narrowed["since"], narrowed["until"] = filters.cleaned_data["since"], filters.cleaned_data["until"]
        narrowed["kind"] = filters.cleaned_data["kind"]
        if filters.cleaned_data["person"]:
            narrowed["people"] = _people(request, filters.cleaned_data["person"])
    found = selectors.reports_visible_to(request.user, **narrowed)
    if filters.is_bound and not is_valid:
        found = found.none()
    return filters, found, filters.is_bound and not is_valid


@console_login_required
@require_http_methods(["GET", "POST"])
def reports(request):
    """A1: the daily and weekly reports of the people this administrator may see, by person, kind
    and period, with their export."""
    require(request.user, Capability.SEE_FIELD_WORK)
    filters, found, is_refused = _filtered_reports(request)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    route = Route.REVEAL if request.method == "POST" and request.POST.get("action") == "reveal" else Route.SURFACE
    rows = [{"report": report,
             "body": shown_value(viewer=request.user, instance=report, field="body"),
             "figures": shown_value(viewer=request.user, instance=report, field="figures") or {},
             "place": shown_value(viewer=request.user, instance=report, field="place"),
             "location": _position_text(shown_value(viewer=request.user, instance=report, field="location",
                                                    route=route)),
             "attachments": _file_counts(report.attachments.all())}
            for report in page.object_list]
    return render(request, "fieldwork/reports.html", {
        "filters": filters, "rows": rows, "page": page, "query": _query_without_page(request),
        "is_revealed": route is Route.REVEAL, "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
    }, status=400 if is_refused else 200)


@console_login_required
@require_GET
def reports_export(request):
    """A1: the filtered reports as CSV or XLSX (?format=), masked as on the page."""
    require(request.user, Capability.SEE_FIELD_WORK)
    filters, found, is_refused = _filtered_reports(request)
    if is_refused:
        return render(request, "fieldwork/reports.html", {"filters": filters, "rows": [], "page": None,
                                                          "query": _query_without_page(request)}, status=400)
    try:
        exported = services.export_reports(actor=request.user, reports=found,
                                           file_format=request.GET.get("format", "csv"))
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            filters.add_error(field if field in filters.fields else None, problems)
        return render(request, "fieldwork/reports.html", {"filters": filters, "rows": [], "page": None,
                                                          "query": _query_without_page(request)}, status=400)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
