"""Console pages: the position and job-level lists (E7)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.capabilities import Capability, may, require
from core import confirmation
from core.errors import try_service
from orgdata.console import forms
from orgdata.console.views.base import organisation_page
from orgdata.models import JobLevel, Position
from orgdata.services import positions as position_services


# The two lists are kept alike: (model, create, rename, delete) through orgdata.services.positions.
_ENTRY_LISTS = {
    "position": (
        Position,
        lambda actor, name: position_services.create_position(actor=actor, name=name),
        lambda actor, entry, name: position_services.rename_position(actor=actor, position=entry, name=name),
        lambda actor, entry: position_services.delete_position(actor=actor, position=entry),
    ),
    "job_level": (
        JobLevel,
        lambda actor, name: position_services.create_job_level(actor=actor, name=name),
        lambda actor, entry, name: position_services.rename_job_level(actor=actor, job_level=entry, name=name),
        lambda actor, entry: position_services.delete_job_level(actor=actor, job_level=entry),
    ),
}


@organisation_page
def positions(request):
    """The position and job-level lists the employee form offers (E7).

    The manager adds, renames and deletes entries. A sub-administrator only sees the lists: they
    are the choices of the employee form they use anyway, and changing them changes every
    department, not just theirs (so the services allow it to the manager alone).
    """
    may_administer_positions = may(request.user, Capability.ADMINISTER_POSITIONS)
    which = request.POST.get("list") if request.method == "POST" else None
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST":
        require(request.user, Capability.ADMINISTER_POSITIONS)
        if which not in _ENTRY_LISTS or action not in ("add", "rename", "delete"):
            raise BadRequest
    add_forms = {kind: forms.NameForm(request.POST if (which, action) == (kind, "add") else None, prefix=kind)
                 for kind in _ENTRY_LISTS}
    problem = None  # (list, entry, form) of a refused rename or delete, shown above that list
    if which is not None:
        model, create, rename, delete = _ENTRY_LISTS[which]
        done = False
        if action == "add":
            form = add_forms[which]
            done = form.is_valid() and try_service(form, lambda: create(request.user, form.cleaned_data["name"]))
        else:
            chosen = forms.IdForm(request.POST, field="item")
            entry = model.objects.filter(pk=chosen.cleaned_data["id"]).first() if chosen.is_valid() else None
            if entry is None:
                raise Http404
            form = forms.NameForm(request.POST) if action == "rename" else chosen
            if action == "rename":
                done = form.is_valid() and try_service(
                    form, lambda: rename(request.user, entry, form.cleaned_data["name"]))
            else:
                holders = entry.employees.count()
                asked = confirmation.ask_unless_confirmed(
                    request, title=_("Delete “%(name)s”?") % {"name": entry.name},
                    consequences=[
                        _("“%(name)s” is removed from the choices of every employee form.") % {"name": entry.name},
                        ngettext("%(count)d person still has it: it cannot be deleted until they are given another.",
                                 "%(count)d people still have it: it cannot be deleted until they are given another.",
                                 holders) % {"count": holders} if holders else _("Nobody has it now.")],
                    confirm_label=_("Delete"), cancel_url=request.path)
                if asked:
                    return asked
                done = form.is_valid() and try_service(form, lambda: delete(request.user, entry))
                if done:
                    messages.success(request, _("“%(name)s” deleted.") % {"name": entry.name})
                    return redirect("orgdata:positions")
            if not done:
                problem = (which, entry, form)
        if done:
            messages.success(request, _("Saved."))
            return redirect("orgdata:positions")
    sections = []
    for kind, title in (("position", _("Positions")), ("job_level", _("Job levels"))):
        entries = _ENTRY_LISTS[kind][0].objects.all()
        if may_administer_positions:  # how many hold each: enterprise-wide counts, so for the manager only
            entries = entries.annotate(holders=Count("employees"))
        refused = problem if problem and problem[0] == kind else None
        sections.append({
            "kind": kind, "title": title, "entries": entries, "add_form": add_forms[kind],
            "refused_entry": refused[1] if refused else None,
            "refusals": [error for errors in refused[2].errors.values() for error in errors] if refused else [],
        })
    return render(request, "orgdata/positions.html", {"sections": sections,
                                                     "may_administer_positions": may_administer_positions})
