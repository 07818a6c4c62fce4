from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ApplicationSwitchedOn, IsEnterpriseMember
from attendance import selectors, services
from attendance.api.openapi import APPLICATION_OFF, application_not_authorised_response
from attendance.api.serializers import (
    CheckInRequestSerializer,
    CheckInSerializer,
    TrackingPingRequestSerializer,
    TrackingPingSerializer,
)
from consent.api.openapi import consent_required_response
from consent.gate import ConsentPermission


class AttendanceAPIView(APIView):
    """Every attendance endpoint's base: E6 at one point. The caller is a member of the enterprise
    whose attendance application is switched on (403 `application_not_authorised` otherwise),
    checked before whatever the endpoint adds in `permission_classes` (consent, ...); an endpoint
    cannot drop the check by listing its own."""

    application = "attendance"  # its code in the application catalogue (orgdata.catalogue)
    application_refusal = gettext_lazy("The attendance application is switched off for you.")
    permission_classes = ()

    def get_permissions(self):
        return [IsEnterpriseMember(), ApplicationSwitchedOn(), *super().get_permissions()]


class CheckInView(AttendanceAPIView):
    """A1: check in or out — with GPS only under location consent, otherwise with a typed place."""

    @extend_schema(responses={200: CheckInSerializer(many=True), 403: application_not_authorised_response()})
    def get(self, request):
        return Response(CheckInSerializer(selectors.check_ins_of(request.user)[:100], many=True).data)

    @extend_schema(request=CheckInRequestSerializer, responses={
        201: CheckInSerializer,
        403: consent_required_response("Only when a GPS `location` is sent (device.location). " + APPLICATION_OFF),
    })
    def post(self, request):
        payload = CheckInRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        record = services.check_in(person=request.user, kind=data["kind"], location=data.get("location"),
                                   place=data.get("place", ""))
        return Response(CheckInSerializer(record).data, status=201)


class TrackingPingView(AttendanceAPIView):
    """A3/C4: one location-tracking ping; accepted only with tracking on and the person's consent."""

    permission_classes = [ConsentPermission]
    consent_purposes = ("location_tracking",)

    @extend_schema(request=TrackingPingRequestSerializer, responses={
        201: TrackingPingSerializer,
        403: consent_required_response("Also 403 `tracking_off` while the enterprise has tracking switched off. "
                                       + APPLICATION_OFF)})
    def post(self, request):
        payload = TrackingPingRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ping = services.record_tracking_ping(person=request.user, location=payload.validated_data["location"])
        return Response(TrackingPingSerializer(ping).data, status=201)
