from rest_framework import serializers

from announcements.models import Delivery


class FeedItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="announcement_id")
    title = serializers.CharField(source="announcement.title")
    body = serializers.CharField(source="announcement.body")
    channel = serializers.CharField(source="announcement.channel.name")
    channel_id = serializers.IntegerField(source="announcement.channel_id")
    sent_at = serializers.DateTimeField(source="announcement.sent_at")
    inbox_message = serializers.IntegerField(source="inbox_message_id", allow_null=True)

    class Meta:
        model = Delivery
        fields = ["id", "title", "body", "channel", "channel_id", "sent_at", "read_at", "inbox_message"]


class ChannelMembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    is_subscribed = serializers.BooleanField()


class SettingsSerializer(serializers.Serializer):
    is_personalised = serializers.BooleanField(
        required=False, help_text="C13: false = nothing is ordered or prioritised by your department or position.")
    channels = ChannelMembershipSerializer(many=True, required=False,
                                           help_text="Channels to leave (false) or join again (true).")


class ChannelStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_subscribed = serializers.BooleanField()


class SettingsStateSerializer(serializers.Serializer):
    is_personalised = serializers.BooleanField()
    channels = ChannelStateSerializer(many=True)
