"""Mobile API of "My Settings – Privacy": policy, purposes, answers, history, receipts, sharing,
deletion notices."""
import json

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEnterpriseMember
from consent.api.openapi import consent_required_response
from consent import selectors, state_cache
from consent.services import ledger as ledger_services
from consent.api.serializers import (
    AcceptPolicySerializer,
    ConsentEventSerializer,
    DeletionNoticeSerializer,
    DevicePermissionSerializer,
    DisclosureSerializer,
    GrantSerializer,
    PolicyStateSerializer,
    PurposeStateSerializer,
)
from consent.models import ConsentEvent
from policies import selectors as policy_selectors


def answer_context(request) -> dict:
    """Channel, device and address of an answer given through the mobile API (C6)."""
    return {"channel": ConsentEvent.Channel.MOBILE, "device_id": request.META.get("HTTP_X_DEVICE_ID", ""),
            "ip_address": request.META.get("REMOTE_ADDR") or None}


def policy_state(person) -> dict:
    required = policy_selectors.version_requiring_acceptance()
    _catalogue, state = state_cache.catalogue_and_state(person.pk)
    accepted = [facts.version for facts in policy_selectors.timeline() if facts.id in state["policies"]]
    must_accept = required.version if required and not policy_selectors.satisfies(state["policies"], required) \
        else None
    # C8: a version that reduces rights waits for this person's explicit acceptance.
    terms = policy_selectors.terms_of(state["policies"])
    reduction = policy_selectors.rights_reduction_to_accept(state["policies"])
    return {"current": policy_selectors.current_version(), "upcoming": policy_selectors.upcoming_versions(),
            "must_accept": must_accept, "accepted_versions": accepted,
            "my_terms": terms.version if terms else None,
            "must_accept_explicitly": reduction.version if reduction else None}


class PolicyView(APIView):
    """C8: the version in force, upcoming versions (published, effective 7 days later), what I must accept."""

    permission_classes = [IsEnterpriseMember]
    policy_acceptance_exempt = True

    @extend_schema(responses={200: PolicyStateSerializer})
    def get(self, request):
        return Response(PolicyStateSerializer(policy_state(request.user)).data)


class AcceptPolicyView(APIView):
    """C8: accept a published version (re-acceptance after a significant change)."""

    permission_classes = [IsEnterpriseMember]
    policy_acceptance_exempt = True

    @extend_schema(request=AcceptPolicySerializer, responses={200: PolicyStateSerializer})
    def post(self, request):
        payload = AcceptPolicySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ledger_services.accept_policy(
            actor=request.user, person=request.user, version_label=payload.validated_data["version"],
            **answer_context(request))
        return Response(PolicyStateSerializer(policy_state(request.user)).data)


class DevicePermissionListView(APIView):
    """C3: every device permission, with what the app must show before the phone's own prompt (why
    it is asked, what stops working without it) and whether I granted it. The app asks the phone for
    a permission only after the person granted it here; data that needs one is refused until then."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: DevicePermissionSerializer(many=True)})
    def get(self, request):
        return Response(DevicePermissionSerializer(selectors.device_permissions_of(request.user), many=True).data)


class PurposeListView(APIView):
    """Every purpose with its stated purpose text and my current answer (additional ones off by default)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: PurposeStateSerializer(many=True)})
    def get(self, request):
        rows = [{"purpose": purpose, "has_consented": consented}
                for purpose, consented in selectors.purposes_with_state_of(request.user)]
        return Response(PurposeStateSerializer(rows, many=True).data)


class GrantView(APIView):
    """Give consent to one purpose (sensitive ones and sharing need explicit_confirmation: true)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(request=GrantSerializer, responses={
        201: ConsentEventSerializer,
        403: consent_required_response(
            "When a permission the purpose requires is not given. M1: while the person is under 18, 403 "
            "`guardian_consent_required` naming the `purpose` when their guardian's consent does not list it."),
    })
    def post(self, request, code):
        payload = GrantSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = ledger_services.grant_consent(
            actor=request.user, person=request.user, purpose_code=code, **payload.validated_data,
            **answer_context(request))
        return Response(ConsentEventSerializer(event).data, status=201)


class WithdrawView(APIView):
    """Withdraw consent: the dependent processing stops at once (C6)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(request=None, responses={201: ConsentEventSerializer})
    def post(self, request, code):
        event = ledger_services.withdraw_consent(
            actor=request.user, person=request.user, purpose_code=code, **answer_context(request))
        return Response(ConsentEventSerializer(event).data, status=201)


class HistoryView(APIView):
    """My consent history, newest first."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: ConsentEventSerializer(many=True)})
    def get(self, request):
        return Response(ConsentEventSerializer(selectors.history_of(request.user)[:500], many=True).data)


class ReceiptView(APIView):
    """Download the consent receipt (JSON) of one of my events."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={(200, "application/json"): dict})
    def get(self, request, event_id):
        event = selectors.event_of(request.user, event_id)
        response = HttpResponse(json.dumps(selectors.receipt_of(event), ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="consent-receipt-{event.pk}.json"'
        return response


class SharingView(APIView):
    """C9/C11: every disclosure of my information: to whom, what, when, under which consent."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: DisclosureSerializer(many=True)})
    def get(self, request):
        return Response(DisclosureSerializer(selectors.disclosures_of(request.user)[:500], many=True).data)


class DeletionNoticeView(APIView):
    """R3: every recipient told to delete my information, and the status of each notice
    (queued, delivered, failed)."""

    permission_classes = [IsEnterpriseMember]

    @extend_schema(responses={200: DeletionNoticeSerializer(many=True)})
    def get(self, request):
        return Response(DeletionNoticeSerializer(selectors.deletion_notices_of(request.user)[:500], many=True).data)
