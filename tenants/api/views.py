from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from tenants import cessation, selectors
from tenants.api.serializers import (EnterpriseLookupQuerySerializer, EnterpriseLookupSerializer,
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
