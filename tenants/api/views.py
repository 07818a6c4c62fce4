from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.throttling import client_address
from tenants import cessation, registration, selectors
from tenants.api.serializers import (EnterpriseLookupQuerySerializer, EnterpriseLookupSerializer,
                                     RegisteredEnterpriseSerializer, RegistrationCodeSerializer,
                                     RegistrationSerializer, SentRegistrationCodeSerializer,
                                     ServiceStatusSerializer)
from core.process_cache import redis_breaker


class LookupThrottle(AnonRateThrottle):
    """At most 60 lookups a minute per client address, counted in the cache Redis.

    Fails open while that Redis is unreachable (core.process_cache.redis_breaker): the lookup
    answers from the database then, uncounted, rather than with a 500; counting resumes when
    Redis answers again.
    """

    rate = "60/min"

    def allow_request(self, request, view) -> bool:
        counted = super().allow_request
        return redis_breaker.call(lambda: counted(request, view), on_failure=True)


class EnterpriseLookupView(APIView):
    """Tell a mobile client which host serves the enterprise with this code."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LookupThrottle]

    @extend_schema(
        parameters=[OpenApiParameter("code", str, required=True, description="Enterprise code")],
        responses={200: EnterpriseLookupSerializer},
        auth=[],
    )
    def get(self, request):
        query = EnterpriseLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        enterprise = selectors.enterprise_by_code(query.validated_data["code"])
        host = selectors.primary_host(enterprise) if enterprise else None
        if host is None:
            raise NotFound(_("No enterprise has this code."))
        port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
        body = {
            "code": enterprise.code,
            "name": enterprise.name,
            "host": host,
            "api_base_url": f"{settings.PUBLIC_SCHEME}://{host}{port}/api/v1/",
            "status": enterprise.status,
        }
        return Response(EnterpriseLookupSerializer(body).data)


class ServiceStatusView(APIView):
    """E10: whether the service's cessation is announced, for the app's notice; no sign-in needed.

    While an announcement is live every API response also carries the header
    `Service-Cessation: stop-on=YYYY-MM-DD` (tenants.collection_stop).
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    # The notice is for everybody, before accepting a policy or changing a reset password too.
    policy_acceptance_exempt = True
    password_change_exempt = True

    @extend_schema(responses={200: ServiceStatusSerializer}, auth=[], summary="Service status (cessation notice)")
    def get(self, request):
        notice = cessation.current_cessation()
        body = {"cessation": None if notice is None else {
            "stop_on": notice.stop_on, "message": notice.message, "collection_stopped": notice.collection_stopped()}}
        return Response(ServiceStatusSerializer(body).data)


class RegistrationCodeView(APIView):
    """E1: send the registrant's mobile number a one-time code (step 1 of registering an enterprise)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=RegistrationCodeSerializer, responses={202: SentRegistrationCodeSerializer}, auth=[],
                   summary="Register an enterprise: send the code")
    def post(self, request):
        payload = RegistrationCodeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sent = registration.send_registration_code(mobile=payload.validated_data["mobile"],
                                                   client_address=client_address(request))
        body = {"mobile_masked": sent.mobile_masked, "expires_at": sent.expires_at}
        return Response(SentRegistrationCodeSerializer(body).data, status=202)


class RegistrationView(APIView):
    """E1: register an enterprise; the registrant becomes its manager and is told its console URL."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=RegistrationSerializer, responses={201: RegisteredEnterpriseSerializer}, auth=[],
                   summary="Register an enterprise")
    def post(self, request):
        payload = RegistrationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        registered = registration.register_enterprise(**payload.validated_data, client_address=client_address(request))
        port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
        body = {"code": registered.enterprise.code, "name": registered.enterprise.name, "host": registered.host,
                "console_url": registered.console_url,
                "api_base_url": f"{settings.PUBLIC_SCHEME}://{registered.host}{port}/api/v1/",
                "missing_basic_details": registered.enterprise.missing_basic_details}
        return Response(RegisteredEnterpriseSerializer(body).data, status=201)
