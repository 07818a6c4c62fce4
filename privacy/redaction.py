"""Plaintext identifiers never reach logs, error pages or exception reports (X1).

Patterns, not field names: a value can hide in any message, query or traceback. What the
patterns match is masked with privacy.masking before anything is written.
"""
from __future__ import annotations

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

from privacy.masking import mask_bank_card, mask_id_number, mask_mobile

# GB 11643 resident ID (18 characters, last may be X), mainland mobile, bank card (16–19 digits).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_BANK_CARD = re.compile(r"(?<!\d)[3-6]\d{15,18}(?!\d)")


def redact(text) -> str:
    text = str(text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _BANK_CARD.sub(lambda m: mask_bank_card(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_mobile(m.group(0)[-11:]), text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks identifiers in the whole line, traceback included."""

    def format(self, record):
        return redact(super().format(record))


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error pages and reports (DEBUG pages, mailed reports) show masked values only."""

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        cleansed = parameters.copy()
        for name, values in cleansed.lists():
            cleansed.setlist(name, [redact(v) if isinstance(v, str) else v for v in values])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, redact(value) if isinstance(value, str) else redact(repr(value)))
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]
