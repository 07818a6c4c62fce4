from rest_framework import serializers


class EnterpriseLookupQuerySerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)


class EnterpriseLookupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    host = serializers.CharField()
    api_base_url = serializers.URLField()
    status = serializers.CharField()


class CessationNoticeSerializer(serializers.Serializer):
    stop_on = serializers.DateField(help_text="From this day no new personal information is collected.")
    message = serializers.CharField(allow_blank=True, help_text="The notice's text from the platform, if any.")
    collection_stopped = serializers.BooleanField(
        help_text="Whether the stop date has come: writes that collect are refused with 403 collection_stopped.")


class ServiceStatusSerializer(serializers.Serializer):
    cessation = CessationNoticeSerializer(allow_null=True, help_text="The announced cessation (E10), or null.")
