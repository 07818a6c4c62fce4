"""The answer to a copy request, handed over through a short-lived link (R2, R7): the person's own
copy to the person (rights.api.downloads), a deceased person's copy to the administrator who hands
it to the relative (rights.console.views). Every download is recorded in the audit log.

The link's token is signed (django.core.signing.TimestampSigner) under a salt naming the enterprise
schema, the request, who downloads and the stored file, so it opens that one result only, for that
downloader only, until the file is replaced. The stored file is sealed under the person's data key
(rights.copy_archive) and opened only here, as it is streamed.
"""
from __future__ import annotations

import io
from datetime import timedelta

from django.core import signing
from django.db import connection
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from audit.context import Actor
from audit.recording import record_event
from core.errors import DomainError
from privacy.errors import KeyDestroyed, UnreadableValue
from rights import copy_archive
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


def not_found() -> ResultNotFound:
    return ResultNotFound(_("There is no result to download for this request."))


def with_result(requests) -> RightsRequest:
    """The one request of `requests` (a queryset already scoped to what the downloader may see)
    whose result can still be downloaded; ResultNotFound (404) otherwise."""
    found = requests.exclude(result_file="").filter(result_expires_at__gt=timezone.now()).first()
    if found is None:
        raise not_found()
    return found


def _signer(rights_request: RightsRequest, downloader) -> signing.TimestampSigner:
    salt = (f"rights.download:{connection.schema_name}:{rights_request.pk}:{downloader.pk}:"
            f"{rights_request.result_file.name}")
    return signing.TimestampSigner(salt=salt)


def link_expires_at(rights_request: RightsRequest):
    return min(timezone.now() + timedelta(seconds=LINK_SECONDS), rights_request.result_expires_at)


def download_token(rights_request: RightsRequest, downloader) -> str:
    return _signer(rights_request, downloader).sign(str(rights_request.pk))


def check_download_token(rights_request: RightsRequest, token: str, downloader) -> None:
    """Refuses (DomainError) a missing, malformed or forged token, or one made for someone else
    (400, naming `token`) and one older than LINK_SECONDS (410)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid_token()
    try:
        value = _signer(rights_request, downloader).unsign(token, max_age=timedelta(seconds=LINK_SECONDS))
    except signing.SignatureExpired:
        raise DownloadLinkExpired(_("This download link has expired. Ask for a new one.")) from None
    except signing.BadSignature:
        raise _invalid_token() from None
    if value != str(rights_request.pk):
        raise _invalid_token()


def _invalid_token() -> InvalidDownloadLink:
    message = _("This download link is not valid. Ask for a new one.")
    return InvalidDownloadLink(message, extra={"fields": {"token": [message]}})


def stream(rights_request: RightsRequest, *, downloader, token: str, filename: str) -> FileResponse:
    """The result opened and streamed to `downloader`, once the token is checked; the download is
    recorded in the audit log as theirs. A file gone, or one that no longer opens (the person was
    erased: their key is destroyed), is ResultNotFound."""
    check_download_token(rights_request, token, downloader)
    try:
        archive = copy_archive.read_result(rights_request)
    except (FileNotFoundError, KeyDestroyed, UnreadableValue):
        raise not_found() from None
    record_event(action="download", object_type=RightsRequest._meta.label_lower, object_id=rights_request.pk,
                 actor=Actor.for_user(downloader))
    return FileResponse(io.BytesIO(archive), as_attachment=True, content_type="application/zip", filename=filename)
