from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Enterprise
from tenants import services as tenant_services
from tests.tenants.factories import platform_operator


def test_each_host_is_served_by_its_own_enterprise(enterprises, api_client_for):
    for each in (enterprises.a, enterprises.b):
        response = api_client_for(each).get("/console/login/")
        assert response.status_code == 200
        assert each.enterprise.name in response.content.decode()


def test_unknown_host_is_not_found(enterprises, client):
    response = client.get("/console/login/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404


def test_platform_host_serves_the_admin_and_not_a_console(enterprises, platform_client):
    assert platform_client.get("/admin/login/").status_code == 200
    assert platform_client.get("/console/login/").status_code == 404


def test_a_suspended_enterprise_is_refused_on_the_next_request_even_with_a_warm_cache(enterprises, api_client_for):
    client = api_client_for(enterprises.a)
    assert client.get("/console/login/").status_code == 200  # warms the routing cache

    tenant_services.change_enterprise_status(
        actor=platform_operator(), enterprise=Enterprise.objects.get(pk=enterprises.a.enterprise.pk),
        status=Enterprise.Status.SUSPENDED)

    api = client.post("/api/v1/auth/login", {}, format="json")
    assert api.status_code == 403
    assert api.json()["code"] == "enterprise_suspended"
    page = client.get("/console/login/")
    assert page.status_code == 403
    assert "suspended" in page.content.decode()
    assert api_client_for(enterprises.b).get("/console/login/").status_code == 200


def test_a_cancelled_or_cancelling_enterprise_is_refused(enterprises, api_client_for):
    response = api_client_for(enterprises.cancelling).get("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["code"] == "enterprise_cancelled"


def test_a_status_change_made_outside_the_services_also_takes_effect_at_once(enterprises, api_client_for):
    client = api_client_for(enterprises.b)
    assert client.get("/console/login/").status_code == 200
    enterprise = Enterprise.objects.get(pk=enterprises.b.enterprise.pk)
    enterprise.status = Enterprise.Status.CANCELLED
    enterprise.save()  # e.g. from a shell: the model signal clears the route

    assert client.get("/console/login/").status_code == 403


def test_a_warm_request_to_the_same_enterprise_costs_no_routing_query(enterprises, api_client_for):
    client = api_client_for(enterprises.a)
    client.get("/console/login/")
    sets_before = connection.search_path_set_count

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/console/login/")

    assert response.status_code == 200
    assert connection.search_path_set_count == sets_before
    assert not any("tenants_domain" in q["sql"] for q in queries.captured_queries)


def test_switching_enterprise_sets_the_search_path_again(enterprises, api_client_for):
    api_client_for(enterprises.b).get("/console/login/")  # b's route is warm: no lookup in public below
    api_client_for(enterprises.a).get("/console/login/")
    sets_before = connection.search_path_set_count

    response = api_client_for(enterprises.b).get("/console/login/")

    assert enterprises.b.enterprise.name in response.content.decode()
    assert connection.search_path_set_count == sets_before + 1


def test_a_status_change_made_by_another_process_reaches_this_process_at_once(enterprises, api_client_for, settings):
    """Another web process suspends A: its invalidation message clears this process's copy."""
    import time

    import redis

    from tenants import routing_cache

    client = api_client_for(enterprises.a)
    assert client.get("/console/login/").status_code == 200
    assert client.get("/console/login/").status_code == 200  # now served from the local copy
    # The other process: writes the row and sends the invalidation through its own connection.
    Enterprise.objects.filter(pk=enterprises.a.enterprise.pk).update(status=Enterprise.Status.SUSPENDED)
    other_process = redis.Redis.from_url(settings.CACHE_URL)
    other_process.delete(routing_cache._key(enterprises.a.host))
    other_process.publish(routing_cache._local.channel(), enterprises.a.host)

    deadline = time.monotonic() + 2
    while routing_cache._local.get(enterprises.a.host) is not None and time.monotonic() < deadline:
        time.sleep(0.001)

    assert client.get("/console/login/").status_code == 403


def test_each_process_keeps_at_most_the_configured_number_of_routes(enterprises, api_client_for, settings):
    """Issue 18: with 10,000 enterprises a process must not keep every host it ever served; past
    TENANT_ROUTING_LOCAL_HOSTS the least recently used route goes (and is read from Redis again)."""
    from tenants import routing_cache

    settings.TENANT_ROUTING_LOCAL_HOSTS = 2
    routing_cache._local.start_listener()
    assert routing_cache._local.listening.wait(5)
    routing_cache._local.invalidate("*")
    served = [enterprises.a, enterprises.b, enterprises.a, enterprises.cancelling]
    statuses = [api_client_for(each).get("/console/login/").status_code for each in served]

    assert statuses == [200, 200, 200, 403]
    # a was used after b, so b went when the cancelling enterprise's route came in.
    assert list(routing_cache._local.entries) == [enterprises.a.host, enterprises.cancelling.host]
    with CaptureQueriesContext(connection) as queries:
        assert api_client_for(enterprises.b).get("/console/login/").status_code == 200
    assert not any("tenants_domain" in q["sql"] for q in queries.captured_queries)  # Redis still had it
    assert list(routing_cache._local.entries) == [enterprises.cancelling.host, enterprises.b.host]
