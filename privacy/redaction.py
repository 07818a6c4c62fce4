"""Plaintext identifiers never reach logs, error pages or exception reports (X1).

Patterns, not field names: a value can hide in any message, query or traceback. What the
patterns match is masked with privacy.masking before anything is written.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import unquote

from django.db.models import Manager, Model, QuerySet
from django.utils.functional import LazyObject, empty
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from privacy.masking import mask_bank_card, mask_id_number, mask_mobile

# What is scanned: spans of at least 11 digits, however they are spelled. A digit is ASCII or
# full-width, raw or percent-encoded (UTF-8); between digits may stand what people type inside a
# number (space, hyphen and dashes, dot, plus, brackets, no-break and ideographic spaces), raw,
# full-width or percent-encoded. A resident ID may end in X or x (full-width too). A mobile
# number's span may open with "+" or "(" (as in "+86 …", "(+86)…", "%2B86…").
_DIGIT = r"(?:[0-9\uff10-\uff19]|%EF%BC%9[0-9])"
_CHECK_CHARACTER = r"(?:[X\uff38\uff58]|%EF%BC%B8|%EF%BD%98)"
_SEPARATOR = (r"(?:[ \-.+()\u00a0\u2010-\u2015\u3000\uff08\uff09\uff0b\uff0d\uff0e]"
              r"|%2[0BDE89]|%C2%A0|%E2%80%9[0-5]|%E3%80%80|%EF%BC%8[89BDE])")
_OPENING = r"(?:[+(\uff08\uff0b]|%2[8B]|%EF%BC%8[8B])"
# A span never starts inside a number or a percent-escape ("%2013812345678": the escape's hex
# digits are not part of the number), but may start right after a whole escape. The lookahead
# first: most positions of a line fail it at once (halves the time on a typical line).
_SPAN_START = r"(?=[0-9\uff10-\uff19%+(\uff08\uff0b])(?:(?<=%[0-9A-F]{2})|(?<![0-9\uff10-\uff19]))(?<!%)(?<!%[0-9A-F])(?<!%EF%BC%9[0-9])"
_SPAN = re.compile(
    _SPAN_START + _OPENING + "*" + _DIGIT + "(?:" + _SEPARATOR + "*" + _DIGIT + "){10,}" + _CHECK_CHARACTER + "?",
    re.IGNORECASE)
# Inside a span: each run of digits with what stands before it (read escape by escape, so that
# the hex digits of "%20" are never taken for digits).
_GROUP = re.compile("(?:" + _OPENING + "|" + _SEPARATOR + ")*(" + _DIGIT + "+" + _CHECK_CHARACTER + "?)",
                    re.IGNORECASE)
_ESCAPE = re.compile(r"%[0-9A-F]{2}", re.IGNORECASE)
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")
_CHECK_TAIL = re.compile(_CHECK_CHARACTER + r"\Z", re.IGNORECASE)

# GB 11643 resident ID (18 characters, last may be X), mainland mobile, bank card (16–19 digits).
_ID_NUMBER = re.compile(r"[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_BANK_CARD = re.compile(r"[3-6][0-9]{15,18}")
# Between the groups of an ID or card number: spaces, dashes and "+" (a space in a query string).
# A dot there is a version, a float or an address; "138.1234.5678" is a mobile number, though.
_GROUP_SEPARATORS = frozenset(" +-\u2010\u2011\u2012\u2013\u2014\u2015")
_MOBILE_PREFIXES = ("0086", "86")
_MAX_DIGITS = 19
# Mobile (11, with 86 or 0086: 13, 15), ID (17 and a check character, or 18), card (16–19).
_IDENTIFIER_LENGTHS = frozenset((11, 13, 15, 16, 17, 18, 19))


def _decoded(text: str) -> str:
    return unicodedata.normalize("NFKC", unquote(text))


class _Group:
    """One run of digits in a span: where it is in the line, what it says, what stands before it."""

    __slots__ = ("start", "end", "digits_end", "digits", "check", "separator")

    def __init__(self, match, *, is_first: bool):
        self.start, self.end = match.span(1)
        self.separator = "" if is_first else _decoded(match.string[match.start():self.start])
        tail = _CHECK_TAIL.search(match.group(1))
        self.digits_end = tail.start() + self.start if tail else self.end
        self.check = "X" if tail else ""
        self.digits = _decoded(match.string[self.start:self.digits_end])


def _identifier(groups, first: int, last: int, *, is_open_before: bool, is_open_after: bool):
    """(kind, masked form, end in the line) of what groups[first..last] spell, or None."""
    chosen = groups[first:last + 1]
    digits = "".join(group.digits for group in chosen)
    only_spaces_and_dashes = all(set(group.separator) <= _GROUP_SEPARATORS for group in chosen[1:])
    end_group = chosen[-1]
    id_number = digits + end_group.check
    if is_open_before and is_open_after and only_spaces_and_dashes and _ID_NUMBER.fullmatch(id_number):
        return "id", mask_id_number(id_number), end_group.end
    if only_spaces_and_dashes and _BANK_CARD.fullmatch(digits) and (
            len(chosen) == 1 or (all(len(group.digits) == 4 for group in chosen[:-1]) and len(end_group.digits) <= 4)):
        return "card", mask_bank_card(digits), end_group.digits_end
    number, number_groups = digits, chosen
    if len(chosen) > 1 and chosen[0].digits in _MOBILE_PREFIXES:
        number, number_groups = digits[len(chosen[0].digits):], chosen[1:]
    elif len(digits) > 11:
        number = next((digits[len(prefix):] for prefix in _MOBILE_PREFIXES if digits.startswith(prefix)), digits)
    if not _MOBILE.fullmatch(number):
        return None
    if len(number_groups) > 1:
        # "138 1234 5678", "(138)1234-5678": groups of three digits or more; with dots only
        # 3-4-4 ("139.224.123.45" is an address, "13.123456789" a duration).
        if any(len(group.digits) < 3 for group in number_groups):
            return None
        if any("." in group.separator for group in number_groups[1:]) and \
                [len(group.digits) for group in number_groups] != [3, 4, 4]:
            return None
    return "mobile", mask_mobile(number), end_group.digits_end


def _redact_span(text: str, span) -> str:
    start = span.start()
    groups = [_Group(match, is_first=match.start() == start)
              for match in _GROUP.finditer(text, start, span.end())]
    is_open_before = start == 0 or not _ASCII_ALNUM.match(text, start - 1) or bool(
        start >= 3 and _ESCAPE.fullmatch(text, start - 3, start))
    is_open_after = not _ASCII_ALNUM.match(text, span.end())
    pieces, position, first = [], start, 0
    while first < len(groups):
        found, ends, digit_count = None, [], 0
        for last in range(first, len(groups)):
            digit_count += len(groups[last].digits)
            if digit_count > _MAX_DIGITS:
                break
            if digit_count in _IDENTIFIER_LENGTHS:
                ends.append(last)
            if last > first and len(groups[last].digits) < 3:
                break  # a group of one or two digits only opens ("86 …") or closes ("… 7890 12") a number
        for last in reversed(ends):  # the longest spelling first ("+86 138 …")
            found = _identifier(groups, first, last, is_open_before=first > 0 or is_open_before,
                                is_open_after=last < len(groups) - 1 or is_open_after)
            if found:
                break
        if found is None:
            first += 1
            continue
        kind, masked, end = found
        # A mobile number's opening "+" or "(" goes with it; the masked form has no prefix.
        region_start = start if kind == "mobile" and first == 0 else groups[first].start
        pieces += [text[position:region_start], masked]
        position, first = end, last + 1
    pieces.append(text[position:span.end()])
    return "".join(pieces)


def redact(text) -> str:
    """`text` with every mobile, resident ID and bank-card number masked, however it is spelled:
    separated ("138 1234 5678", "138-1234-5678", "(138)1234-5678", "6222 0212 3456 7890 123"),
    with a country prefix ("+86", "0086"), full-width, percent-encoded or form-encoded. Leaves
    timestamps, addresses, versions, durations, UUIDs and other short or dotted numbers alone."""
    text = str(text)
    return _SPAN.sub(lambda span: _redact_span(text, span), text)


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
