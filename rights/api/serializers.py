from rest_framework import serializers

from rights import corrections
from rights.models import InboxMessage, PreDeathArrangement, RequestEvent, RightsRequest


class SubmitRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RightsRequest.Kind.choices,
                                   help_text="next_of_kin is recorded by an administrator, not submitted here.")
    details = serializers.DictField(required=False, default=dict,
                                    help_text="What the kind needs: correction {field, correct_value, note} (field: display_name, "
                                              "mobile, employee_number, department, position, job_level, entry_date "
                                              "or id_number; a department by its path 'HQ / R&D'); deletion "
                                              "{grounds, note}; account_cancellation {irreversible_acknowledged: true}; "
                                              "automated_decision {action: explain|object|appeal, decision}; complaint {text}.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="",
                                 help_text="The one-time code sent to the account's mobile number (R8).")


class RequestEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestEvent
        fields = ["at", "event", "note"]


class RightsRequestSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    has_result = serializers.SerializerMethodField()
    correct_value = serializers.SerializerMethodField(
        help_text="A correction's requested value, shown as the field itself is shown (masked where it is).")
    history = RequestEventSerializer(source="events", many=True, read_only=True)

    class Meta:
        model = RightsRequest
        fields = ["id", "kind", "kind_label", "status", "status_label", "details", "submitted_at", "due_on",
                  "erase_by", "repeated", "excessive", "answer", "refusal_reason", "legal_exception", "refusal_explanation",
                  "correct_value", "has_result", "result_expires_at", "history"]

    def get_has_result(self, request) -> bool:
        return bool(request.result_file)

    def get_correct_value(self, request) -> str:
        return corrections.shown_value(viewer=None, request=request)


class InboxMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboxMessage
        fields = ["id", "topic", "request", "link", "created_at", "subject_line", "body", "read_at"]


class ArrangementSerializer(serializers.ModelSerializer):
    class Meta:
        model = PreDeathArrangement
        fields = ["instructions", "relative_contact", "nothing_disclosed", "updated_at"]
        read_only_fields = ["updated_at"]


class ProtectionContactSerializer(serializers.Serializer):
    is_appointed = serializers.BooleanField(help_text="False while no contact is appointed: the manager answers.")
    name = serializers.CharField()
    contact_channel = serializers.CharField(help_text="Empty while no contact is appointed.")
