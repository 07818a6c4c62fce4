"""Mobile API of approvals: the kinds offered, my requests, my approval inbox, decisions (X4).

Every endpoint belongs to the `approvals` application (E6): 403 `application_not_authorised` while
the enterprise has it switched off for the caller, checked at one point (the base view)."""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ApplicationSwitchedOn, IsEnterpriseMember
from approvals import kinds, selectors, services
from approvals.api.serializers import (
    ApprovalRefusalSerializer,
    ApprovalRequestSerializer,
    DecisionSerializer,
    DetailsSerializer,
    InboxItemSerializer,
    InboxPageSerializer,
    KindSerializer,
    RequestSummarySerializer,
    SubmitSerializer,
)
from approvals.models import Kind

INBOX_PAGE_SIZE = 50
_REFUSED = OpenApiResponse(response=ApprovalRefusalSerializer, description=(
    "403 `kind_not_offered`, `not_your_step` or `application_not_authorised` (E6)."))
_CONFLICT = OpenApiResponse(response=ApprovalRefusalSerializer, description=(
    "409 `no_approver` (nobody can decide: no department head, no named approver) or `approval_not_open` "
    "(the request waits for no decision)."))


class ApprovalsAPIView(APIView):
    """E6 at one point: a member of the enterprise with the approvals application switched on."""

    application = "approvals"
    application_refusal = gettext_lazy("The approvals application is switched off for you.")
    permission_classes = ()

    def get_permissions(self):
        return [IsEnterpriseMember(), ApplicationSwitchedOn(), *super().get_permissions()]


class KindListView(ApprovalsAPIView):
    """The kinds of request the enterprise offers, each with its form's fields."""

    @extend_schema(responses={200: KindSerializer(many=True), 403: _REFUSED})
    def get(self, request):
        return Response([{"kind": kind, "name": str(Kind(kind).label), "fields": kinds.form_fields(kind)}
                         for kind in selectors.offered_kinds()])


class RequestListView(ApprovalsAPIView):
    """My requests (`?as=approver`: the requests I decided a step of), newest first; submitting one."""

    @extend_schema(parameters=[OpenApiParameter("as", str, enum=["applicant", "approver"])],
                   responses={200: RequestSummarySerializer(many=True), 403: _REFUSED})
    def get(self, request):
        if request.query_params.get("as") == "approver":
            rows = selectors.decided_by(request.user)
        else:
            rows = selectors.requests_of(request.user)
        return Response(RequestSummarySerializer(rows[:200], many=True).data)

    @extend_schema(request=SubmitSerializer, responses={201: ApprovalRequestSerializer, 403: _REFUSED,
                                                        409: _CONFLICT})
    def post(self, request):
        payload = SubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        submitted = services.submit(actor=request.user, kind=payload.validated_data["kind"],
                                    details=payload.validated_data["details"])
        return Response(ApprovalRequestSerializer(submitted).data, status=201)


def _seen(request, pk):
    return get_object_or_404(selectors.requests_seen_by(request.user), pk=pk)


class RequestDetailView(ApprovalsAPIView):
    """A request I applied for or am an approver of, with its whole chain."""

    @extend_schema(responses={200: ApprovalRequestSerializer, 403: _REFUSED})
    def get(self, request, pk: int):
        return Response(ApprovalRequestSerializer(_seen(request, pk)).data)


class DecisionView(ApprovalsAPIView):
    """Approve, reject or return (the current step's approver only: 403 `not_your_step` otherwise)."""

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalRequestSerializer, 403: _REFUSED,
                                                          409: _CONFLICT})
    def post(self, request, pk: int):
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = services.decide(actor=request.user, request=_seen(request, pk),
                                  decision=payload.validated_data["decision"],
                                  comment=payload.validated_data.get("comment", ""))
        return Response(ApprovalRequestSerializer(decided).data)


class ResubmitView(ApprovalsAPIView):
    """Submit a returned request again, with its form changed."""

    @extend_schema(request=DetailsSerializer, responses={200: ApprovalRequestSerializer, 403: _REFUSED,
                                                         409: _CONFLICT})
    def post(self, request, pk: int):
        payload = DetailsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        again = services.resubmit(actor=request.user, request=_seen(request, pk),
                                  details=payload.validated_data["details"])
        return Response(ApprovalRequestSerializer(again).data)


class WithdrawView(ApprovalsAPIView):
    @extend_schema(request=None, responses={200: ApprovalRequestSerializer, 403: _REFUSED, 409: _CONFLICT})
    def post(self, request, pk: int):
        return Response(ApprovalRequestSerializer(services.withdraw(actor=request.user,
                                                                     request=_seen(request, pk))).data)


class InboxView(ApprovalsAPIView):
    """The requests waiting for my decision, newest first, 50 a page (`?page=2`...)."""

    @extend_schema(parameters=[OpenApiParameter("page", int)], responses={200: InboxPageSerializer, 403: _REFUSED})
    def get(self, request):
        try:
            page = max(int(request.query_params.get("page", 1)), 1)
        except ValueError:
            page = 1
        waiting = selectors.inbox_of(request.user)
        start = (page - 1) * INBOX_PAGE_SIZE
        rows = list(waiting[start:start + INBOX_PAGE_SIZE + 1])
        return Response({"page": page, "has_next": len(rows) > INBOX_PAGE_SIZE,
                         "results": InboxItemSerializer(rows[:INBOX_PAGE_SIZE], many=True).data})
