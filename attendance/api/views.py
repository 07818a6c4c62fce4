from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ApplicationSwitchedOn, IsEnterpriseMember
from attendance import selectors, services
from attendance.api.openapi import APPLICATION_OFF, application_not_authorised_response
from attendance.api.serializers import (
    CheckInRequestSerializer,
    CheckInSerializer,
    FaceEnrolmentRequestSerializer,
    FaceEnrolmentSerializer,
    TrackingPingRequestSerializer,
    TrackingPingSerializer,
)
from consent.api.openapi import consent_required_response
from consent.api.serializers import RefusalSerializer
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
    """A1: check in or out — with GPS only under location consent, otherwise with a typed place; A2:
    with a face photo compared with the enrolled face (C5 consent); X7: with the device's risk report
    recorded only under the installed-app permission."""

    @extend_schema(responses={200: CheckInSerializer(many=True), 403: application_not_authorised_response()})
    def get(self, request):
        return Response(CheckInSerializer(selectors.check_ins_of(request.user)[:100], many=True).data)

    @extend_schema(request={"application/json": CheckInRequestSerializer,
                            "multipart/form-data": CheckInRequestSerializer}, responses={
        201: CheckInSerializer,
        403: consent_required_response(
            "When a GPS `location` is sent (device.location), or a `photo` (facial_recognition, C5). "
            "Also 403 `face_mismatch` when the photo does not show the enrolled person (A2). " + APPLICATION_OFF),
        503: OpenApiResponse(response=RefusalSerializer, description=(
            "`try_again`: the worker computing the photo's face did not answer within 10 s; nothing is "
            "recorded. Retry after the `Retry-After` header's seconds.")),
    })
    def post(self, request):
        payload = CheckInRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        record = services.check_in(person=request.user, kind=data["kind"], location=data.get("location"),
                                   place=data.get("place", ""), photo=data.get("photo"),
                                   device_report=data.get("device_report"))
        return Response(CheckInSerializer(record).data, status=201)


class FaceEnrolmentView(AttendanceAPIView):
    """A2/C5: the person's enrolled face. GET shows where it stands and what happens to the photo
    (before enrolling too); POST sends the base photo (computed in the background: 202);
    DELETE removes it (embedding and any kept photo)."""

    consent_purposes = ("facial_recognition",)  # C5: asked of POST only (see get_permissions)

    def get_permissions(self):
        # Reading where one's enrolment stands and deleting it need no consent; sending a face does.
        permissions = super().get_permissions()
        return [*permissions, ConsentPermission()] if self.request.method == "POST" else permissions

    @staticmethod
    def _shown(person) -> dict:
        enrolment = selectors.face_enrolment_of(person)
        keeps_base_photo = enrolment.keeps_base_photo if enrolment else services.tracking_settings().keeps_face_base_photo
        return {
            "status": enrolment.status if enrolment else "none", "failure": enrolment.failure if enrolment else "",
            "failure_message": services.face_failure_message(enrolment.failure if enrolment else ""),
            "keeps_base_photo": keeps_base_photo, "photo_notice": services.face_photo_notice(keeps_base_photo),
            "requested_at": enrolment.requested_at if enrolment else None,
            "enrolled_at": enrolment.enrolled_at if enrolment else None,
        }

    @extend_schema(responses={200: FaceEnrolmentSerializer, 403: application_not_authorised_response()})
    def get(self, request):
        return Response(FaceEnrolmentSerializer(self._shown(request.user)).data)

    @extend_schema(request={"multipart/form-data": FaceEnrolmentRequestSerializer}, responses={
        202: FaceEnrolmentSerializer,
        403: consent_required_response("Needs facial_recognition consent (C5). " + APPLICATION_OFF)})
    def post(self, request):
        payload = FaceEnrolmentRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.enrol_face(actor=request.user, person=request.user, photo=payload.validated_data["photo"])
        return Response(FaceEnrolmentSerializer(self._shown(request.user)).data, status=202)

    @extend_schema(responses={204: None, 403: application_not_authorised_response()})
    def delete(self, request):
        services.delete_face_enrolment(actor=request.user, person=request.user)
        return Response(status=204)


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
