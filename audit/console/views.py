"""The console's audit-log page (X4): who did what to which record, and whether the chain holds.

The log holds operations and field names, never values; the page shows exactly that. Who may open
it is the catalogue's `see_audit_log` (the enterprise manager: the log names every administrator's
operations on everyone, which no department subtree bounds).
"""
from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.shortcuts import render

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from accounts.selectors import display_names
from audit import selectors
from audit.console.forms import COMMON_ACTIONS, AuditFilterForm

PAGE_SIZE = 50


def _field_label(object_type: str, name: str) -> str:
    """A changed field as the reader knows it (the model field's translated label), else its name."""
    try:
        return str(apps.get_model(object_type)._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return name


def _account_id(reference: str) -> int | None:
    kind, _sep, number = reference.partition(":")
    return int(number) if kind == "user" and number.isdigit() else None


@console_login_required
def audit_log(request):
    """The audit log, filtered and paginated; the latest signed checkpoint, and on request (the
    `verify` button) the verification of the whole chain."""
    require(request.user, Capability.SEE_AUDIT_LOG)
    filters = AuditFilterForm(request.GET or None)
    is_valid = filters.is_bound and filters.is_valid()
    if is_valid:
        since, before = filters.period()
        entries = selectors.audit_entries(
            person_id=filters.cleaned_data["person"], actor=filters.cleaned_data["actor"],
            action=filters.cleaned_data["action"], since=since, before=before)
    elif filters.is_bound:
        entries = selectors.audit_entries().none()
    else:
        entries = selectors.audit_entries()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    mentioned = {_account_id(row.actor) for row in rows}
    mentioned |= {int(row.object_id) for row in rows if row.object_type == "accounts.user" and row.object_id.isdigit()}
    names = display_names([pk for pk in mentioned if pk is not None])
    shown = [{"entry": row, "actor_id": _account_id(row.actor), "actor_name": names.get(_account_id(row.actor)),
              "object_name": names.get(int(row.object_id)) if row.object_type == "accounts.user"
              and row.object_id.isdigit() else None,
              "changed": [_field_label(row.object_type, name) for name in row.changed_fields or ()]} for row in rows]
    checkpoint, is_checkpoint_signed = selectors.latest_checkpoint()
    verification = problems = None
    if request.GET.get("verify") == "1":
        verification = selectors.verify_audit_chain()
        problems = selectors.checkpoint_problems()
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    return render(request, "audit/log.html", {
        "filters": filters, "rows": shown, "page": page, "query": query.urlencode(), "common_actions": COMMON_ACTIONS,
        "checkpoint": checkpoint, "is_checkpoint_signed": is_checkpoint_signed,
        "verification": verification, "checkpoint_problems": problems,
    }, status=400 if filters.is_bound and not is_valid else 200)
