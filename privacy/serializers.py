"""C2: API responses mark the sensitive fields they show, in one documented way.

A serializer that shows a declared personal field under some key names it in `sensitive_sources`
({"output key": "app_label.Model.field"}); the response then carries `sensitive_fields`, the keys
whose field the data map (privacy.registry) declares sensitive. Clients show those keys with the
app's sensitive mark.
"""
from rest_framework import serializers

from privacy.registry import covered_field


class SensitiveFieldsMixin(serializers.Serializer):
    sensitive_sources: dict[str, str] = {}

    sensitive_fields = serializers.SerializerMethodField(
        help_text="C2: the keys of this object that hold sensitive personal information (ID number, whereabouts, "
                  "biometrics, financial): show them marked as sensitive.")

    def get_sensitive_fields(self, instance) -> list[str]:
        return sorted(key for key, label in self.sensitive_sources.items() if covered_field(label)[2].is_sensitive)
