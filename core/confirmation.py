"""The console's confirmation step (issue 14): an action that destroys something or reaches many
people (delete or merge a department, remove a sub-administrator, reset a password, delete a
position or job level, switch a data-sharing application on for many people) runs only from a POST
carrying the confirmation flag, and only the confirmation page sends it.

A view asks `ask_unless_confirmed(request, ...)` right before calling the service: without the flag
it answers the confirmation page, which names what will happen and to how many people and repeats
the posted form with the flag set; with the flag it answers None and the view goes on. The page is
server-rendered (an open <dialog>, no script needed), so it works without JavaScript.

An action that cannot be undone for one named person (a relative's deletion of a deceased person's
information, R7) asks more: `typed_answers` are what the administrator must type on the page (a
name, a request number); the flag without one of them typed is not a confirmation.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from django.shortcuts import render

CONFIRMATION_FIELD = "confirmed"
CONFIRMED = "yes"
TYPED_FIELD = "confirmation_typed"
# Never carried over: the page brings its own CSRF token, and the flag and the typed text are the page's own.
_NOT_CARRIED = {"csrfmiddlewaretoken", CONFIRMATION_FIELD, TYPED_FIELD}


def _comparable(text: str) -> str:
    return " ".join(str(text or "").split()).casefold()


def is_confirmed(request, *, typed_answers: Iterable[str] = ()) -> bool:
    """Whether this POST came from the confirmation page (and, with `typed_answers`, one of them was
    typed there: spaces and case aside)."""
    if not (request.method == "POST" and request.POST.get(CONFIRMATION_FIELD) == CONFIRMED):
        return False
    accepted = {_comparable(answer) for answer in typed_answers} - {""}
    if not accepted:
        return True
    return _comparable(request.POST.get(TYPED_FIELD, "")) in accepted


def ask_unless_confirmed(request, *, title: str, consequences: Iterable[str], confirm_label: str,
                         cancel_url: str, typed_answers: Iterable[str] = (),
                         typed_prompt: str = "") -> HttpResponse | None:
    """None when the request is confirmed; otherwise the confirmation page: `title` (the question),
    `consequences` (one sentence each: what happens, to how many people), a danger button labelled
    `confirm_label` that sends the same form again with the flag, and a way back to `cancel_url`.
    With `typed_answers`, the page also asks (`typed_prompt`) to type one of them; a confirmation
    with something else typed answers the page again, saying so, with status 400."""
    typed_answers = list(typed_answers)
    if is_confirmed(request, typed_answers=typed_answers):
        return None
    carried = [(name, value) for name in request.POST if name not in _NOT_CARRIED
               for value in request.POST.getlist(name)]
    mistyped = bool(typed_answers) and request.POST.get(CONFIRMATION_FIELD) == CONFIRMED
    return render(request, "confirm.html", {
        "title": title, "consequences": list(consequences), "confirm_label": confirm_label,
        "cancel_url": cancel_url, "carried": carried, "confirmation_field": CONFIRMATION_FIELD,
        "confirmed": CONFIRMED, "typed_field": TYPED_FIELD if typed_answers else "", "typed_prompt": typed_prompt,
        "mistyped": mistyped,
    }, status=400 if mistyped else 200)
