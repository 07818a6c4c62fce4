"""Console pages of approvals: my approval inbox and decisions, the approval log (X4), the settings."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from access.capabilities import Capability, may, require
from accounts.permissions import console_login_required
from approvals import kinds, selectors, services
from approvals.console.forms import DecisionForm, DepartmentHeadForm, KindsForm, LogFilterForm, NamedApproversForm
from approvals.models import ApprovalRequest, Kind
from core.errors import try_service

PAGE_SIZE = 50


@console_login_required
def inbox(request):
    """The requests waiting for the signed-in administrator's decision (E6: while the approvals
    application is switched on for them)."""
    require(request.user, Capability.USE_APPLICATION, target="approvals",
            refusal=_("The approvals application is switched off for you."))
    page = Paginator(selectors.inbox_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/inbox.html", {"page": page})


def _request_seen_by(viewer, pk) -> ApprovalRequest:
    """A request the viewer is in the chain of, or that the approval log shows them (scoped)."""
    found = selectors.requests_seen_by(viewer).filter(pk=pk).first()
    if found is None and may(viewer, Capability.SEE_APPROVAL_LOG):
        found = selectors.approval_log_visible_to(viewer).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@console_login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk: int):
    """One request with its chain; its current approver decides here."""
    approval = _request_seen_by(request.user, pk)
    current = approval.steps.filter(round=approval.round, state="pending").first()
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Capability.USE_APPLICATION, target="approvals",
                refusal=_("The approvals application is switched off for you."))
    if request.method == "POST" and form.is_valid():
        if try_service(form, lambda: services.decide(actor=request.user, request=approval,
                                                     decision=form.cleaned_data["decision"],
                                                     comment=form.cleaned_data["comment"])):
            messages.success(request, _("Your decision was recorded."))
            return redirect("approvals-console:request", pk=approval.pk)
    is_mine = current is not None and current.approver_id == request.user.pk
    # C2: the contents (a leave's reason, a trip's destination) only for the applicant and the
    # approvers the request has reached; the approval log's readers see who decided what, not why.
    may_read = selectors.requests_seen_by(request.user).filter(pk=approval.pk).exists()
    return render(request, "approvals/request.html", {
        "approval": approval, "steps": approval.steps.select_related("approver"),
        "details": kinds.readable_details(approval.kind, approval.details) if may_read else None,
        "form": form if is_mine else None}, status=400 if form.is_bound and form.errors else 200)


@console_login_required
def approval_log(request):
    """X4: every request and its decisions, within the viewer's scope (E5)."""
    require(request.user, Capability.SEE_APPROVAL_LOG)
    filters = LogFilterForm(request.GET or None)
    rows = selectors.approval_log_visible_to(request.user)
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            rows = rows.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["status"]:
            rows = rows.filter(status=filters.cleaned_data["status"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "approvals/log.html", {"filters": filters, "page": page, "query": query.urlencode()})


@console_login_required
def approval_settings(request):
    """The kinds offered, the department heads and the named approvers (the manager's)."""
    require(request.user, Capability.CONFIGURE_APPROVALS)
    return _settings_page(request)


def _settings_page(request, *, kinds_form=None, head_form=None, named_form=None, status=200):
    named = {}
    for row in selectors.named_approvers():
        named.setdefault(row.kind, []).append(row.approver)
    return render(request, "approvals/settings.html", {
        "kinds_form": kinds_form or KindsForm(offered=selectors.offered_kinds()),
        "head_form": head_form or DepartmentHeadForm(actor=request.user),
        "named_form": named_form or NamedApproversForm(actor=request.user),
        "heads": selectors.department_heads(),
        "named": [(label, named.get(kind, [])) for kind, label in Kind.choices]}, status=status)


@console_login_required
@require_POST
def save_kinds(request):
    require(request.user, Capability.CONFIGURE_APPROVALS)
    form = KindsForm(request.POST, offered=[])
    form.is_valid()
    for kind in Kind.values:
        services.switch_kind(actor=request.user, kind=kind, enabled=bool(form.cleaned_data.get(kind)))
    messages.success(request, _("The kinds of request offered were saved."))
    return redirect("approvals-console:settings")


@console_login_required
@require_POST
def save_department_head(request):
    require(request.user, Capability.CONFIGURE_APPROVALS)
    form = DepartmentHeadForm(request.POST, actor=request.user)
    if form.is_valid() and try_service(form, lambda: services.set_department_head(
            actor=request.user, department=form.cleaned_data["department"], head=form.cleaned_data["head"])):
        messages.success(request, _("The department head was saved."))
        return redirect("approvals-console:settings")
    return _settings_page(request, head_form=form, status=400)


@console_login_required
@require_POST
def save_named_approvers(request):
    require(request.user, Capability.CONFIGURE_APPROVALS)
    form = NamedApproversForm(request.POST, actor=request.user)
    if form.is_valid() and try_service(form, lambda: services.set_named_approvers(
            actor=request.user, kind=form.cleaned_data["kind"], approvers=form.approvers())):
        messages.success(request, _("The named approvers were saved."))
        return redirect("approvals-console:settings")
    return _settings_page(request, named_form=form, status=400)


