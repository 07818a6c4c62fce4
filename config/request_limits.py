"""No input makes the server fail: hostile requests are refused before any view reads them.

`RequestLimitsMiddleware` is the one place that refuses, for every host and path:
- a control character (C0, NUL included; tab allowed) in the path or in a query parameter's name or
  value, and in a form field (where line breaks are allowed too: a textarea sends them) → 400 that
  names the parameter;
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE (files of a multipart upload excepted, as in Django) → 413;
- more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters or DATA_UPLOAD_MAX_NUMBER_FILES files → 400.
API paths (/api/) answer in core.errors' JSON shape, console and admin paths with a plain page.
A cookie holding a control character is dropped, not refused: it is the browser's, and refusing
would lock the person out until they cleared it; dropped, a session cookie means "signed out".
The API's JSON bodies are checked by config.parsers.LimitedJSONParser (nesting, NUL).

Django checks the body limits lazily, when request.POST or request.body is first read; DRF reads
the body stream itself and turns that lazy error into a 500. Reading form bodies here, once, makes
the refusal happen in one place; core.errors maps the same errors as a last resort.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import (DomainError, InvalidCharacters, MalformedRequest, RequestTooLarge, domain_error_response,
                         refusal_page)

# C0 controls but tab; form fields may also hold line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _drop_cookies_with_control_characters(request)
        refusal = _refusal(request)
        if refusal is not None:
            return _refusal_response(request, refusal)
        return self.get_response(request)


def _drop_cookies_with_control_characters(request) -> None:
    cookies = request.COOKIES
    if any(_CONTROL.search(name) or _CONTROL.search(value) for name, value in cookies.items()):
        request.COOKIES = {name: value for name, value in cookies.items()
                           if not (_CONTROL.search(name) or _CONTROL.search(value))}


def _refusal(request) -> DomainError | None:
    if _CONTROL.search(request.path):
        return InvalidCharacters(names=["path"])
    try:
        refused = _names_with_control_characters(request.GET, _CONTROL)
        if refused:
            return InvalidCharacters(names=refused)
        if request.content_type.startswith("multipart/"):
            if request.method == "POST":  # Django counts the non-file part of the body while parsing
                return _form_refusal(request)
            return None
        if _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return RequestTooLarge()
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            return _form_refusal(request)
    except RequestDataTooBig:
        return RequestTooLarge()
    except (TooManyFieldsSent, TooManyFilesSent):
        return MalformedRequest(_("The request has too many fields."))
    return None


def _form_refusal(request) -> DomainError | None:
    refused = _names_with_control_characters(request.POST, _CONTROL_IN_TEXT)
    return InvalidCharacters(names=refused) if refused else None


def _names_with_control_characters(parameters, pattern: re.Pattern) -> list[str]:
    refused = []
    for name, values in parameters.lists():
        if pattern.search(name) or any(pattern.search(value) for value in values if isinstance(value, str)):
            # The name is shown back to the client: never with the control characters it may hold.
            refused.append(_CONTROL.sub("?", name))
    return refused


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refusal_response(request, refusal: DomainError) -> HttpResponse:
    # Before LocaleMiddleware would run for a refused request: choose the language here.
    with translation.override(translation.get_language_from_request(request)):
        if request.path.startswith("/api/"):
            return domain_error_response(refusal)
        return refusal_page(refusal)
