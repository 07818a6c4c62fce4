from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import DeviceToken, User
from privacy.disclosure import shown_value


class LoginSerializer(serializers.Serializer):
    # Any spelling the one normaliser understands (＋８６ １３８-…, 0086 (138) …): room for it.
    mobile = serializers.CharField(max_length=32, label=_("mobile number"))
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)
    device_id = serializers.CharField(
        max_length=128, min_length=8,
        help_text=_("A stable identifier of this device; send it as X-Device-Id on every request."),
    )
    device_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    # X6: only on the first sign-in from a device: the code the previous attempt sent by SMS.
    code = serializers.CharField(
        max_length=16, required=False, allow_blank=True, default="", trim_whitespace=True,
        help_text=_("The 6-digit code sent by SMS after a first sign-in attempt from this device answered "
                    "`device_verification_required`."),
    )


class ProfileSerializer(serializers.ModelSerializer):
    mobile_masked = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "display_name", "mobile_masked", "role", "must_change_password"]

    def get_mobile_masked(self, user) -> str:
        # Outside "my profile" (R1) the person's own number is masked like everyone else's (X2).
        request = self.context.get("request")
        return shown_value(viewer=getattr(request, "user", None), instance=user, field="mobile")


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    device_id = serializers.CharField()
    user = ProfileSerializer()


class DeviceSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = DeviceToken
        fields = ["id", "device_id", "device_name", "created_at", "last_used_at", "expires_at", "is_current"]

    def get_is_current(self, token) -> bool:
        return token.pk == getattr(self.context["request"].auth, "pk", None)


class LogoutAllResponseSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class VerificationCodeRequestSerializer(serializers.Serializer):
    # Codes for a new device are sent by the sign-in itself, never on request.
    purpose = serializers.ChoiceField(choices=[("rights_request", _("a request about your personal information"))])


class VerificationCodeSentSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    expires_at = serializers.DateTimeField()
    mobile_masked = serializers.CharField()
