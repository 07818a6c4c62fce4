"""OpenAPI: the refusal every attendance endpoint can answer (E6, the base view in attendance.api.views)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from consent.api.serializers import RefusalSerializer

APPLICATION_OFF = ("Also 403 `application_not_authorised` (E6) while the enterprise has the attendance "
                   "application switched off for the signed-in person.")


def application_not_authorised_response() -> OpenApiResponse:
    return OpenApiResponse(response=RefusalSerializer, description=(
        "403 `application_not_authorised` (E6): the enterprise has the attendance application switched "
        "off for the signed-in person (GET /api/v1/me/applications lists the ones switched on)."))
