import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from tests.accounts.signing_in import api_login


@pytest.fixture
def in_a(enterprises):
    """Run the test body inside enterprise A's schema."""
    with schema_context(enterprises.a.schema_name):
        yield enterprises.a


@pytest.fixture
def manager(in_a):
    return User.objects.get(role=User.Role.MANAGER)


PASSWORD = "Emp1oyee-Pass!"


@pytest.fixture
def api_as(api_client_for, enterprises):
    """An API client signed in (device-bound token) as `account` of enterprise A."""
    counter = iter(range(1000))

    def sign_in(account):
        account.set_password(PASSWORD)
        account.save(update_fields=["password"])
        device = f"device-orgdata-{next(counter):03d}"
        client = api_client_for(enterprises.a)
        response = api_login(client, {"mobile": account.mobile, "password": PASSWORD, "device_id": device})
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_X_DEVICE_ID=device)
        return client

    return sign_in


def _own_enterprise(code: str, name: str, mobile: str, django_db_blocker):
    from django.db import connection

    from tests.conftest import _provision

    with django_db_blocker.unblock():
        enterprise = _provision(code, name, mobile)
        connection.set_schema_to_public()
    return enterprise


def _retire(enterprise, django_db_blocker):
    """Leave the enterprise cancelling: periodic fan-out and other tests' counts skip it."""
    from django.db import connection

    from tenants import routing_cache
    from tenants.models import Enterprise
    from tenants import services as tenant_services
    from tests.tenants.factories import platform_operator

    with django_db_blocker.unblock():
        tenant_services.change_enterprise_status(
            actor=platform_operator(), enterprise=Enterprise.objects.get(pk=enterprise.enterprise.pk),
            status=Enterprise.Status.CANCELLING)
        connection.set_schema_to_public()
    routing_cache.forget_host(enterprise.host)


@pytest.fixture(scope="module")
def own_enterprise(request, session_enterprises, django_db_blocker):
    """An enterprise of this test module alone, for rows that must be committed (real worker,
    live server) without disturbing the shared session enterprises."""
    suffix = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "").replace("_", "-")[:20]
    enterprise = _own_enterprise(f"org-{suffix}", f"Orgdata {suffix}", "13744440001", django_db_blocker)
    yield enterprise
    _retire(enterprise, django_db_blocker)
