from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ApplicationSwitchedOn, IsEnterpriseMember
from consent.api.openapi import consent_required_response
from consent.api.serializers import RefusalSerializer
from fieldwork import selectors, services
from fieldwork.api.serializers import (
    CheckInVisitRequestSerializer,
    CheckOutVisitRequestSerializer,
    CustomerSerializer,
    ReportRequestSerializer,
    ReportSerializer,
    VisitPhotoRequestSerializer,
    VisitPhotoSerializer,
    VisitSerializer,
)

PAGE = 100
APPLICATION_OFF = ("Also 403 `application_not_authorised` (E6) while the enterprise has the field-visits "
                   "application switched off for the signed-in person.")


def _application_off() -> OpenApiResponse:
    return OpenApiResponse(response=RefusalSerializer, description=APPLICATION_OFF)


class FieldworkAPIView(APIView):
    """Every field-work endpoint's base: E6 at one point. The caller is a member of the enterprise
    whose field-visits application (visits and reports, as the catalogue describes it) is switched
    on for them — 403 `application_not_authorised` otherwise — checked before anything the endpoint
    adds; an endpoint cannot drop the check by listing its own permissions."""

    application = "field-visits"  # its code in the application catalogue (orgdata.catalogue)
    application_refusal = gettext_lazy("The field visits application is switched off for you.")
    permission_classes = ()

    def get_permissions(self):
        return [IsEnterpriseMember(), ApplicationSwitchedOn(), *super().get_permissions()]


class CustomersView(FieldworkAPIView):
    """A1: the customers one may check in at."""

    @extend_schema(parameters=[OpenApiParameter("search", str, description="Part of a name or address.")],
                   responses={200: CustomerSerializer(many=True), 403: _application_off()})
    def get(self, request):
        search = (request.query_params.get("search") or "").strip()[:100]
        return Response(CustomerSerializer(selectors.active_customers(search=search)[:PAGE], many=True).data)


class VisitsView(FieldworkAPIView):
    """A1: one's visit log (optionally at one customer), and checking in at a customer."""

    @extend_schema(parameters=[OpenApiParameter("customer", int, description="Only visits to this customer.")],
                   responses={200: VisitSerializer(many=True), 403: _application_off()})
    def get(self, request):
        customer = request.query_params.get("customer")
        customer_id = int(customer) if customer and customer.isdigit() else None
        visits = selectors.visits_of(request.user, customer_id=customer_id)[:PAGE]
        return Response(VisitSerializer(visits, many=True, context={"request": request}).data)

    @extend_schema(request=CheckInVisitRequestSerializer, responses={
        201: VisitSerializer,
        403: consent_required_response("Only when a GPS `location` is sent (device.location). " + APPLICATION_OFF),
    })
    def post(self, request):
        payload = CheckInVisitRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        visit = services.check_in_visit(actor=request.user, customer_id=data["customer"],
                                        location=data.get("location"), place=data.get("place", ""),
                                        note=data.get("note", ""))
        return Response(VisitSerializer(visit, context={"request": request}).data, status=201)


class VisitCheckOutView(FieldworkAPIView):
    """A1: checking out of one's own open visit."""

    @extend_schema(request=CheckOutVisitRequestSerializer, responses={
        200: VisitSerializer,
        403: consent_required_response("Only when a GPS `location` is sent (device.location). " + APPLICATION_OFF),
        404: OpenApiResponse(response=RefusalSerializer, description="Not one's own visit."),
        409: OpenApiResponse(response=RefusalSerializer, description="`visit_not_open`: already checked out."),
    })
    def post(self, request, pk: int):
        payload = CheckOutVisitRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        visit = services.check_out_visit(actor=request.user, visit_id=pk, location=data.get("location"),
                                         place=data.get("place", ""), note=data.get("note"))
        return Response(VisitSerializer(visit, context={"request": request}).data)


class VisitPhotosView(FieldworkAPIView):
    """A1/C3: a photo of one's own open visit, only with camera consent."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": VisitPhotoRequestSerializer}, responses={
        201: VisitPhotoSerializer,
        403: consent_required_response("Camera consent (device.camera). " + APPLICATION_OFF),
        404: OpenApiResponse(response=RefusalSerializer, description="Not one's own visit."),
        409: OpenApiResponse(response=RefusalSerializer, description="`visit_not_open`: already checked out."),
    })
    def post(self, request, pk: int):
        payload = VisitPhotoRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        photo = services.add_visit_photo(actor=request.user, visit_id=pk, image=payload.validated_data["image"])
        return Response(VisitPhotoSerializer(photo).data, status=201)


class ReportsView(FieldworkAPIView):
    """A1: one's daily and weekly reports, and submitting one (JSON, or multipart with files)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: ReportSerializer(many=True), 403: _application_off()})
    def get(self, request):
        reports = selectors.reports_of(request.user)[:PAGE]
        return Response(ReportSerializer(reports, many=True, context={"request": request}).data)

    @extend_schema(request={"application/json": ReportRequestSerializer,
                            "multipart/form-data": ReportRequestSerializer}, responses={
        201: ReportSerializer,
        403: consent_required_response("Only when a GPS `location` is sent (device.location). " + APPLICATION_OFF),
    })
    def post(self, request):
        data = request.data
        if hasattr(data, "getlist"):  # multipart: several files under one name
            data = {**{key: data.get(key) for key in data.keys()}, "attachments": data.getlist("attachments")}
        payload = ReportRequestSerializer(data=data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        report = services.submit_report(actor=request.user, kind=data["kind"], period_start=data["period_start"],
                                        body=data["body"], figures=data.get("figures"),
                                        location=data.get("location"), place=data.get("place", ""),
                                        attachments=data.get("attachments", ()))
        return Response(ReportSerializer(report, context={"request": request}).data, status=201)
