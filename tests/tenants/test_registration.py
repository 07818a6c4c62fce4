"""E1: an enterprise registers itself on the platform host (API and web page), the registrant becomes
its manager, and basic services wait for its location, industry type and personnel size."""
from __future__ import annotations

import secrets

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists
from rest_framework.test import APIClient

from accounts.models import User
from tenants.models import Domain, Enterprise, PendingRegistration
from tenants.signals import enterprise_provisioned
from tests.accounts.signing_in import api_login, latest_code

PASSWORD = "Regist3r-Strong-pass"


def _mobile() -> str:
    return "139" + f"{secrets.randbelow(10 ** 8):08d}"


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture
def platform_api():
    return APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=_address())


def _send_code(client, mobile):
    response = client.post("/api/v1/registrations/code", {"mobile": mobile}, format="json")
    assert response.status_code == 202, response.content
    return latest_code("public", mobile)


def _register(client, *, name, mobile, code, password=PASSWORD, manager_name="Qian Lan"):
    return client.post("/api/v1/registrations/", {"name": name, "manager_name": manager_name, "mobile": mobile,
                                                   "code": code, "password": password}, format="json")


def _registered(client, name="Lotus Trading") -> tuple[dict, str]:
    mobile = _mobile()
    response = _register(client, name=name, mobile=mobile, code=_send_code(client, mobile))
    assert response.status_code == 201, response.content
    return response.json(), mobile


@pytest.mark.promise("E1")
def test_an_enterprise_registers_through_the_api_and_the_registrant_becomes_its_manager(enterprises, platform_api):
    body, mobile = _registered(platform_api)

    enterprise = Enterprise.objects.get(code=body["code"])
    assert body["name"] == enterprise.name == "Lotus Trading"
    assert body["console_url"] == f"http://{body['host']}/console/"
    assert body["missing_basic_details"] == ["location", "industry", "personnel_size"]
    assert enterprise.status == Enterprise.Status.ACTIVE and schema_exists(enterprise.schema_name)
    with schema_context(enterprise.schema_name):
        manager = User.objects.with_mobile(mobile).get()
        assert manager.role == User.Role.MANAGER and manager.check_password(PASSWORD)
    # The stand-in that received the code is gone with its code and message.
    assert not User.objects.with_mobile(mobile).exists()
    assert not PendingRegistration.objects.exists()
    assert enterprise.lifecycle_events.filter(event="registered").exists()


@pytest.mark.promise("E1")
def test_basic_services_wait_for_location_industry_and_size_in_the_api_and_the_console(enterprises, platform_api):
    body, mobile = _registered(platform_api, name="Plum Blossom Foods")
    app = APIClient(HTTP_HOST=body["host"], HTTP_X_DEVICE_ID="device-reg-1")

    signed_in = api_login(app, {"mobile": mobile, "password": PASSWORD, "device_id": "device-reg-1"})
    assert signed_in.status_code == 200, signed_in.content  # signing in still works
    app.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}", HTTP_X_DEVICE_ID="device-reg-1")
    refused = app.get("/api/v1/consent/purposes")
    assert refused.status_code == 403
    assert refused.json()["code"] == "basic_details_required"
    assert refused.json()["missing_fields"] == ["location", "industry", "personnel_size"]

    console = Client(HTTP_HOST=body["host"])
    with schema_context(Enterprise.objects.get(code=body["code"]).schema_name):
        console.force_login(User.objects.with_mobile(mobile).get())
    for page in ("/console/", "/console/organisation/employees/", "/console/privacy/"):
        response = console.get(page)
        assert response.status_code == 302 and response["Location"] == "/console/organisation/basic-details/"
    asked = console.get("/console/organisation/basic-details/")
    assert asked.status_code == 200 and 'data-testid="basic-details"' in asked.content.decode()

    half = console.post("/console/organisation/basic-details/", {"location": "Suzhou", "industry": ""})
    assert half.status_code == 200 and 'data-field="industry"' in half.content.decode()
    assert app.get("/api/v1/consent/purposes").status_code == 403

    given = console.post("/console/organisation/basic-details/",
                         {"location": "Suzhou", "industry": "Food", "personnel_size": "1-20"})
    assert given.status_code == 302
    assert console.get("/console/").status_code == 200
    assert app.get("/api/v1/consent/purposes").status_code == 200
    connection.set_schema_to_public()
    enterprise = Enterprise.objects.get(code=body["code"])
    assert (enterprise.location, enterprise.industry, enterprise.personnel_size) == ("Suzhou", "Food", "1-20")


@pytest.mark.promise("E1")
def test_a_complete_enterprise_is_never_stopped_by_the_basic_details_gate(enterprises):
    console = Client(HTTP_HOST=enterprises.a.host)
    with schema_context(enterprises.a.schema_name):
        console.force_login(User.objects.with_mobile(enterprises.a.admin_mobile).get())
    assert console.get("/console/").status_code == 200
    assert console.get("/console/organisation/basic-details/").status_code == 302  # nothing to ask


@pytest.mark.promise("E1")
@pytest.mark.parametrize("spelling", ["Alpha Test Co", "alpha test co", "ＡＬＰＨＡ　Ｔｅｓｔ　Ｃｏ", " AlphaTest   Co "])
def test_a_name_already_registered_is_refused_in_any_spelling(enterprises, platform_api, spelling):
    mobile = _mobile()
    response = _register(platform_api, name=spelling, mobile=mobile, code=_send_code(platform_api, mobile))

    assert response.status_code == 400
    assert "already registered" in response.json()["fields"]["name"][0]
    assert Enterprise.objects.filter(name_key="alphatestco").count() == 1


@pytest.mark.promise("E1")
def test_the_web_page_registers_an_enterprise_and_tells_the_console_url(enterprises):
    page = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=_address())
    mobile = _mobile()
    assert page.get("/register/").status_code == 200

    sent = page.post("/register/", {"action": "code", "mobile": mobile, "name": "Willow Design"})
    assert sent.status_code == 200 and "Willow Design" in sent.content.decode()
    wrong = page.post("/register/", {"action": "register", "name": "Willow Design", "manager_name": "Sun Yue",
                                     "mobile": mobile, "code": "000000", "password": PASSWORD})
    assert wrong.status_code == 200 and not Enterprise.objects.filter(name="Willow Design").exists()
    done = page.post("/register/", {"action": "register", "name": "Willow Design", "manager_name": "Sun Yue",
                                    "mobile": mobile, "code": latest_code("public", mobile), "password": PASSWORD})

    assert done.status_code == 201
    enterprise = Enterprise.objects.get(name="Willow Design")
    assert f"http://{enterprise.code}.{settings.PLATFORM_DOMAIN}/console/" in done.content.decode()


@pytest.mark.promise("E1")
def test_registration_is_throttled_per_address_and_per_mobile_number(enterprises, platform_api, settings):
    settings.REGISTRATION_ATTEMPTS_PER_ADDRESS = 3
    settings.REGISTRATION_ATTEMPTS_PER_MOBILE = 2
    mobile = _mobile()
    for _attempt in range(2):
        assert _register(platform_api, name="Pine Ltd", mobile=mobile, code="123456").status_code == 400
    per_mobile = _register(APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=_address()),
                           name="Pine Ltd", mobile=mobile, code="123456")
    assert per_mobile.status_code == 429 and per_mobile.json()["code"] == "registration_throttled"

    assert platform_api.post("/api/v1/registrations/code", {"mobile": _mobile()}, format="json").status_code == 202
    per_address = platform_api.post("/api/v1/registrations/code", {"mobile": _mobile()}, format="json")
    assert per_address.status_code == 429 and per_address.json()["code"] == "registration_throttled"


@pytest.mark.promise("E1")
@pytest.mark.parametrize(("change", "field"), [
    ({"name": ""}, "name"),
    ({"name": "\u200b\u200b"}, "name"),
    ({"name": "x" * 401}, "name"),
    ({"name": ["a list"]}, "name"),
    ({"manager_name": ""}, "manager_name"),
    ({"mobile": "12345"}, "mobile"),
    ({"mobile": {"a": 1}}, "mobile"),
    ({"password": "short"}, "password"),
    ({"password": "13912345678"}, "password"),
    ({"code": "999999"}, "code"),
    ({"code": ""}, "code"),
])
def test_hostile_input_is_refused_naming_the_field_and_nothing_is_written(enterprises, platform_api, change, field):
    mobile = _mobile()
    code = _send_code(platform_api, mobile)
    before = (Enterprise.objects.count(), Domain.objects.count())
    payload = {"name": "Cedar Works", "manager_name": "Zhou Yi", "mobile": mobile, "code": code,
               "password": PASSWORD, **change}

    response = platform_api.post("/api/v1/registrations/", payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert (Enterprise.objects.count(), Domain.objects.count()) == before


@pytest.mark.promise("E1")
def test_a_failed_provisioning_leaves_no_enterprise_schema_or_account_behind(enterprises, platform_api):
    def fail(**kwargs):
        raise RuntimeError("an application could not prepare the new enterprise")

    mobile = _mobile()
    code = _send_code(platform_api, mobile)
    schemas_before = _schemas()
    enterprise_provisioned.connect(fail, dispatch_uid="test-failing-receiver")
    try:
        response = _register(platform_api, name="Birch Holdings", mobile=mobile, code=code)
    finally:
        enterprise_provisioned.disconnect(dispatch_uid="test-failing-receiver")

    assert response.status_code == 500
    connection.set_schema_to_public()
    assert not Enterprise.objects.filter(name="Birch Holdings").exists()
    assert not Domain.objects.filter(tenant__name="Birch Holdings").exists()
    assert _schemas() == schemas_before


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.promise("E10")
def test_no_enterprise_registers_once_the_service_stopped_collecting(enterprises, platform_api):
    from django.contrib.auth.models import Permission

    from tests.tenants.test_cessation import _announce, _the_stop_date_comes

    staff = User.objects.create_user(mobile=_mobile(), display_name="Support", password="Supp0rt-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    staff.user_permissions.add(Permission.objects.get(codename="change_enterprise"))
    _announce(User.objects.get(pk=staff.pk))
    _the_stop_date_comes()
    mobile = _mobile()

    sent = platform_api.post("/api/v1/registrations/code", {"mobile": mobile}, format="json")
    registered = _register(platform_api, name="Late Starter", mobile=mobile, code="123456")

    assert sent.status_code == registered.status_code == 403
    assert sent.json()["code"] == registered.json()["code"] == "collection_stopped"
    assert not User.objects.with_mobile(mobile).exists()
    assert not Enterprise.objects.filter(name="Late Starter").exists()


@pytest.mark.promise("E1")
def test_an_abandoned_registration_leaves_nothing_after_a_day(enterprises, platform_api):
    from django.utils import timezone

    from accounts.models import SmsOutboxMessage, VerificationCode
    from tenants.tasks import purge_abandoned_registrations

    kept, abandoned = _mobile(), _mobile()
    _send_code(platform_api, kept)
    _send_code(platform_api, abandoned)
    stand_in = User.objects.with_mobile(abandoned).get()
    PendingRegistration.objects.filter(registrant=stand_in).update(
        created_at=timezone.now() - timezone.timedelta(days=1, minutes=1))

    assert purge_abandoned_registrations.apply().get() == 1

    assert not User.objects.with_mobile(abandoned).exists()
    assert not VerificationCode.objects.filter(person_id=stand_in.pk).exists()
    assert not SmsOutboxMessage.objects.filter(person_id=stand_in.pk).exists()
    assert User.objects.with_mobile(kept).exists()  # less than a day old: still waiting for its code
