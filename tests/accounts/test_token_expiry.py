"""An API token stops working when it expires (DEVICE_TOKEN_TTL after sign-in); signing in again
issues a fresh one."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import DeviceToken
from tests.accounts.factories import FACTORY_PASSWORD, UserFactory
from tests.accounts.signing_in import api_login

DEVICE = "device-expiry-0001"


def _signed_in(client, mobile):
    response = api_login(client, {"mobile": mobile, "password": FACTORY_PASSWORD,
                                                  "device_id": DEVICE})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_X_DEVICE_ID=DEVICE)
    return client


@pytest.mark.promise("X6")
def test_an_expired_token_is_refused_and_signing_in_again_works(enterprises, api_client_for):
    with schema_context(enterprises.a.schema_name):
        person = UserFactory(mobile="13612349901", display_name="Expiry")
    client = _signed_in(api_client_for(enterprises.a), "13612349901")
    assert client.get("/api/v1/me").status_code == 200
    with schema_context(enterprises.a.schema_name):
        token = DeviceToken.objects.get(user=person, device_id=DEVICE)
        assert token.expires_at - token.created_at == pytest.approx(settings.DEVICE_TOKEN_TTL, abs=timedelta(minutes=1))
        # Time passes: the token's lifetime ends a second ago.
        DeviceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert _signed_in(api_client_for(enterprises.a), "13612349901").get("/api/v1/me").status_code == 200
