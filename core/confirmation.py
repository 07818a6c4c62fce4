"""The console's confirmation step (issue 14): an action that destroys something or reaches many
people (delete or merge a department, remove a sub-administrator, reset a password, delete a
position or job level, switch a data-sharing application on for many people) runs only from a POST
carrying the confirmation flag, and only the confirmation page sends it.

A view asks `ask_unless_confirmed(request, ...)` right before calling the service: without the flag
it answers the confirmation page, which names what will happen and to how many people and repeats
the posted form with the flag set; with the flag it answers None and the view goes on. The page is
server-rendered (an open <dialog>, no script needed), so it works without JavaScript.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from django.shortcuts import render

CONFIRMATION_FIELD = "confirmed"
CONFIRMED = "yes"
# Never carried over: the page brings its own CSRF token, and the flag is set by the page itself.
_NOT_CARRIED = {"csrfmiddlewaretoken", CONFIRMATION_FIELD}


def is_confirmed(request) -> bool:
    """Whether this POST came from the confirmation page."""
    return request.method == "POST" and request.POST.get(CONFIRMATION_FIELD) == CONFIRMED


def ask_unless_confirmed(request, *, title: str, consequences: Iterable[str], confirm_label: str,
                         cancel_url: str) -> HttpResponse | None:
    """None when the request is confirmed; otherwise the confirmation page: `title` (the question),
    `consequences` (one sentence each: what happens, to how many people), a danger button labelled
    `confirm_label` that sends the same form again with the flag, and a way back to `cancel_url`."""
    if is_confirmed(request):
        return None
    carried = [(name, value) for name in request.POST if name not in _NOT_CARRIED
               for value in request.POST.getlist(name)]
    return render(request, "confirm.html", {
        "title": title, "consequences": list(consequences), "confirm_label": confirm_label,
        "cancel_url": cancel_url, "carried": carried, "confirmation_field": CONFIRMATION_FIELD,
        "confirmed": CONFIRMED,
    })
