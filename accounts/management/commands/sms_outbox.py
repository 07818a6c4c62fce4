"""`manage.py sms_outbox --schema S [--limit N]`: the text messages the local outbox SMS backend
kept in enterprise S instead of sending them, newest first (development: read your sign-in and
verification codes here). Refuses to run when another SMS backend is configured."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from accounts.models import SmsOutboxMessage


class Command(BaseCommand):
    help = "Show the development SMS outbox of an enterprise (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True, help="the enterprise schema")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, schema, limit, **options):
        if settings.SMS_BACKEND != "accounts.sms.LocalOutboxBackend":
            raise CommandError("the local SMS outbox is not in use (SMS_BACKEND is another backend)")
        if schema == get_public_schema_name() or not schema_exists(schema):
            raise CommandError(f"{schema}: no such enterprise schema")
        with schema_context(schema):
            messages = list(SmsOutboxMessage.objects.order_by("-created_at", "-pk")[:max(limit, 0)])
        for message in messages:
            sent = timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(f"{sent}  to {message.mobile}  [{message.message_kind}]  {message.body}")
        self.stdout.write(f"{len(messages)} message(s)")
