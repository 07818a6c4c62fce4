"""R2: the person downloads the answer to their copy request (the archive rights.copy_archive built)
through a short-lived link, and every download is recorded in the audit log.

Two steps, both signed in as the person: POST .../download-link returns a URL valid for
LINK_SECONDS (10 minutes, never past the result's own expiry); GET .../download?token=... streams
the ZIP. The token is signed (django.core.signing.TimestampSigner) under a salt naming the
enterprise schema, the request, its person and the stored file, so it opens that one result only,
for that person only, until the file is replaced. Another person's request, a request without a
result and an expired result are all the same 404: nothing tells whether a request exists.
"""
from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEnterpriseMember
from audit.context import Actor
from audit.recording import record_event
from core.errors import DomainError
from rights.models import RightsRequest

LINK_SECONDS = 10 * 60
MAX_TOKEN_LENGTH = 200


class ResultNotFound(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND


class InvalidDownloadLink(DomainError):
    code = "invalid_download_link"
    status_code = status.HTTP_400_BAD_REQUEST


class DownloadLinkExpired(DomainError):
    code = "download_link_expired"
    status_code = status.HTTP_410_GONE


def own_result(person, request_id: int) -> RightsRequest:
    """`person`'s own request `request_id` whose result can still be downloaded. Raises
    ResultNotFound (404) for another person's request, one without a result, or an expired one."""
    found = (RightsRequest.objects.filter(pk=request_id, person_id=person.pk)
             .exclude(result_file="").filter(result_expires_at__gt=timezone.now()).first())
    if found is None:
        raise ResultNotFound(_("There is no result to download for this request."))
    return found


def _signer(rights_request: RightsRequest) -> signing.TimestampSigner:
    salt = (f"rights.download:{connection.schema_name}:{rights_request.pk}:{rights_request.person_id}:"
            f"{rights_request.result_file.name}")
    return signing.TimestampSigner(salt=salt)


def download_token(rights_request: RightsRequest) -> str:
    return _signer(rights_request).sign(str(rights_request.pk))


def check_download_token(rights_request: RightsRequest, token: str) -> None:
    """Refuses (DomainError) a missing, malformed or forged token (400, naming `token`) and one older
    than LINK_SECONDS (410)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid_token()
    try:
        value = _signer(rights_request).unsign(token, max_age=timedelta(seconds=LINK_SECONDS))
    except signing.SignatureExpired:
        raise DownloadLinkExpired(_("This download link has expired. Ask for a new one.")) from None
    except signing.BadSignature:
        raise _invalid_token() from None
    if value != str(rights_request.pk):
        raise _invalid_token()


def _invalid_token() -> InvalidDownloadLink:
    message = _("This download link is not valid. Ask for a new one.")
    return InvalidDownloadLink(message, extra={"fields": {"token": [message]}})


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
        expires_at = min(timezone.now() + timedelta(seconds=LINK_SECONDS), rights_request.result_expires_at)
        path = reverse("api-rights-download", kwargs={"request_id": rights_request.pk})
        url = request.build_absolute_uri(f"{path}?token={download_token(rights_request)}")
        return Response(DownloadLinkSerializer({"url": url, "expires_at": expires_at}).data)


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
        check_download_token(rights_request, request.query_params.get("token", ""))
        name = rights_request.result_file.name
        if not default_storage.exists(name):
            raise ResultNotFound(_("There is no result to download for this request."))
        record_event(action="download", object_type=RightsRequest._meta.label_lower, object_id=rights_request.pk,
                     actor=Actor.for_user(request.user))
        return FileResponse(default_storage.open(name, "rb"), as_attachment=True, content_type="application/zip",
                            filename=f"my-information-{rights_request.pk}.zip")
