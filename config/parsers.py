"""The API's JSON parser: refuses, as a 400, what would otherwise fail later as a 500.

Nesting deeper than MAX_JSON_DEPTH (Python's recursion limit, and no API body needs it) and NUL in
any key or string (PostgreSQL cannot store it). Form bodies are checked by config.request_limits.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing what would otherwise fail later as a 500: nesting deeper than
    MAX_JSON_DEPTH (Python's recursion limit) and NUL in a key or string (PostgreSQL)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply."))
        _check_depth_and_characters(data)
        return data


def _check_depth_and_characters(data) -> None:
    # Iterative: the check itself must not recurse as deeply as the body it refuses.
    pending = [(data, 1, "")]
    while pending:
        value, depth, name = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ParseError(_("The JSON body is nested too deeply."))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    raise _invalid(f"{name}.{key}".lstrip(".").replace("\x00", "?"))
                pending.append((item, depth + 1, f"{name}.{key}".lstrip(".")))
        elif isinstance(value, str) and "\x00" in value:
            raise _invalid(name or "non_field_errors")


def _invalid(name: str):
    # Not at import: core.errors imports rest_framework.views, whose APIView reads this parser from
    # the DRF settings while core.errors is still loading.
    from core.errors import InvalidCharacters

    return InvalidCharacters(names=[name])
