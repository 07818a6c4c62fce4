from rest_framework import serializers

from attendance.models import CheckIn
from privacy.disclosure import shown_value
from privacy.serializers import SensitiveFieldsMixin


class LocationSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    accuracy = serializers.FloatField(min_value=0, required=False)


class CheckInRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CheckIn.Kind.choices)
    location = LocationSerializer(required=False, allow_null=True,
                                  help_text="GPS fix; only with location consent (A1).")
    place = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="Typed place, when location is not shared.")


class CheckInSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    # C2: whereabouts are sensitive: shown masked, and marked.
    sensitive_sources = {"location": "attendance.CheckIn.location"}
    location = serializers.SerializerMethodField()
    has_location = serializers.SerializerMethodField()

    class Meta:
        model = CheckIn
        fields = ["id", "kind", "occurred_at", "place", "location", "has_location", "sensitive_fields"]

    def get_location(self, record) -> str:
        request = self.context.get("request")
        return shown_value(viewer=getattr(request, "user", None), instance=record, field="location")

    def get_has_location(self, record) -> bool:
        return record.location is not None


class TrackingPingRequestSerializer(serializers.Serializer):
    location = LocationSerializer()


class TrackingPingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
