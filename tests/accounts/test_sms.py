"""The one SMS sending interface (accounts.sms): the local outbox backend keeps messages for
developers, encrypted at rest; the production adapter slot refuses to start until configured."""
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context

from accounts import sms
from accounts.apps import sms_backend_is_configured
from accounts.models import SmsOutboxMessage
from tests.accounts.factories import UserFactory

PROVIDER = {"SMS_PROVIDER_URL": "https://sms.example.com/send", "SMS_PROVIDER_KEY_ID": "key-1",
            "SMS_PROVIDER_SECRET": "provider-secret", "SMS_PROVIDER_SIGN_NAME": "Workspace",
            "SMS_PROVIDER_TEMPLATES": {"verification_code": "SMS_0001", "invitation": "SMS_0002",
                                       "incident_notice": "SMS_0003", "incident_guardian_notice": "SMS_0004",
                                       "next_of_kin_update": "SMS_0005",
                                       "holder_transfer": "SMS_0006"}}


def test_a_message_lands_in_the_outbox_encrypted_and_the_developer_reads_it(enterprises):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13612346600")
        sms.send_sms(person=person, message_kind="verification_code",
                     params={"code": "246810", "minutes": 5, "purpose": "testing"})

        [message] = SmsOutboxMessage.objects.filter(person=person)
        assert message.mobile == "13612346600" and "246810" in message.body
        with connection.cursor() as cursor:  # X1: neither the number nor the text is stored in clear
            cursor.execute(f"SELECT mobile, body FROM {SmsOutboxMessage._meta.db_table} WHERE id = %s", [message.pk])
            stored = " ".join(cursor.fetchone())
        assert "13612346600" not in stored and "246810" not in stored

    out = StringIO()
    call_command("sms_outbox", schema=enterprises.a.schema_name, stdout=out)
    assert "13612346600" in out.getvalue() and "246810" in out.getvalue() and "[verification_code]" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("sms_outbox", schema="public", stdout=StringIO())


def test_an_unknown_message_kind_is_refused(enterprises):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13612346601")
        with pytest.raises(ValueError):
            sms.send_sms(person=person, message_kind="marketing", params={})
        assert not SmsOutboxMessage.objects.filter(person=person).exists()


def test_the_provider_adapter_refuses_to_start_until_configured(settings):
    settings.SMS_BACKEND = "accounts.sms.HttpSmsProviderBackend"
    with pytest.raises(ImproperlyConfigured) as unconfigured:
        sms.HttpSmsProviderBackend()
    assert "SMS_PROVIDER_URL" in str(unconfigured.value) and "SMS_PROVIDER_TEMPLATES" in str(unconfigured.value)
    [problem] = sms_backend_is_configured()  # what `manage.py check --deploy` reports
    assert problem.id == "accounts.E001" and "SMS_PROVIDER_SECRET" in problem.msg

    for name, value in PROVIDER.items():
        setattr(settings, name, value)
    backend = sms.HttpSmsProviderBackend()
    assert backend.templates == PROVIDER["SMS_PROVIDER_TEMPLATES"]
    assert sms_backend_is_configured() == []

    settings.SMS_PROVIDER_URL = "http://sms.example.com/send"
    with pytest.raises(ImproperlyConfigured, match="https"):
        sms.HttpSmsProviderBackend()


def test_the_outbox_command_refuses_when_the_outbox_is_not_in_use(settings, enterprises):
    settings.SMS_BACKEND = "accounts.sms.HttpSmsProviderBackend"
    with pytest.raises(CommandError, match="not in use"):
        call_command("sms_outbox", schema=enterprises.a.schema_name, stdout=StringIO())
