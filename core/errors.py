"""One mapping from errors to API responses: 4xx with field-level messages, never a bare 500.

Services raise Django ValidationError (field by field) or a DomainError subclass with a stable
`code`; this handler turns both into the documented JSON shape:
    {"code": "...", "detail": "...", "fields": {"field": ["message", ...]}}
Unexpected exceptions become a 500 with no detail (503 when the database cannot be reached), and
their traceback goes to the server log, masked by privacy.redaction's formatter like every line.
Errors raised before a view runs (middleware) reach `server_error`, the URL confs' handler500,
which answers API paths in the same shape.

The console's mapping is here too (see the end): `ConsoleRefusalMiddleware` turns a refusal into
its page (403, 404, sign-in, or a page naming the problem), `try_service` runs a service for a
console form and puts its refusal onto the form. Every error page (400, 403, 404, 500, a CSRF
failure, a refusal) is drawn by `error_page`: the console's layout, what happened in the reader's
language, and the way out (dashboard, sign out, sign in, open the page again).
"""
import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("api.errors")


class DomainError(Exception):
    """A business rule refused the request; subclasses set `code` and `status_code`."""

    code = "refused"
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str = "", *, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotPermitted(DomainError):
    code = "not_permitted"
    status_code = status.HTTP_403_FORBIDDEN


# --- a file being read (core.tabular): refused before any row is used -------------------------------

class UnreadableFile(ValueError):
    """The upload is not a CSV or XLSX file this importer can read (message is user-facing)."""


class FileRefused(UnreadableFile):
    """The file breaks one of core.tabular's hard limits; it is refused before anything more is
    read (message is user-facing and names the limit)."""


class BadCell(UnreadableFile):
    """One cell cannot be imported at all (e.g. a NUL character): `row` as the spreadsheet
    numbers it, `column` counted from 1 (message is user-facing)."""

    def __init__(self, row: int, column: int, message: str):
        super().__init__(message)
        self.row, self.column = row, column


class InvalidCharacters(DomainError):
    """A value holds a control character (NUL, line breaks where none belong, ...)."""

    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, *, names: list[str]):
        self.explanation = _("Control characters (such as NUL) are not allowed here.")
        super().__init__(_("Some fields are invalid."), extra={"fields": {name: [self.explanation] for name in names}})


class RequestTooLarge(DomainError):
    code = "too_large"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE

    def __init__(self):
        super().__init__(_("The request is too large."))


class MalformedRequest(DomainError):
    """Too many fields, too deeply nested, or otherwise not a request we can read."""

    code = "bad_request"
    status_code = status.HTTP_400_BAD_REQUEST


def domain_error_body(exc: DomainError) -> dict:
    return {"code": exc.code, "detail": exc.detail or exc.code, **exc.extra}


def _retry_after_headers(exc: DomainError) -> dict | None:
    retry_after = exc.extra.get("retry_after")
    return {"Retry-After": str(retry_after)} if retry_after is not None else None


def domain_error_response(exc: DomainError) -> JsonResponse:
    """The handler's answer to `exc`, for refusals made before a view runs (middleware)."""
    return JsonResponse(domain_error_body(exc), status=exc.status_code, headers=_retry_after_headers(exc))


def _django_validation_fields(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [message for e in errors for message in e.messages]
                for field, errors in error.error_dict.items()}
    return {"non_field_errors": list(error.messages)}


def _is_nul_refused_by_postgresql(exc: Exception) -> bool:
    # psycopg refuses to send a text value holding NUL ("... cannot contain NUL (0x00) bytes"):
    # psycopg 3 as a DataError, psycopg 2 as a ValueError.
    return isinstance(exc, (ValueError, DataError)) and "NUL (0x00)" in str(exc)


def _last_resort(exc: Exception) -> DomainError | None:
    """The refusal for input that request_limits should have stopped before the view, or None."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):  # TooManyFieldsSent, TooManyFilesSent, ...
        return MalformedRequest(_("The request could not be read."))
    if _is_nul_refused_by_postgresql(exc):
        return InvalidCharacters(names=["non_field_errors"])
    return None


def _server_error_body(exc: BaseException | None) -> tuple[dict, int]:
    if isinstance(exc, (OperationalError, InterfaceError)):
        return ({"code": "unavailable", "detail": _("The service is briefly unavailable. Try again shortly.")},
                status.HTTP_503_SERVICE_UNAVAILABLE)
    return {"code": "server_error", "detail": _("Something went wrong on our side.")}, status.HTTP_500_INTERNAL_SERVER_ERROR


def server_error(request, *args, **kwargs):
    """handler500: errors raised outside a DRF view (middleware). JSON on API paths, the error page
    elsewhere (a plain one when even that cannot be drawn, e.g. the database is away). Django has
    logged the traceback already (logger django.request)."""
    exc = sys.exc_info()[1]
    body, status_code = _server_error_body(exc)
    if request.path.startswith("/api/"):
        return JsonResponse(body, status=status_code)
    try:
        if status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            return error_page(request, status=status_code, title=_("The service is briefly unavailable"),
                              explanation=_("Try again in a moment. Nothing you did caused this."))
        return error_page(request, status=status_code, title=_("Something went wrong on our side"),
                          explanation=_("The page could not be shown. Nothing you did caused this; try again in a "
                                        "moment. If it keeps happening, tell your administrator when it happened."))
    except Exception:  # the page needs the database (who is signed in): the plain page then
        logger.warning("the error page could not be drawn; the plain page was sent")
        return defaults.server_error(request, *args, **kwargs)


def bad_request(request, exception, *args, **kwargs):
    """handler400: a SuspiciousOperation raised outside a DRF view; JSON on API paths."""
    if request.path.startswith("/api/"):
        refusal = _last_resort(exception) or MalformedRequest(_("The request could not be read."))
        return domain_error_response(refusal)
    return error_page(request, status=status.HTTP_400_BAD_REQUEST, title=_("The request could not be read"),
                      explanation=_("Something in what was sent could not be read. Open the page again and retry."),
                      retry_path=_same_site_path(request))


def permission_denied(request, exception, *args, **kwargs):
    """handler403: a page the signed-in person may not open (e.g. a sub-administrator whose role was
    withdrawn while signed in). JSON on API paths; elsewhere the layout, what happened, the refusal's
    own words when it has some, and the way out (dashboard when they may use the console, sign out)."""
    if request.path.startswith("/api/"):
        return domain_error_response(NotPermitted(str(exception) or _("You do not have permission to do this.")))
    return error_page(request, status=status.HTTP_403_FORBIDDEN, title=_("You cannot open this page"),
                      explanation=_("Your account may not open this page. If your administrator role was changed "
                                    "or removed while you were signed in, sign out; the enterprise manager can "
                                    "tell you what changed."),
                      detail=str(exception or ""))


def csrf_failure(request, reason: str = "", *args, **kwargs):
    """CSRF_FAILURE_VIEW: a form sent from a page that was open too long, or from before a sign-in or
    sign-out in another tab. Nothing was done; the page says so and offers to open it again."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "csrf_failed", "detail": _("The form has expired. Reload and try again.")},
                            status=status.HTTP_403_FORBIDDEN)
    return error_page(request, status=status.HTTP_403_FORBIDDEN, title=_("This form has expired"),
                      explanation=_("The page was open for a long time, or you signed in or out in another tab, "
                                    "so the form was not accepted and nothing was changed. Open the page again "
                                    "and repeat what you did."),
                      retry_path=_same_site_path(request))


class UnknownAddress(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND


def page_not_found(request, exception, *args, **kwargs):
    """handler404: an address no route serves, or something outside the reader's scope (answered as
    if absent: the page never repeats the exception's words); JSON on API paths."""
    if request.path.startswith("/api/"):
        return domain_error_response(UnknownAddress(_("Not found.")))
    return error_page(request, status=status.HTTP_404_NOT_FOUND, title=_("Page not found"),
                      explanation=_("This page does not exist, or what it shows is not among what you "
                                    "administer. Check the address, or go back to the dashboard."))


# --- error pages: the layout, what happened in the reader's language, and the way out ----------------

def _is_platform_host(request) -> bool:
    return getattr(request, "urlconf", None) == settings.PUBLIC_SCHEMA_URLCONF


def _same_site_path(request) -> str:
    """The request's path when it is safe to link back to (never "//host", which leaves the site)."""
    path = request.path
    return path if path.startswith("/") and not path.startswith("//") else ""


def error_page(request, *, status: int, title: str, explanation: str, detail: str = "",
               retry_path: str = "") -> HttpResponse:
    """Every console error page: base.html's layout (the enterprise's header and sign-out), the
    title and explanation, the refusal's own words (`detail`), and the ways out the reader has:
    the dashboard if they may use the console, sign out if signed in, sign in if not, and
    `retry_path` when opening the page again helps. On the platform host a plain page of its own."""
    template = "errors/platform.html" if _is_platform_host(request) else "errors/page.html"
    context = {"status": status, "title": title, "explanation": explanation, "detail": detail,
               "retry_path": retry_path}
    return HttpResponse(render_to_string(template, context, request=request), status=status)


def exception_handler(exc, context):
    exc = _last_resort(exc) or exc
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status_code, headers=_retry_after_headers(exc))
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"code": "invalid", "detail": _("Some fields are invalid."), "fields": _django_validation_fields(exc)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        # The traceback, for operators; the formatter masks identifiers in it (privacy.redaction).
        logger.error("unhandled %s in %s", type(exc).__name__, type(view).__name__ if view else "?",
                     exc_info=(type(exc), exc, exc.__traceback__))
        body, status_code = _server_error_body(exc)
        return Response(body, status=status_code)
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"code": "invalid", "detail": _("Some fields are invalid."), "fields": fields}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"code": getattr(exc, "default_code", "error"), "detail": detail}
    return response


# --- the console (server-rendered pages) ------------------------------------------------------------

class ConsoleRefusalMiddleware:
    """The console's one mapping of domain refusals: a DomainError a page lets through becomes a page
    with its status — 404 the site's not-found page ("not in your scope" answers as if absent), 403
    its forbidden page, 401 the sign-in page (a redirect), any other status (400, 409, 429, ...) the
    plain refusal page naming the problem; on API paths (views outside DRF), the JSON body the API
    handler gives. Views never map refusals; none ends as a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        if request.path.startswith("/api/"):
            return domain_error_response(exception)
        if exception.status_code == status.HTTP_404_NOT_FOUND:
            raise Http404(exception.detail) from None
        if exception.status_code == status.HTTP_403_FORBIDDEN:
            raise DjangoPermissionDenied(exception.detail) from None
        if exception.status_code == status.HTTP_401_UNAUTHORIZED:
            return redirect_to_login(request.get_full_path())
        return refusal_page(exception, request=request)


def refusal_page(refusal: DomainError, *, request=None) -> HttpResponse:
    """The page (console, admin) for a refusal that is not a 403 or 404: its status and what it
    refuses, in the active language; with the request, the error page's layout and ways out
    (middleware that refuses before the session is read passes none and gets a plain page)."""
    message = getattr(refusal, "explanation", "") or refusal.detail or refusal.code
    if request is not None:
        return error_page(request, status=refusal.status_code, title=_("Request refused"), explanation=message)
    page = render_to_string("request_refused.html", {"message": message, "status": refusal.status_code})
    return HttpResponse(page, status=refusal.status_code)


def try_service(form, action: Callable[[], object], *,
                describe: Callable[[DomainError], str] | None = None) -> bool:
    """Run `action` (a service call) for a console form; returns whether it succeeded. A refusal goes
    onto `form`: a ValidationError field by field (fields the form does not have at the top); a
    DomainError that names one of the form's fields in its `extra` (ConsentRequired's `purpose`) on
    that field; any other DomainError at the top, unless it is a page of its own (403, 404), which is
    re-raised for ConsoleRefusalMiddleware. `describe` words a DomainError for the form (default:
    its detail)."""
    try:
        action()
        return True
    except DjangoValidationError as error:
        _add_validation_errors(form, error)
    except DomainError as error:
        message = describe(error) if describe else (error.detail or error.code)
        named = [name for name in error.extra if name in form.fields]
        if named:
            for name in named:
                form.add_error(name, message)
        elif error.status_code in (status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND):
            raise
        else:
            form.add_error(None, message)
    return False


def _add_validation_errors(form, error: DjangoValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
