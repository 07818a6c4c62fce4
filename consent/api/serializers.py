from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consent.catalogue import PI_TYPES
from consent.models import ConsentEvent, DeletionNotice, Disclosure


def _language() -> str:
    return get_language() or "en"


def pi_type_labels(types) -> list[dict]:
    zh = _language().lower().startswith("zh")
    return [{"code": t, "label": PI_TYPES.get(t, (t, t))[1 if zh else 0]} for t in types]


class PiTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class RecipientSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    pi_types = PiTypeSerializer(many=True, required=False)
    region = serializers.CharField(help_text="S1: where the recipient keeps the data (CN: mainland China).")
    is_cross_border = serializers.BooleanField()
    rights_abroad = serializers.CharField(help_text="S1: how to exercise your rights with a recipient abroad.")


def _where(recipient) -> dict:
    """S1: where a recipient keeps what it receives, and how to exercise rights there."""
    language = _language()
    rights = recipient.rights_abroad_zh_hans if language.lower().startswith("zh") else recipient.rights_abroad_en
    return {"region": recipient.region, "is_cross_border": recipient.is_cross_border, "rights_abroad": rights}


class PolicyVersionSerializer(serializers.Serializer):
    version = serializers.CharField()
    title = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()
    effective_at = serializers.DateTimeField()
    is_significant = serializers.BooleanField()
    significant_reasons = serializers.ListField(child=serializers.CharField())
    reduces_rights = serializers.BooleanField(help_text="C8: must be accepted explicitly; continued use never accepts it.")

    def get_title(self, version) -> str:
        return version.title(_language())

    def get_text(self, version) -> str:
        return version.text(_language())

    def get_summary(self, version) -> str:
        return version.summary(_language())


class PolicyStateSerializer(serializers.Serializer):
    current = PolicyVersionSerializer(allow_null=True)
    upcoming = PolicyVersionSerializer(many=True)
    must_accept = serializers.CharField(allow_null=True, help_text="Version to accept before anything else works.")
    accepted_versions = serializers.ListField(child=serializers.CharField())
    my_terms = serializers.CharField(
        allow_null=True, help_text="The version whose terms apply to me: the one in force, or, while I have not "
                                   "accepted a version that reduces my rights, the last version before it.")
    must_accept_explicitly = serializers.CharField(
        allow_null=True, help_text="A version in force that reduces my rights and that I have not accepted; the "
                                   "service keeps working under `my_terms` until I accept it.")


class AcceptPolicySerializer(serializers.Serializer):
    version = serializers.CharField(max_length=20)


class PurposeStateSerializer(serializers.Serializer):
    code = serializers.CharField(source="purpose.code")
    kind = serializers.CharField(source="purpose.kind")
    name = serializers.SerializerMethodField()
    statement = serializers.SerializerMethodField()
    is_basic = serializers.BooleanField(source="purpose.is_basic")
    is_sensitive = serializers.BooleanField(source="purpose.is_sensitive")
    sensitive_category = serializers.CharField(source="purpose.sensitive_category")
    needs_explicit_confirmation = serializers.BooleanField(source="purpose.needs_explicit_confirmation")
    requires = serializers.ListField(source="purpose.requires", child=serializers.CharField())
    revision = serializers.IntegerField(source="purpose.revision")
    recipient = serializers.SerializerMethodField()
    has_consented = serializers.BooleanField()

    def get_name(self, row) -> str:
        return row["purpose"].name(_language())

    def get_statement(self, row) -> str:
        return row["purpose"].statement(_language())

    @extend_schema_field(RecipientSerializer(allow_null=True))
    def get_recipient(self, row):
        recipient = row["purpose"].recipient
        if recipient is None:
            return None
        return {"code": recipient.code, "kind": recipient.kind, "name": recipient.name(_language()),
                "purpose": recipient.purpose(_language()), "pi_types": pi_type_labels(recipient.pi_types),
                **_where(recipient)}


class GrantSerializer(serializers.Serializer):
    explicit_confirmation = serializers.BooleanField(
        default=False, help_text="Required true for sensitive information, sharing and public disclosure.")


class ConsentEventSerializer(serializers.ModelSerializer):
    purpose = serializers.CharField(source="purpose.code", default=None)
    receipt_url = serializers.SerializerMethodField()

    class Meta:
        model = ConsentEvent
        fields = ["id", "action", "purpose", "purpose_revision", "policy_version_label", "channel", "occurred_at",
                  "receipt_url"]

    def get_receipt_url(self, event) -> str:
        return f"/api/v1/consent/receipts/{event.pk}"


class DisclosureSerializer(serializers.ModelSerializer):
    recipient = serializers.SerializerMethodField()
    purpose = serializers.CharField(source="purpose.code")
    pi_types = serializers.SerializerMethodField()

    class Meta:
        model = Disclosure
        fields = ["id", "recipient", "purpose", "purpose_revision", "pi_types", "occasion", "consent_event",
                  "disclosed_at"]

    @extend_schema_field(RecipientSerializer(allow_null=True))
    def get_recipient(self, disclosure):
        recipient = disclosure.recipient
        if recipient is None:
            return None  # public disclosure (C11)
        return {"code": recipient.code, "kind": recipient.kind, "name": recipient.name(_language()),
                "purpose": recipient.purpose(_language()), **_where(recipient)}

    @extend_schema_field(PiTypeSerializer(many=True))
    def get_pi_types(self, disclosure):
        return pi_type_labels(disclosure.pi_types)




class RefusalSerializer(serializers.Serializer):
    """The body of a 403 refusal (core.errors): `policy_acceptance_required` (C8) or
    `consent_required` (C1–C7)."""

    code = serializers.CharField(help_text="`policy_acceptance_required` or `consent_required`.")
    detail = serializers.CharField()
    version = serializers.CharField(required=False, help_text="policy_acceptance_required: the version to accept.")
    purpose = serializers.CharField(required=False, help_text="consent_required: the purpose asked for.")
    missing = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="consent_required: the purposes still to consent to.")


class DeletionNoticeSerializer(serializers.ModelSerializer):
    """R3: one recipient told to delete the person's information, and whether it has been."""

    recipient = serializers.SerializerMethodField()

    class Meta:
        model = DeletionNotice
        fields = ["id", "recipient", "status", "attempts", "created_at", "last_attempt_at", "delivered_at"]

    @extend_schema_field(RecipientSerializer)
    def get_recipient(self, notice):
        recipient = notice.recipient
        return {"code": recipient.code, "kind": recipient.kind, "name": recipient.name(_language()),
                "purpose": recipient.purpose(_language()), **_where(recipient)}


class DevicePermissionSerializer(serializers.Serializer):
    """C3: what the app shows before the phone's own permission prompt, in the request's language."""

    code = serializers.CharField(source="purpose.code", help_text="Grant or withdraw it at "
                                 "/api/v1/consent/purposes/<code>/grant and /withdraw.")
    name = serializers.SerializerMethodField()
    purpose = serializers.SerializerMethodField(help_text="Why the app asks for it.")
    without_it = serializers.SerializerMethodField(help_text="What does not work without it (everything else does).")
    granted = serializers.BooleanField(help_text="Off by default; ask the phone only once this is true.")

    def get_name(self, row) -> str:
        return row["purpose"].name(_language())

    def get_purpose(self, row) -> str:
        return row["purpose"].statement(_language())

    def get_without_it(self, row) -> str:
        return row["prompt"].without(_language())
