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


class RegistrationCodeSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=32, help_text="The registrant's mainland mobile number.")


class SentRegistrationCodeSerializer(serializers.Serializer):
    mobile_masked = serializers.CharField()
    expires_at = serializers.DateTimeField()


class RegistrationSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=400, help_text="The enterprise's name (E1); must not be taken.")
    manager_name = serializers.CharField(max_length=200, help_text="The registrant's name: they become the manager.")
    mobile = serializers.CharField(max_length=32, help_text="The number the code was sent to: the manager's login.")
    code = serializers.CharField(max_length=16, help_text="The one-time code sent by SMS.")
    password = serializers.CharField(max_length=128, trim_whitespace=False, help_text="The manager's password.")


class RegisteredEnterpriseSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The enterprise code employees type in the app.")
    name = serializers.CharField()
    host = serializers.CharField()
    console_url = serializers.URLField(help_text="Where the manager signs in to the console.")
    api_base_url = serializers.URLField()
    missing_basic_details = serializers.ListField(
        child=serializers.CharField(),
        help_text="E1: what the manager must give in the console before basic services work.")
