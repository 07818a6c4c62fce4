import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, connections
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from core.errors import NotPermitted
from tenants.models import Domain, Enterprise
from tenants import services as tenant_services
from tests.committing import committed
from tests.tenants.factories import TEST_PROVISIONING, platform_operator

VALID = dict(
    actor=TEST_PROVISIONING, name="Gamma Logistics", location="Hangzhou", industry="Logistics",
    personnel_size="101-500",
    administrator_mobile="13544440001", administrator_name="Zhao Min", administrator_password="Gamma-Strong-9",
)


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.promise("E1")
def test_provisioning_creates_a_serving_enterprise_with_schema_domain_and_manager(platform_client):
    result = tenant_services.provision_enterprise(code="gamma", **VALID)

    enterprise = Enterprise.objects.get(code="gamma")
    assert enterprise.status == Enterprise.Status.ACTIVE
    assert schema_exists(enterprise.schema_name)
    assert {"accounts_user", "orgdata_department", "orgdata_employee"} <= _tables(enterprise.schema_name)
    assert Domain.objects.get(domain=result.domain).tenant == enterprise
    with schema_context(enterprise.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        assert (manager.mobile, manager.display_name) == ("13544440001", "Zhao Min")
        assert manager.check_password("Gamma-Strong-9")
    response = platform_client.get("/api/v1/enterprises/lookup", {"code": "gamma"})
    assert response.status_code == 200
    assert response.json()["host"] == "gamma.localhost"


@pytest.mark.django_db
@pytest.mark.promise("E1")
@pytest.mark.parametrize("missing", ["location", "industry", "personnel_size"])
def test_enterprise_without_location_industry_or_size_is_refused_before_anything_is_created(missing):
    fields = {**VALID, missing: ""}

    with pytest.raises(ValidationError) as refused:
        tenant_services.provision_enterprise(code="delta", **fields)

    assert missing in refused.value.message_dict
    assert not Enterprise.objects.filter(code="delta").exists()
    assert not schema_exists("ent_delta")


@pytest.mark.django_db
@pytest.mark.promise("S1")
def test_data_region_is_recorded_as_mainland_china_and_no_other_region_is_accepted():
    tenant_services.provision_enterprise(code="epsilon", **VALID)
    assert Enterprise.objects.get(code="epsilon").data_region == "cn-mainland"

    with pytest.raises(ValidationError) as refused:
        tenant_services.provision_enterprise(code="zeta", data_region="us-east-1", **VALID)
    assert "data_region" in refused.value.message_dict


@pytest.mark.django_db
def test_provisioning_twice_changes_nothing_and_an_interrupted_run_is_completed():
    first = tenant_services.provision_enterprise(code="eta", **VALID)
    # Simulate a crash after the schema was created but before the domain was written.
    Domain.objects.filter(domain=first.domain).delete()
    Enterprise.objects.filter(code="eta").update(status=Enterprise.Status.PROVISIONING)

    again = tenant_services.provision_enterprise(code="eta", **VALID)

    assert again.enterprise.pk == first.enterprise.pk
    assert again.administrator_created is False
    assert Domain.objects.filter(domain=first.domain).count() == 1
    assert Enterprise.objects.get(code="eta").status == Enterprise.Status.ACTIVE
    with schema_context(first.enterprise.schema_name):
        assert User.objects.filter(role=User.Role.MANAGER).count() == 1


@pytest.mark.django_db
def test_a_lagging_template_is_migrated_before_it_is_cloned(settings):
    tenant_services.provision_enterprise(code="theta", **VALID)  # makes sure the template exists
    template = settings.TENANT_TEMPLATE_SCHEMA
    call_command("migrate_schemas", "orgdata", "zero", schema_name=template, interactive=False, verbosity=0)
    assert "orgdata_employee" not in _tables(template)

    provisioned = tenant_services.provision_enterprise(code="iota", **VALID)

    assert "orgdata_employee" in _tables(provisioned.enterprise.schema_name)
    assert "orgdata_employee" in _tables(template)


@pytest.mark.django_db
def test_bad_administrator_details_are_reported_field_by_field():
    with pytest.raises(ValidationError) as refused:
        tenant_services.provision_enterprise(code="kappa", **{**VALID, "administrator_mobile": "12345",
                                                              "administrator_password": "short"})
    assert {"mobile", "password"} <= set(refused.value.message_dict)
    assert not Enterprise.objects.filter(code="kappa").exists()


@pytest.mark.django_db
def test_a_ready_spare_schema_is_claimed_instead_of_cloning(django_capture_on_commit_callbacks):
    from tenants import services as tenant_services

    assert tenant_services.replenish_spare_schemas(target=1) == 1
    assert tenant_services.replenish_spare_schemas(target=1) == 0  # idempotent
    (spare,) = tenant_services._spare_schemas()

    with django_capture_on_commit_callbacks() as refills:
        provisioned = tenant_services.provision_enterprise(code="lambda", **VALID)

    assert tenant_services._spare_schemas() == []
    assert not schema_exists(spare)
    assert len(refills) == 1  # the pool is refilled in the background
    with schema_context(provisioned.enterprise.schema_name):
        assert User.objects.get(role=User.Role.MANAGER).display_name == "Zhao Min"


@pytest.mark.django_db
def test_a_spare_that_lags_the_migrations_is_dropped_not_handed_out():
    from tenants import services as tenant_services

    tenant_services.replenish_spare_schemas(target=1)
    (spare,) = tenant_services._spare_schemas()
    call_command("migrate_schemas", "orgdata", "zero", schema_name=spare, interactive=False, verbosity=0)

    provisioned = tenant_services.provision_enterprise(code="mu-co", **VALID)

    assert not schema_exists(spare)
    assert "orgdata_employee" in _tables(provisioned.enterprise.schema_name)


@pytest.mark.django_db
def test_a_cloned_schema_has_the_template_constraint_and_index_names(settings):
    """Later migrations drop and alter constraints by name; a clone must carry the same names."""
    provisioned = tenant_services.provision_enterprise(code="nu-co", **VALID)

    def names(schema):
        with connection.cursor() as cursor:
            cursor.execute("SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                           "WHERE nspname = %s UNION SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                           [schema, schema])
            return {row[0] for row in cursor.fetchall()}

    copied, template = names(provisioned.enterprise.schema_name), names(settings.TENANT_TEMPLATE_SCHEMA)
    assert "department_unique_name_per_parent" in copied
    assert _fixed(copied) == _fixed(template)
    assert template - _fixed(template) <= copied


# The two logs' monthly partitions: a new enterprise also gets the months that began since the
# template was made (audit.apps), so it may hold more of them than the template, never fewer.
_MONTHLY_PARTITION = re.compile(r"_p\d{4}_\d{2}")


def _fixed(rows: set) -> set:
    """`rows` without those naming a monthly log partition."""
    return {row for row in rows if not _MONTHLY_PARTITION.search(str(row))}


def _catalogue(schema: str) -> dict[str, set]:
    """What an operator would compare between two schemas, read straight from PostgreSQL."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length"
                   " FROM information_schema.columns WHERE table_schema = %(s)s",
        "constraints": "SELECT t.relname, c.conname, c.contype FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
                       " WHERE c.connamespace = %(s)s::regnamespace",
        "indexes": "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %(s)s",
        "sequences": "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %(s)s",
        "triggers": "SELECT event_object_table, trigger_name, event_manipulation FROM information_schema.triggers"
                    " WHERE trigger_schema = %(s)s",
        "functions": "SELECT proname FROM pg_proc WHERE pronamespace = %(s)s::regnamespace",
        "grants": "SELECT table_name, grantee, privilege_type FROM information_schema.role_table_grants"
                  " WHERE table_schema = %(s)s",
        "migrations": "SELECT app, name FROM {schema}.django_migrations",
        "purposes": "SELECT * FROM {schema}.consent_purpose",
        "permissions": "SELECT * FROM {schema}.auth_permission",
        "applications": "SELECT * FROM {schema}.orgdata_application",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, query in queries.items():
            cursor.execute(query.format(schema=f'"{schema}"'), {"s": schema})
            found[name] = {tuple(str(value).replace(schema, "<schema>") for value in row) for row in cursor.fetchall()}
    return found


@pytest.mark.django_db
def test_an_enterprise_schema_made_with_the_pool_empty_is_the_template_in_every_name_and_seeded_row(settings):
    """Later migrations find constraints and indexes by name, the consent gate reads the seeded
    catalogue: a new schema is the template again, not something like it."""
    assert tenant_services._spare_schemas() == []
    provisioned = tenant_services.provision_enterprise(code="xi-co", **VALID)

    copied, template = _catalogue(provisioned.enterprise.schema_name), _catalogue(settings.TENANT_TEMPLATE_SCHEMA)

    assert {"employee_department_number", "orgdata_employee_employee_number_key"} <= {n for _, n in copied["indexes"]}
    assert ("orgdata_department", "department_unique_name_per_parent", "u") in copied["constraints"]
    assert copied["purposes"] and copied["permissions"] and copied["migrations"] and copied["grants"]
    for kind in copied.keys() - {"sequences"}:
        assert _fixed(copied[kind]) == _fixed(template[kind]), kind
        assert template[kind] <= copied[kind], kind
    # Sequences continue from the template's rows; the manager's account moved its own on.
    assert {name for name, _ in copied["sequences"]} == {name for name, _ in template["sequences"]}
    assert dict(copied["sequences"])["consent_purpose_id_seq"] == dict(template["sequences"])["consent_purpose_id_seq"]


@pytest.mark.django_db
def test_a_copy_that_differs_from_the_template_leaves_nothing_behind_and_a_rerun_finishes_the_enterprise(
        monkeypatch):
    """Provisioning is idempotent: a copy refused half-way (here, a script that lost one index)
    is rolled back whole, and calling again with the fault gone gives the serving enterprise."""
    from tenants import schema_copy

    generate = schema_copy._generate

    def losing_one_index(cursor, template):
        return "\n".join(statement for statement in generate(cursor, template).split("\n")
                         if not statement.startswith("CREATE INDEX employee_department_number "))

    monkeypatch.setattr(schema_copy, "_generate", losing_one_index)
    monkeypatch.setattr(schema_copy, "_cached", None)
    with pytest.raises(schema_copy.SchemaCopyMismatch, match="employee_department_number"):
        tenant_services.provision_enterprise(code="pi-co", **VALID)

    assert not schema_exists("ent_pi_co")
    assert Enterprise.objects.get(code="pi-co").status == Enterprise.Status.PROVISIONING
    assert not Domain.objects.filter(tenant__code="pi-co").exists()

    monkeypatch.setattr(schema_copy, "_generate", generate)
    monkeypatch.setattr(schema_copy, "_cached", None)
    provisioned = tenant_services.provision_enterprise(code="pi-co", **VALID)

    assert Enterprise.objects.get(code="pi-co").status == Enterprise.Status.ACTIVE
    assert "employee_department_number" in {name for _, name in _catalogue(provisioned.enterprise.schema_name)["indexes"]}


@pytest.mark.django_db
def test_provisioning_and_lifecycle_changes_ask_the_catalogue_inside_the_service():
    staff_without_rights = User(pk=10**9, role=User.Role.PLATFORM_STAFF, is_staff=True, is_active=True)  # unsaved
    with pytest.raises(TypeError, match="actor is required"):
        tenant_services.provision_enterprise(**{**VALID, "actor": None}, code="omicron")
    with pytest.raises(NotPermitted):
        tenant_services.provision_enterprise(**{**VALID, "actor": staff_without_rights}, code="omicron")
    assert not Enterprise.objects.filter(code="omicron").exists()
    enterprise = tenant_services.provision_enterprise(
        **{**VALID, "actor": platform_operator()}, code="omicron").enterprise

    with pytest.raises(TypeError, match="actor is required"):
        tenant_services.change_enterprise_status(actor=None, enterprise=enterprise,
                                                 status=Enterprise.Status.SUSPENDED)
    for refused in (staff_without_rights, TEST_PROVISIONING):  # system work does not suspend enterprises
        with pytest.raises(NotPermitted):
            tenant_services.change_enterprise_status(actor=refused, enterprise=enterprise,
                                                     status=Enterprise.Status.SUSPENDED)
    assert Enterprise.objects.get(pk=enterprise.pk).status == Enterprise.Status.ACTIVE
    tenant_services.change_enterprise_status(actor=platform_operator(), enterprise=enterprise,
                                             status=Enterprise.Status.SUSPENDED)
    assert Enterprise.objects.get(pk=enterprise.pk).status == Enterprise.Status.SUSPENDED


@pytest.mark.django_db
def test_two_provisions_finding_the_template_lagging_migrate_it_once_and_both_succeed(settings):
    """After a deploy the first two registrations may both find the template behind the code; the
    second waits for the first's migration instead of creating the same tables again and failing."""
    template, codes = settings.TENANT_TEMPLATE_SCHEMA, ("nu-one", "nu-two")
    lag_the_template = lambda: call_command(  # noqa: E731
        "migrate_schemas", "orgdata", "zero", schema_name=template, interactive=False, verbosity=0)
    committed("public", lambda: tenant_services.provision_enterprise(code="nu-zero", **VALID))  # the template exists
    committed("public", lag_the_template)
    assert "orgdata_employee" not in _tables(template)
    together, outcomes = threading.Barrier(len(codes)), {}

    def provision(code):
        try:
            together.wait()
            outcomes[code] = tenant_services.provision_enterprise(code=code, **VALID).enterprise.status
        except Exception as error:  # reported below, with the enterprise it concerns
            outcomes[code] = repr(error)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=provision, args=(code,)) for code in codes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert outcomes == {code: Enterprise.Status.ACTIVE for code in codes}
        assert all("orgdata_employee" in _tables(tenant_services._schema_name_for(code)) for code in codes)
        assert "orgdata_employee" in _tables(template)
    finally:
        committed("public", lambda: _drop_committed(("nu-zero", *codes)))


def _drop_committed(codes):
    with connection.cursor() as cursor:
        for enterprise in Enterprise.objects.filter(code__in=codes):
            Domain.objects.filter(tenant=enterprise).delete()
            enterprise.delete()
            cursor.execute(f'DROP SCHEMA IF EXISTS "{enterprise.schema_name}" CASCADE')
