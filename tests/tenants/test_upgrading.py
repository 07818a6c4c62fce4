"""Issue 18: an enterprise whose schema lacks a migration this code expects is refused with 503
"upgrading" (API and console alike) instead of being served against the wrong tables; once its
schema is migrated and routing told so, it is served again. A schema ahead of the code (a rolling
deploy's backward-compatible migrations) is served."""
import json
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from core.process_cache import shared_redis
from core.schemas import expected_latest_migrations
from tenants import routing_cache

APP = "orgdata"


@contextmanager
def _migration_missing(schema_name: str, app: str = APP):
    """The schema's record of `app`'s latest migration deleted (inside the test's transaction)."""
    name = expected_latest_migrations()[app]
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schema_name}".django_migrations WHERE app = %s AND name = %s', [app, name])
        assert cursor.rowcount == 1
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'INSERT INTO "{schema_name}".django_migrations (app, name, applied) VALUES (%s, %s, %s)',
                           [app, name, timezone.now()])


def test_an_enterprise_whose_schema_is_behind_is_refused_with_503_upgrading_until_it_is_migrated(
        enterprises, api_client_for):
    client = api_client_for(enterprises.a)
    assert client.get("/console/login/").status_code == 200

    with _migration_missing(enterprises.a.schema_name):
        routing_cache.forget_host(enterprises.a.host)  # a process whose cache has not seen this schema yet

        api = client.post("/api/v1/auth/login", {}, format="json")
        page = client.get("/console/login/")

        assert api.status_code == 503
        assert api.json()["code"] == "upgrading"
        assert "being upgraded" in api.json()["detail"]
        assert api["Retry-After"] == "30"
        assert page.status_code == 503
        assert page["Retry-After"] == "30"
        assert "being upgraded" in page.content.decode()
        assert enterprises.a.enterprise.name not in page.content.decode()
        assert api_client_for(enterprises.b).get("/console/login/").status_code == 200

    # The migrate command's contract: the schema is up to date, then routing forgets its facts.
    routing_cache.forget_enterprise(enterprises.a.enterprise)
    assert client.post("/api/v1/auth/login", {}, format="json").status_code == 400
    assert client.get("/console/login/").status_code == 200


def test_a_schema_ahead_of_the_code_is_served(enterprises, api_client_for):
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{enterprises.a.schema_name}".django_migrations (app, name, applied) '
                       "VALUES (%s, %s, %s)", [APP, "9999_from_the_next_release", timezone.now()])
    routing_cache.forget_host(enterprises.a.host)

    response = api_client_for(enterprises.a).get("/console/login/")

    assert response.status_code == 200
    assert enterprises.a.enterprise.name in response.content.decode()


def test_a_route_cached_by_an_earlier_code_version_is_read_again(enterprises, api_client_for):
    """During a deploy an older process caches facts without the schema's migrations: this version
    loads them instead of serving (or failing) on what it cannot judge."""
    with _migration_missing(enterprises.a.schema_name):
        routing_cache.forget_host(enterprises.a.host)
        from tenants.routing import _load_facts

        earlier_version_facts = {key: value for key, value in _load_facts(enterprises.a.host).items()
                                 if key != "migrations"}
        shared_redis().set(routing_cache._key(enterprises.a.host), json.dumps(earlier_version_facts))

        response = api_client_for(enterprises.a).get("/api/v1/me")

    assert response.status_code == 503
    assert response.json()["code"] == "upgrading"
