"""Console pages of attendance: the tracking switch (C4) and the check-in records (A1)."""
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, may, require
from accounts.permissions import console_login_required
from attendance import selectors, services
from attendance.console.forms import RecordFilterForm
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import scope as scope_selectors
from privacy.disclosure import Route, shown_value

PAGE_SIZE = 50


@console_login_required
@require_http_methods(["GET", "POST"])
def attendance_settings(request):
    """C4: the enterprise's location-tracking switch (each person still consents separately); A2:
    whether base photos of facial check-in are kept after enrolment (shown to each person)."""
    if request.method == "POST":
        if request.POST.get("form") == "face_photos":
            services.set_face_photo_policy(actor=request.user, keeps_base_photo=request.POST.get("keep") == "on")
        else:
            services.switch_tracking(actor=request.user, enabled=request.POST.get("tracking") == "on")
        return redirect("attendance-console:settings")
    return render(request, "attendance/settings.html", {
        "settings": services.tracking_settings(), "may_switch_tracking": may(request.user, Capability.SWITCH_TRACKING),
        "may_set_face_photo_policy": may(request.user, Capability.SET_FACE_PHOTO_POLICY)})


def _place_text(location) -> str:
    if isinstance(location, dict) and "lat" in location and "lng" in location:
        return f"{location['lat']}, {location['lng']}"
    return "" if location is None else str(location)


def _risk_labels(risk_signals) -> list[str]:
    """X7: the risk signals recorded with a check-in (only ever under the person's permission)."""
    if not isinstance(risk_signals, dict):
        return []
    return [str(label) for name, label in services.RISK_SIGNALS.items() if risk_signals.get(name)]


@console_login_required
@require_http_methods(["GET", "POST"])
def attendance_records(request):
    """A1: check-ins of the people this administrator may see, filtered by person and date. The
    location is sensitive (C2): masked, unless someone who may unmask asks to reveal this page's
    (each value released through privacy.unmask, which records the view). Each row also says
    whether a photo was compared with the enrolled face (A2) and which risk signals the device
    reported under the person's permission (X7)."""
    require(request.user, Capability.SEE_ATTENDANCE_RECORDS)
    filters = RecordFilterForm(request.GET or None)
    is_valid = filters.is_bound and filters.is_valid()
    narrowed = {}
    if is_valid:
        narrowed["since"], narrowed["before"] = filters.period()
        if filters.cleaned_data["person"]:
            narrowed["people"] = address_book_selectors.search_employees(
                scope_selectors.employees_visible_to(request.user), text=filters.cleaned_data["person"]
            ).values("account_id")
    check_ins = selectors.check_ins_visible_to(request.user, **narrowed)
    if filters.is_bound and not is_valid:
        check_ins = check_ins.none()
    page = Paginator(check_ins, PAGE_SIZE).get_page(request.GET.get("page"))
    route = Route.REVEAL if request.method == "POST" and request.POST.get("action") == "reveal" else Route.SURFACE
    rows = [{"check_in": check_in,
             "location": _place_text(shown_value(viewer=request.user, instance=check_in, field="location", route=route)),
             "place": shown_value(viewer=request.user, instance=check_in, field="place"),
             "risks": _risk_labels(shown_value(viewer=request.user, instance=check_in, field="risk_signals"))}
            for check_in in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "attendance/records.html", {
        "filters": filters, "rows": rows, "page": page, "query": query.urlencode(),
        "is_revealed": route is Route.REVEAL, "can_unmask": may(request.user, Capability.UNMASK_SENSITIVE_VALUES),
    }, status=400 if filters.is_bound and not is_valid else 200)
