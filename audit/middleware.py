"""X4: every request binds the audit context, and every request is logged.

Placed right after tenant routing (and WhiteNoise, so static files are not logged): the access log
row goes into the enterprise's own schema, after the response is ready, through
audit.access_log (off the request path; see there). A failure to log is reported in the server
log and never turns a served request into an error. Audit-log entries are not written here: they
commit with the change they record (audit.recording).

Requests to the platform host (public schema: the staff admin, where support staff can reach
personal data, and the enterprise lookup) are logged the same way into the public schema's
platform access log (audit_anchors.PlatformAccessLogEntry).
"""
from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connection
from django.utils import timezone

from audit import access_log, context

logger = logging.getLogger(__name__)
MAX_PATH = 1024


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started_at = timezone.now()
        started = time.perf_counter()
        token = context.bind_request(request)
        try:
            response = self.get_response(request)
        finally:
            context.unbind_request(token)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            duration_ms = int((time.perf_counter() - started) * 1000)
            _write_access_log(request, response, tenant.schema_name, started_at, duration_ms)
        return response


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return None


def _storable(text):
    """PostgreSQL text cannot hold NUL; a refused request's path may (request_limits answers it)."""
    return text.replace("\x00", "\ufffd") if isinstance(text, str) else text


def _write_access_log(request, response, schema: str, started_at, duration_ms: int) -> None:
    facts = context.facts_of(request)  # again: LocaleMiddleware has set the language by now
    row = (started_at, _storable(request.method[:10]), _storable(request.path[:MAX_PATH]), response.status_code,
           _user_id(request), facts.ip, _storable(facts.user_agent), _storable(facts.language), duration_ms)
    if not connection.in_atomic_block:
        access_log.writer.put(schema, row)
        return
    try:
        access_log.write_now(schema, row)
    except DatabaseError as error:
        # The class name only: a database message could quote the row, i.e. personal data.
        logger.error("could not write the access log of %s (%s)", schema, type(error).__name__)
