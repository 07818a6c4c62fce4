from rest_framework import serializers

from attendance.models import CheckIn
from privacy.disclosure import shown_value
from privacy.serializers import SensitiveFieldsMixin


class LocationSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    accuracy = serializers.FloatField(min_value=0, required=False)


class DeviceReportSerializer(serializers.Serializer):
    virtual_location_app = serializers.BooleanField(
        required=False, help_text="The device found a virtual-location app running (X7).")


class CheckInRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CheckIn.Kind.choices)
    location = LocationSerializer(required=False, allow_null=True,
                                  help_text="GPS fix; only with location consent (A1).")
    place = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="Typed place, when location is not shared.")
    photo = serializers.FileField(
        required=False, allow_null=True,
        help_text="A2: a photo of the person's face (PNG or JPEG, ≤ 2 MB; multipart), compared with the enrolled "
                  "face. Needs facial_recognition consent (C5); without an enrolment, an ordinary check-in.")
    device_report = DeviceReportSerializer(
        required=False, allow_null=True,
        help_text="X7: what the device reports for risk control; recorded (flagging the check-in) only with the "
                  "installed-app permission (device.installed_apps), otherwise ignored.")


class CheckInSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    # C2: whereabouts are sensitive: shown masked, and marked.
    sensitive_sources = {"location": "attendance.CheckIn.location"}
    location = serializers.SerializerMethodField()
    has_location = serializers.SerializerMethodField()
    risk_flags = serializers.SerializerMethodField(
        help_text="X7: risk signals recorded with the check-in (only with the installed-app permission).")

    class Meta:
        model = CheckIn
        fields = ["id", "kind", "occurred_at", "place", "location", "has_location", "face_check", "risk_flags",
                  "sensitive_fields"]
        extra_kwargs = {"face_check": {"help_text": "A2: `verified` (the photo matched the enrolled face), "
                                                    "`not_enrolled` (a photo was sent, no face is enrolled) or empty."}}

    def get_location(self, record) -> str:
        request = self.context.get("request")
        return shown_value(viewer=getattr(request, "user", None), instance=record, field="location")

    def get_has_location(self, record) -> bool:
        return record.location is not None

    def get_risk_flags(self, record) -> list[str]:
        return record.risk_flags


class FaceEnrolmentRequestSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text="The base photo: the person's face, PNG or JPEG, ≤ 2 MB (multipart).")


class FaceEnrolmentSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="`none`, `pending` (being computed), `enrolled` or `failed`.")
    failure = serializers.CharField(help_text="Why the enrolment failed, as a code (`no_face`, an image refusal); "
                                              "empty otherwise.")
    failure_message = serializers.CharField(help_text="The same, for the person, in their language.")
    keeps_base_photo = serializers.BooleanField(
        help_text="A2: whether the base photo is kept after enrolment (the enterprise's setting).")
    photo_notice = serializers.CharField(help_text="What happens to the photo, to show on the enrolment screen.")
    requested_at = serializers.DateTimeField(allow_null=True)
    enrolled_at = serializers.DateTimeField(allow_null=True)


class TrackingPingRequestSerializer(serializers.Serializer):
    location = LocationSerializer()


class TrackingPingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
