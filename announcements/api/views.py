"""Mobile API of announcements: my feed, reading, leaving a channel from the inbox item, my settings (C13).

Every endpoint belongs to the `announcements` application (E6), checked at one point (the base view)."""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ApplicationSwitchedOn, IsEnterpriseMember
from announcements import selectors, services
from announcements.api.serializers import FeedItemSerializer, SettingsSerializer, SettingsStateSerializer
from announcements.models import Delivery, Unsubscription


class AnnouncementsAPIView(APIView):
    """E6 at one point: a member of the enterprise with the announcements application switched on."""

    application = "announcements"
    application_refusal = gettext_lazy("The announcements application is switched off for you.")
    permission_classes = ()

    def get_permissions(self):
        return [IsEnterpriseMember(), ApplicationSwitchedOn(), *super().get_permissions()]


class FeedView(AnnouncementsAPIView):
    """The announcements sent to me (C13: ordered by my department only if I allow personalisation)."""

    @extend_schema(responses={200: FeedItemSerializer(many=True)})
    def get(self, request):
        feed = selectors.feed_of(request.user, is_personalised=services.is_personalised(request.user))
        return Response(FeedItemSerializer(feed[:200], many=True).data)


def _delivery(request, announcement_id: int) -> Delivery:
    return get_object_or_404(Delivery.objects.select_related("announcement__channel", "inbox_message"),
                             person=request.user, announcement_id=announcement_id)


class AnnouncementView(AnnouncementsAPIView):
    @extend_schema(responses={200: FeedItemSerializer})
    def get(self, request, pk: int):
        return Response(FeedItemSerializer(_delivery(request, pk)).data)


class ReadView(AnnouncementsAPIView):
    @extend_schema(request=None, responses={200: FeedItemSerializer})
    def post(self, request, pk: int):
        return Response(FeedItemSerializer(services.mark_read(actor=request.user,
                                                              delivery=_delivery(request, pk))).data)


class LeaveFromInboxView(AnnouncementsAPIView):
    """C13: leave the channel of the announcement an inbox item carries (the item's id, as
    GET /api/v1/rights/inbox lists it). The next announcement on it does not reach me."""

    policy_acceptance_exempt = True  # C13: a list can be left at any time

    @extend_schema(request=None, responses={200: SettingsStateSerializer})
    def post(self, request, inbox_message_id: int):
        delivery = get_object_or_404(Delivery.objects.select_related("announcement__channel"),
                                     person=request.user, inbox_message_id=inbox_message_id)
        services.leave_channel(actor=request.user, person=request.user, channel=delivery.announcement.channel,
                               via=Unsubscription.Via.INBOX)
        return Response(_settings_of(request.user))


def _settings_of(person) -> dict:
    return {"is_personalised": services.is_personalised(person),
            "channels": [{"id": channel.pk, "name": channel.name, "description": channel.description,
                          "is_subscribed": is_on} for channel, is_on in selectors.channels_with_membership(person)]}


class SettingsView(AnnouncementsAPIView):
    """C13: my settings: personalisation on or off, and the channels I am on (leave or join again)."""

    policy_acceptance_exempt = True  # C13: a list can be left at any time

    @extend_schema(responses={200: SettingsStateSerializer})
    def get(self, request):
        return Response(_settings_of(request.user))

    @extend_schema(request=SettingsSerializer, responses={200: SettingsStateSerializer})
    def put(self, request):
        payload = SettingsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if "is_personalised" in data:
            services.choose_personalisation(actor=request.user, person=request.user,
                                            is_personalised=data["is_personalised"])
        for entry in data.get("channels", []):
            channel = get_object_or_404(selectors.active_channels(), pk=entry["id"])
            if entry["is_subscribed"]:
                services.rejoin_channel(actor=request.user, person=request.user, channel=channel)
            else:
                services.leave_channel(actor=request.user, person=request.user, channel=channel,
                                       via=Unsubscription.Via.SETTINGS)
        return Response(_settings_of(request.user))


