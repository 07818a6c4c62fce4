"""Mobile API of the individual's rights requests (issue 13): submit, follow, withdraw; the inbox;
pre-death arrangements (R7). Exercising a right is never blocked by a pending policy acceptance."""
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEnterpriseMember
from rights import inbox, selectors, services
from rights.api.serializers import (
    ArrangementSerializer,
    InboxMessageSerializer,
    ProtectionContactSerializer,
    RightsRequestSerializer,
    SubmitRequestSerializer,
)
from rights.models import PreDeathArrangement, RightsRequest


class _RightsView(APIView):
    permission_classes = [IsEnterpriseMember]
    policy_acceptance_exempt = True  # a right is exercised whatever the person has accepted


class RequestListView(_RightsView):
    """My requests, newest first; submitting a new one (verified: password and SMS code, R8)."""

    @extend_schema(responses={200: RightsRequestSerializer(many=True)})
    def get(self, request):
        return Response(RightsRequestSerializer(selectors.requests_of(request.user)[:200], many=True).data)

    @extend_schema(request=SubmitRequestSerializer, responses={201: RightsRequestSerializer})
    def post(self, request):
        payload = SubmitRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = services.submit_request(actor=request.user, **payload.validated_data)
        return Response(RightsRequestSerializer(selectors.request_of(request.user, created.pk)).data,
                        status=status.HTTP_201_CREATED)


class RequestDetailView(_RightsView):
    """One of my requests with its full history (anyone else's does not exist here)."""

    @extend_schema(responses={200: RightsRequestSerializer})
    def get(self, request, pk: int):
        return Response(RightsRequestSerializer(_mine(request, pk)).data)


class WithdrawRequestView(_RightsView):
    @extend_schema(request=None, responses={200: RightsRequestSerializer})
    def post(self, request, pk: int):
        services.withdraw_request(actor=request.user, request=_mine(request, pk))
        return Response(RightsRequestSerializer(_mine(request, pk)).data)


class InboxView(_RightsView):
    """Messages about my requests, newest first."""

    @extend_schema(responses={200: InboxMessageSerializer(many=True)})
    def get(self, request):
        return Response(InboxMessageSerializer(selectors.inbox_of(request.user)[:200], many=True).data)


class InboxReadView(_RightsView):
    @extend_schema(request=None, responses={200: InboxMessageSerializer})
    def post(self, request, pk: int):
        message = inbox.mark_read(actor=request.user, message=get_object_or_404(selectors.inbox_of(request.user), pk=pk))
        return Response(InboxMessageSerializer(message).data)


class ProtectionContactView(_RightsView):
    """R10: whom to contact about personal information (the app's "contact us" screen): the
    enterprise's personal-information protection contact and the channel it publishes; while none
    is appointed, the enterprise manager, who handles requests and complaints then."""

    @extend_schema(responses={200: ProtectionContactSerializer})
    def get(self, request):
        return Response(ProtectionContactSerializer(selectors.published_contact()).data)


class ArrangementView(_RightsView):
    """R7: my pre-death arrangement (what happens to my information, whom to trust)."""

    @extend_schema(responses={200: ArrangementSerializer})
    def get(self, request):
        arrangement = PreDeathArrangement.objects.filter(person=request.user).first()
        if arrangement is None:
            raise Http404
        return Response(ArrangementSerializer(arrangement).data)

    @extend_schema(request=ArrangementSerializer, responses={200: ArrangementSerializer})
    def put(self, request):
        payload = ArrangementSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        arrangement = services.record_arrangement(actor=request.user, **payload.validated_data)
        return Response(ArrangementSerializer(arrangement).data)


def _mine(request, pk: int) -> RightsRequest:
    try:
        return selectors.request_of(request.user, pk)
    except RightsRequest.DoesNotExist:
        raise Http404 from None
