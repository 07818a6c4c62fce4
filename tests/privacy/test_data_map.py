"""The data map: every table that really exists, in the public schema and in an enterprise's, is
classified (about a person / links to an actor / not personal), and its declarations are checked
when they are made. The idea of Zulip's export table lists: nothing is silently left out."""
import json

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import isolate_apps

from privacy import data_map, registry
from privacy.registry import PI, Category, Erasure, RetentionClass, TableKind, personal_data


@pytest.mark.promise("S2")
def test_every_table_of_the_public_schema_and_of_an_enterprise_schema_is_classified(enterprises):
    public = data_map.tables_in_schema("public")
    enterprise = data_map.tables_in_schema(enterprises.a.schema_name)
    # Real tables, read from pg_class: third-party ones included, partitions folded into their log.
    assert {"django_migrations", "django_session", "axes_accesslog", "guardian_userobjectpermission",
            "tenants_enterprise", "django_admin_log"} <= public
    assert {"audit_entry", "audit_access_log", "attendance_checkin", "consent_disclosure",
            "orgdata_departmentadministratorpermission"} <= enterprise
    assert not [name for name in enterprise if name.startswith(("audit_entry_", "audit_access_log_"))]

    assert data_map.unclassified_tables("public") == []
    assert data_map.unclassified_tables(enterprises.a.schema_name) == []


def test_a_table_nobody_classified_is_named(enterprises):
    schema = enterprises.b.schema_name
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f'CREATE TABLE "{schema}".payroll_slip (id bigint PRIMARY KEY, net_pay numeric)')
        cursor.execute(f'CREATE TABLE "{schema}".payroll_slip_2026 (LIKE "{schema}".payroll_slip)')
    assert data_map.unclassified_tables(schema) == ["payroll_slip", "payroll_slip_2026"]
    assert data_map.unclassified_tables(enterprises.a.schema_name) == []


def test_every_project_model_carries_a_declaration():
    # The classification of a table lives next to its model: a model without one is named.
    assert registry.undeclared_personal_fields() == []
    labels = {declaration.label for declaration in registry.table_declarations()}
    assert {"consent.Disclosure", "consent.LegalBasisRecord", "orgdata.DepartmentAdministratorPermission",
            "privacy.PersonKey", "audit.AuditChain", "policies.PolicyVersion"} <= labels


@isolate_apps("privacy")
def test_a_model_without_a_declaration_or_with_an_undeclared_link_to_an_account_is_named():
    class Badge(models.Model):
        colour = models.CharField(max_length=10)

        class Meta:
            app_label = "privacy"

    @personal_data(subject=None, fields={}, reason="meeting rooms")
    class Room(models.Model):
        booked_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "privacy"

    assert registry.undeclared_personal_fields([Badge, Room]) == [
        "privacy.Badge (table not classified)", "privacy.Room.booked_by"]


def _declare(**declaration):
    @personal_data(**declaration)
    class Visit(models.Model):
        person = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
        place = models.CharField(max_length=50)
        note = models.CharField(max_length=50)
        occurred_at = models.DateTimeField()

        class Meta:
            app_label = "privacy"

    return Visit


@isolate_apps("privacy")
@pytest.mark.parametrize("declaration, message", [
    (dict(subject=None, fields={}), "unclassified"),
    (dict(subject=None, fields={"place": PI(Category.BASIC, purpose="visits")}), "path to their person"),
    (dict(subject="person", fields={}), "names its erasure"),
    (dict(subject="person", fields={}, erasure=Erasure.DELETE, reason="x"), "is not 'not personal'"),
    (dict(subject="person", fields={"place": PI(Category.BASIC, purpose="visits", retention_starts="booked_at",
                                                 retention=RetentionClass.TRANSACTION)}), "do not exist"),
    (dict(subject="person", fields={"place": PI(Category.BASIC, purpose="visits", retention_starts="note",
                                                 retention=RetentionClass.TRANSACTION)}), "not dates or times"),
    (dict(subject="person", fields={"place": PI(Category.BASIC, purpose="visits", erasure=Erasure.CRYPTO_SHRED)}),
     "needs an encrypted field"),
    (dict(subject="person", fields={"place": PI(Category.BASIC, purpose="visits"),
                                    "note": PI(Category.BASIC, purpose="visits", erasure=Erasure.ANONYMISE,
                                               replacement="")}), "mix erasure 'delete'"),
    (dict(subject="guest", fields={"place": PI(Category.BASIC, purpose="visits")}), "does not start at a field"),
    (dict(subject=None, fields={}, actor_links={"host": "who received the visit"}), "do not exist"),
])
def test_a_contradictory_or_incomplete_declaration_is_refused_at_import(declaration, message):
    with pytest.raises(ValueError, match=message):
        _declare(**declaration)


@pytest.mark.parametrize("rule, message", [
    (dict(erasure=Erasure.ANONYMISE), "stated replacement"),
    (dict(erasure=Erasure.DELETE, replacement=""), "means nothing"),
    (dict(retention=RetentionClass.TRANSACTION), "needs retention_starts"),
    (dict(erasure=Erasure.KEEP_LEGAL_BASIS, replacement=""), "legal period"),
    (dict(retention_setting="login_log"), "legal period only"),
])
def test_a_field_rule_must_be_complete(rule, message):
    with pytest.raises(ValueError, match=message):
        PI(Category.BASIC, purpose="visits", **rule)


def test_the_inventory_prints_each_table_with_its_classification_and_fields(capsys):
    call_command("privacy_inventory", "--json")
    tables = {table["table"]: table for table in json.loads(capsys.readouterr().out)}

    checkins = tables["attendance_checkin"]
    assert {key: checkins[key] for key in ("model", "schemas", "classification", "path_to_person", "erasure")} == {
        "model": "attendance.CheckIn", "schemas": ["enterprise"], "classification": TableKind.ABOUT_PERSON,
        "path_to_person": "person", "erasure": "keep_row"}
    location = next(field for field in checkins["fields"] if field["field"] == "location")
    assert location == {
        "field": "location", "column": "location", "category": "sensitive", "purpose": "device.location",
        "retention": "transaction", "minimum_retention_months": 36, "retention_starts": "occurred_at",
        "erasure": Erasure.CRYPTO_SHRED, "replacement": None, "mask": "location", "encrypted": True,
        "note": "A1: GPS, only with location consent"}
    mobile_index = next(field for field in tables["accounts_user"]["fields"] if field["field"] == "mobile_index")
    assert (mobile_index["erasure"], mobile_index["replacement"]) == (Erasure.ANONYMISE, None)

    policies = tables["policies_policyversion"]
    assert (policies["classification"], policies["schemas"], policies["fields"]) == (
        TableKind.LINKS_TO_ACTOR, ["public"], [])
    assert policies["actor_links"] == {"published_by": "the platform staff member who published it"}

    migrations = tables["django_migrations"]
    assert (migrations["classification"], migrations["reason"], migrations["model"]) == (
        TableKind.NOT_PERSONAL, "which schema migrations ran", None)
    assert tables["guardian_userobjectpermission"]["path_to_person"] == "user"

    call_command("privacy_inventory")
    text = capsys.readouterr().out
    assert "=== About a person" in text and "=== Links to an actor" in text and "=== Not personal" in text
    assert "attendance_checkin  (attendance.CheckIn)  [enterprise schema]" in text
    assert ("- location: sensitive, encrypted; purpose device.location; retention Transaction records "
            "(≥ 3 years), from occurred_at; erasure crypto_shred; mask location") in text
    assert "published_by (the platform staff member who published it); kept, later pointing to a tombstone" in text
    assert "0 undeclared that look personal" in text
