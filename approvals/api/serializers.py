from rest_framework import serializers

from approvals.models import ApprovalRequest, ApprovalStep, Kind
from approvals.services import COMMENT_LIMIT, Decision
from privacy.serializers import SensitiveFieldsMixin


class SubmitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    details = serializers.JSONField(help_text="The kind's form (GET /api/v1/approvals/kinds lists its fields).")


class DetailsSerializer(serializers.Serializer):
    details = serializers.JSONField()


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(value, value) for value in Decision.ALL])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=COMMENT_LIMIT,
                                    help_text="Required to reject or return.")


class StepSerializer(serializers.ModelSerializer):
    approver = serializers.CharField(source="approver.display_name")
    comment = serializers.CharField(read_only=True)

    class Meta:
        model = ApprovalStep
        fields = ["round", "position", "approver", "role", "state", "comment", "activated_at", "decided_at"]


class ApprovalRequestSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    # C2: a leave's type and reason (health), a trip's destination (whereabouts): marked sensitive.
    sensitive_sources = {"details": "approvals.ApprovalRequest.details"}
    applicant = serializers.CharField(source="applicant.display_name")
    kind_name = serializers.CharField(source="get_kind_display")
    details = serializers.JSONField(read_only=True, help_text="The kind's form (null once anonymised).")
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = ["id", "kind", "kind_name", "applicant", "details", "status", "round", "submitted_at",
                  "decided_at", "steps", "sensitive_fields"]


class RequestSummarySerializer(serializers.ModelSerializer):
    kind_name = serializers.CharField(source="get_kind_display")
    applicant = serializers.CharField(source="applicant.display_name")

    class Meta:
        model = ApprovalRequest
        fields = ["id", "kind", "kind_name", "applicant", "status", "submitted_at", "decided_at"]


class InboxItemSerializer(SensitiveFieldsMixin, serializers.Serializer):
    """One request waiting for the signed-in approver."""

    sensitive_sources = {"details": "approvals.ApprovalRequest.details"}

    request = serializers.IntegerField(source="request_id")
    kind = serializers.CharField(source="request.kind")
    kind_name = serializers.CharField(source="request.get_kind_display")
    applicant = serializers.CharField(source="request.applicant.display_name")
    details = serializers.JSONField(source="request.details")
    submitted_at = serializers.DateTimeField(source="request.submitted_at")
    waiting_since = serializers.DateTimeField(source="activated_at")


class InboxPageSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    has_next = serializers.BooleanField()
    results = InboxItemSerializer(many=True)


class FieldChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=["text", "date", "decimal", "choice"])
    required = serializers.BooleanField()
    choices = FieldChoiceSerializer(many=True, required=False)


class KindSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    name = serializers.CharField()
    fields = FormFieldSerializer(many=True)


class ApprovalRefusalSerializer(serializers.Serializer):
    """A refusal's body (core.errors)."""

    code = serializers.CharField(help_text="`no_approver`, `approval_not_open`, `kind_not_offered`, `not_your_step`, "
                                           "`application_not_authorised` (E6)...")
    detail = serializers.CharField()
