from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services, verification
from accounts.errors import AccountLeftCompany, GuardianConsentRequired, InvalidCredentials
from accounts.throttling import note_login_identifier
from accounts.api.serializers import (
    DeviceSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    LogoutAllResponseSerializer,
    PasswordChangeSerializer,
    ProfileSerializer,
    VerificationCodeRequestSerializer,
    VerificationCodeSentSerializer,
)
from accounts.permissions import IsEnterpriseMember


class LoginView(APIView):
    """Sign in with mobile number and password; the token is bound to `device_id` (X6).

    The first sign-in from a device this account has never used answers 403
    `device_verification_required` after the password is right, and sends a 6-digit code by SMS to
    the account's mobile number; the same request repeated with `code` signs in.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, auth=[], responses={
        200: LoginResponseSerializer,
        400: OpenApiResponse(description="Field errors; `code_incorrect`, `code_expired`, `code_missing`, "
                                         "`code_attempts_exhausted`: the SMS code (field `code`) was refused."),
        401: OpenApiResponse(description="`invalid_credentials`: the mobile number or password is incorrect."),
        403: OpenApiResponse(description="`account_left_company`: the right password, but the account was "
                                         "disabled because its holder left the company. "
                                         "`guardian_consent_required` (M1): the right password, but the account "
                                         "is a minor's and stays inactive until a guardian's consent is recorded. "
                                         "`device_verification_required` (X6): the first sign-in from this "
                                         "device; a code was sent by SMS to `mobile_masked`: repeat the "
                                         "request with `code`."),
        429: OpenApiResponse(description="`login_locked`: too many failed sign-ins; wait for the cool-off. "
                                         "`verification_throttled`: a code was sent too recently or too often "
                                         "(`retry_after` seconds)."),
    })
    def post(self, request):
        credentials = LoginSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = credentials.validated_data
        # Django's request: axes counts failures on it (per mobile digest and address).
        note_login_identifier(request._request, data["mobile"].strip())
        user = authenticate(request._request, username=data["mobile"].strip(), password=data["password"])
        if user is None or not user.is_active:
            if selectors.is_disabled_account(mobile=data["mobile"].strip(), password=data["password"]):
                raise AccountLeftCompany(_("This account was closed because you left the company. "
                                           "Ask your administrator if you have been rehired."))
            raise InvalidCredentials(_("Mobile number or password is incorrect."))
        if user.awaits_guardian_consent:
            # M1: the right password, but a minor's account is inactive until a guardian consents.
            raise GuardianConsentRequired(_("You are under 18: your account can be used once your guardian's "
                                            "consent is recorded by your enterprise's administrator."))
        # X6: a device this account has never used proves the mobile number first.
        verification.require_known_device(person=user, device_id=data["device_id"], code=data["code"])
        issued = services.issue_device_token(person=user, device_id=data["device_id"], device_name=data["device_name"])
        # The console's login() sends this; the API signs in without a session, so it says so itself
        # (audit entry, last_login, login throttling reset).
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        body = {"token": issued.token, "expires_at": issued.record.expires_at,
                "device_id": issued.record.device_id, "user": user}
        return Response(LoginResponseSerializer(body).data)


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.revoke_device_token(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereView(APIView):
    """Revoke every token of the signed-in person, on every device, and end their console sessions."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(request=None, responses={200: LogoutAllResponseSerializer})
    def post(self, request):
        revoked = services.sign_out_everywhere(person=request.user)
        return Response({"revoked": revoked})


class MeView(APIView):
    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: ProfileSerializer})
    def get(self, request):
        return Response(ProfileSerializer(request.user).data)


class DeviceListView(APIView):
    """Devices currently signed in to this account."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: DeviceSerializer(many=True)})
    def get(self, request):
        devices = selectors.active_devices_of(request.user)
        return Response(DeviceSerializer(devices, many=True, context={"request": request}).data)


class PasswordChangeView(APIView):
    """Change my password (X3: the new one must be complex; E5: this ends a forced change)."""

    permission_classes = [IsEnterpriseMember]
    # Account security, like signing in and out: open even while C8 waits for the policy to be
    # accepted, so neither gate can hold a person who owes both. (E5's gate exempts this view
    # by URL name in accounts.middleware.)
    policy_acceptance_exempt = True

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={204: None, 400: OpenApiResponse(description="Field errors: `old_password`, `new_password`.")},
        description=(
            "Replace the signed-in person's password. After an administrator reset it, "
            "`must_change_password` is true in the login response and every other call except "
            "signing out and reading or accepting the privacy policy answers 403 with code "
            "`password_change_required` until this succeeds. The new password must be complex "
            "and differ from the current one. The token this call was made with stays valid; "
            "every other token and console session of the person ends."
        ),
    )
    def post(self, request):
        payload = PasswordChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # This device keeps its token; every other token and console session of the person ends.
        services.change_password(person=request.user, keeping=request.auth, **payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerificationCodeView(APIView):
    """Send a one-time code by SMS to the signed-in person's mobile number (R8: a rights request
    is confirmed with the password and this code)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(
        request=VerificationCodeRequestSerializer,
        responses={
            201: VerificationCodeSentSerializer,
            400: OpenApiResponse(description="Field errors: `purpose`."),
            429: OpenApiResponse(description="`verification_throttled`: a code for this was sent less than a "
                                             "minute ago, or ten were sent to this number today "
                                             "(`retry_after` seconds)."),
            503: OpenApiResponse(description="`sms_unavailable`: the text message could not be sent."),
        },
        description=("Sends a 6-digit code, valid for a few minutes and for one use, to the mobile number of "
                     "the signed-in account. Only the newest code of a purpose is accepted; five wrong "
                     "answers end it."),
    )
    def post(self, request):
        payload = VerificationCodeRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sent = verification.send_code(actor=request.user, person=request.user, purpose=payload.validated_data["purpose"])
        return Response(VerificationCodeSentSerializer(sent).data, status=status.HTTP_201_CREATED)
