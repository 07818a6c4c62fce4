"""One mapping from errors to API responses: 4xx with field-level messages, never a bare 500.

Services raise Django ValidationError (field by field) or a DomainError subclass with a stable
`code`; this handler turns both into the documented JSON shape:
    {"code": "...", "detail": "...", "fields": {"field": ["message", ...]}}
Unexpected exceptions become a 500 with no detail and a log line without request data.
"""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
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


def domain_error_body(exc: DomainError) -> dict:
    return {"code": exc.code, "detail": exc.detail or exc.code, **exc.extra}


def domain_error_response(exc: DomainError) -> JsonResponse:
    """The handler's answer to `exc`, for refusals made before a view runs (middleware)."""
    return JsonResponse(domain_error_body(exc), status=exc.status_code)


def _django_validation_fields(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [message for e in errors for message in e.messages]
                for field, errors in error.error_dict.items()}
    return {"non_field_errors": list(error.messages)}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status_code)
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
        logger.error("unhandled %s in %s", type(exc).__name__, type(view).__name__ if view else "?")
        return Response({"code": "server_error", "detail": _("Something went wrong on our side.")},
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"code": "invalid", "detail": _("Some fields are invalid."), "fields": fields}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"code": getattr(exc, "default_code", "error"), "detail": detail}
    return response
