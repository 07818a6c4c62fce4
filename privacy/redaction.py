"""Plaintext identifiers never reach logs, error pages or exception reports (X1).

Patterns, not field names: a value can hide in any message, query or traceback. What the
patterns match is masked with privacy.masking before anything is written.
"""
from __future__ import annotations

import logging
import re

from django.db.models import Manager, Model, QuerySet
from django.utils.functional import LazyObject, empty
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from privacy.masking import mask_bank_card, mask_id_number, mask_mobile

# A number may follow a percent-escape in a URL ("?q=a%2013812345678"): its hex digits do not count
# as part of the number.
_AFTER_ESCAPE_OR = r"(?:(?<=%[0-9A-Fa-f]{2})|"
# GB 11643 resident ID (18 characters, last may be X), mainland mobile, bank card (16–19 digits).
_ID_NUMBER = re.compile(_AFTER_ESCAPE_OR + r"(?<![0-9A-Za-z]))[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(_AFTER_ESCAPE_OR + r"(?<!\d))(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_BANK_CARD = re.compile(_AFTER_ESCAPE_OR + r"(?<!\d))[3-6]\d{15,18}(?!\d)")


def redact(text) -> str:
    text = str(text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _BANK_CARD.sub(lambda m: mask_bank_card(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_mobile(m.group(0)[-11:]), text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks identifiers in the whole line, traceback included."""

    def format(self, record):
        return redact(super().format(record))


def _safe_repr(value) -> str:
    """A variable's value for an error report, without touching the database and without raising.

    A QuerySet's repr runs its query and a model instance's may load related rows: while the
    database is down the report itself would fail, and the client get a bare HTML 500.
    """
    try:
        if isinstance(value, LazyObject):  # request.user: never set up here, shown only if it already is
            wrapped = value._wrapped
            return f"<{type(value).__name__} (not evaluated)>" if wrapped is empty else _safe_repr(wrapped)
        if isinstance(value, QuerySet):
            if value._result_cache is None:
                return f"<{type(value).__name__} of {value.model.__name__} (not evaluated)>"
            return f"<{type(value).__name__} of {value.model.__name__}: {len(value._result_cache)} rows>"
        if isinstance(value, Manager):
            return f"<{type(value).__name__} of {value.model.__name__}>"
        if isinstance(value, Model):
            return f"<{type(value).__name__} pk={value.pk!r}>"
        return redact(value if isinstance(value, str) else repr(value))
    except Exception as error:  # as Django's pprint: report the failure, never raise it
        return f"Error in formatting: {type(error).__name__}"


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error pages and reports (DEBUG pages, mailed reports) show masked values only, and never
    raise: a report about a broken database must not need the database."""

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_post_parameters(self, request):
        try:
            parameters = super().get_post_parameters(request)
        except Exception:  # e.g. the error being reported is the body's own (too large, malformed)
            return {}
        if not parameters:
            return parameters
        cleansed = parameters.copy()
        for name, values in cleansed.lists():
            cleansed.setlist(name, [redact(v) if isinstance(v, str) else v for v in values])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        try:
            variables = super().get_traceback_frame_variables(request, tb_frame)
        except Exception as error:
            return [("(variables)", f"Error in formatting: {type(error).__name__}")]
        return [(name, _safe_repr(value)) for name, value in variables]


class RedactingExceptionReporter(ExceptionReporter):
    """Django's report, with the request's URL and query parameters masked too (the filter above
    covers variables, POST data, settings and headers, but the report shows these unfiltered)."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if "request_GET_items" in data:
            data["request_GET_items"] = [(redact(name), redact(value)) for name, value in data["request_GET_items"]]
        if "request_insecure_uri" in data:
            data["request_insecure_uri"] = redact(data["request_insecure_uri"])
        return data
