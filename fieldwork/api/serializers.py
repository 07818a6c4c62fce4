import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attendance.api.serializers import LocationSerializer
from fieldwork import services
from fieldwork.models import Customer, Report, Visit
from privacy.disclosure import shown_value
from privacy.serializers import SensitiveFieldsMixin


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.Field):
    """A JSON object, sent as JSON or (in a multipart upload) as a JSON string; the service checks
    what is inside."""

    default_error_messages = {"invalid": "Send a JSON object."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else None
            except (ValueError, RecursionError):  # RecursionError: "[" nested 100,000 deep
                self.fail("invalid")
        if data is not None and not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "address"]


class CheckInVisitRequestSerializer(serializers.Serializer):
    customer = serializers.IntegerField(help_text="A customer of GET /api/v1/field/customers.")
    location = LocationSerializer(required=False, allow_null=True,
                                  help_text="GPS fix; only with location consent (A1).")
    place = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="Typed place, when location is not shared.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CheckOutVisitRequestSerializer(serializers.Serializer):
    location = LocationSerializer(required=False, allow_null=True,
                                  help_text="GPS fix; only with location consent (A1).")
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 help_text="Replaces the visit's note when sent.")


class VisitPhotoRequestSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="PNG or JPEG, at most 2 MB and 4096 × 4096 pixels; only with "
                                            "camera consent (device.camera). Its metadata is removed by a "
                                            "worker: `status` is `pending` until then.")


class UploadCheckSerializer(serializers.Serializer):
    """Where the worker's check of one uploaded file stands: `pending` (being checked: an image is
    re-encoded without its metadata outside the request), `ready`, or `refused` with the reason."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    refusal = serializers.SerializerMethodField()

    def get_refusal(self, upload) -> str:
        return services.refusal_message(upload)


def _masked(serializer, instance, field):
    # C2: whereabouts are sensitive and shown as the data map says (privacy.disclosure); null when
    # none was recorded (a typed place instead).
    if getattr(instance, field) is None:
        return None
    request = serializer.context.get("request")
    return shown_value(viewer=getattr(request, "user", None), instance=instance, field=field)


class VisitSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    sensitive_sources = {"check_in_location": "fieldwork.Visit.check_in_location",
                         "check_out_location": "fieldwork.Visit.check_out_location"}
    customer = CustomerSerializer()
    check_in_location = serializers.SerializerMethodField()
    check_out_location = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    photo_checks = UploadCheckSerializer(source="photos", many=True, read_only=True)

    class Meta:
        model = Visit
        fields = ["id", "customer", "checked_in_at", "check_in_location", "check_in_place", "checked_out_at",
                  "check_out_location", "check_out_place", "note", "photos", "photo_checks", "sensitive_fields"]

    def get_check_in_location(self, visit) -> str | None:
        return _masked(self, visit, "check_in_location")

    def get_check_out_location(self, visit) -> str | None:
        return _masked(self, visit, "check_out_location")

    def get_photos(self, visit) -> int:
        return len(visit.photos.all())


class VisitPhotoSerializer(UploadCheckSerializer):
    visit = serializers.IntegerField(source="visit_id")
    taken_at = serializers.DateTimeField()


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    period_start = serializers.DateField(help_text="The day (daily) or the Monday (weekly) the report covers.")
    body = serializers.CharField(max_length=10_000)
    figures = JSONObjectField(required=False, allow_null=True, help_text='{"label": number, …}, at most 20.')
    location = JSONObjectField(required=False, allow_null=True,
                               help_text='{"lat", "lng"[, "accuracy"]}; only with location consent (A1).')
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, max_length=5,
                                        help_text="PNG, JPEG (2 MB) or PDF (5 MB) files, checked by content.")


class ReportSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    sensitive_sources = {"location": "fieldwork.Report.location"}
    figures = JSONObjectField(read_only=True)
    location = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    attachment_checks = UploadCheckSerializer(source="attachments", many=True, read_only=True)

    class Meta:
        model = Report
        fields = ["id", "kind", "period_start", "submitted_at", "body", "figures", "location", "place",
                  "attachments", "attachment_checks", "sensitive_fields"]

    def get_location(self, report) -> str | None:
        return _masked(self, report, "location")

    def get_attachments(self, report) -> int:
        return len(report.attachments.all())
