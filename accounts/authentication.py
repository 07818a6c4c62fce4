from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import DeviceToken

DEVICE_HEADER = "HTTP_X_DEVICE_ID"
# Touch last_used_at at most this often, so a busy client does not write on every request.
_LAST_USED_RESOLUTION = timezone.timedelta(minutes=5)


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <token>` plus `X-Device-Id`; the token works only from its device."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        raw = header[1].decode(errors="ignore")
        token = (
            DeviceToken.objects.select_related("user").filter(digest=DeviceToken.digest_of(raw)).first()
        )
        if token is None or not token.is_usable or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        if request.META.get(DEVICE_HEADER, "") != token.device_id:
            raise exceptions.AuthenticationFailed(_("This token was issued to another device."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
            DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


def authenticate_before_view(request, view_class):
    """The signed-in API user of `request` as `view_class` will see it, or None.

    For middleware that must know who calls before the view runs. Authenticates once: the view
    then reuses the result (DRF's forced authentication) instead of checking the token again.
    Authentication errors are left for the view to report.
    """
    drf_request = Request(request, authenticators=view_class().get_authenticators())
    try:
        user, token = drf_request.user, drf_request.auth
    except exceptions.APIException:
        return None
    if user is not None and getattr(user, "is_authenticated", False):
        request._force_auth_user, request._force_auth_token = user, token
        return user
    return None


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    """The two headers that go together (X6): Swagger's "Authorize" asks for both, and every
    signed-in operation requires both."""

    target_class = DeviceTokenAuthentication
    name = ["deviceToken", "deviceId"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <token>` (the word Token, a space, then the token) from "
                               "POST /api/v1/auth/login, sent together with the `X-Device-Id` header of "
                               "the device it was issued to.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Device-Id",
                "description": "The `device_id` sent to POST /api/v1/auth/login; a token works only with it.",
            },
        ]
