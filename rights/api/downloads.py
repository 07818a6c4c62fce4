"""R2: the person downloads the answer to their copy request (the archive rights.copy_archive built)
through a short-lived link, and every download is recorded in the audit log (rights.results).

Two steps, both signed in as the person: POST .../download-link returns a URL valid for
LINK_SECONDS (10 minutes, never past the result's own expiry); GET .../download?token=... streams
the ZIP, opened from its sealed file as it is streamed. The token (rights.results) opens that one
result only, for that person only, until the file is replaced. Another person's request, a request without a
result and an expired result are all the same 404: nothing tells whether a request exists.
"""
from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEnterpriseMember
from rights import results
from rights.models import RightsRequest


def own_result(person, request_id: int) -> RightsRequest:
    """`person`'s own request `request_id` whose result can still be downloaded. Raises
    ResultNotFound (404) for another person's request, one without a result, or an expired one."""
    return results.with_result(RightsRequest.objects.filter(pk=request_id, person_id=person.pk))


class DownloadLinkSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Download address (GET, signed in as the same person).")
    expires_at = serializers.DateTimeField(help_text="The link works until then (10 minutes at most).")


_NOT_FOUND = OpenApiResponse(description="`not_found`: no result to download (none yet, expired, or not your request).")


class DownloadLinkView(APIView):
    """R2: a link, valid 10 minutes, to download the answer to my copy request."""

    permission_classes = [IsEnterpriseMember]
    policy_acceptance_exempt = True  # a right is exercised whatever the person has accepted

    @extend_schema(request=None, responses={200: DownloadLinkSerializer, 404: _NOT_FOUND})
    def post(self, request, request_id: int):
        rights_request = own_result(request.user, request_id)
        path = reverse("api-rights-download", kwargs={"request_id": rights_request.pk})
        url = request.build_absolute_uri(f"{path}?token={results.download_token(rights_request, request.user)}")
        return Response(DownloadLinkSerializer({"url": url, "expires_at": results.link_expires_at(rights_request)}).data)


class DownloadView(APIView):
    """R2: download the answer to my copy request (a ZIP); every download is recorded in the audit log."""

    permission_classes = [IsEnterpriseMember]
    policy_acceptance_exempt = True  # a right is exercised whatever the person has accepted

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True,
                                     description="From POST .../download-link.")],
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="`invalid_download_link`: the token is missing or not valid."),
            404: _NOT_FOUND,
            410: OpenApiResponse(description="`download_link_expired`: the link is older than 10 minutes."),
        })
    def get(self, request, request_id: int):
        rights_request = own_result(request.user, request_id)
        return results.stream(rights_request, downloader=request.user, token=request.query_params.get("token", ""),
                              filename=f"my-information-{rights_request.pk}.zip")
