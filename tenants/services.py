"""Every write to enterprises: provisioning and lifecycle changes."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from access.actors import require_actor
from access.capabilities import Capability, require
from accounts import services as account_services

from tenants import routing_cache, schema_copy, selectors
from tenants.models import BASIC_DETAILS, Domain, Enterprise
from tenants.signals import enterprise_provisioned

logger = logging.getLogger(__name__)

DEFAULT_ENTERPRISE_SETTINGS = {
    "default_language": "zh-hans",
    # Address-book fields employees may see of each other (the organisation-data issue widens it).
    "directory_fields": ["display_name", "department", "position", "mobile"],
    "location_tracking_enabled": False,
}


@dataclass(frozen=True)
class ProvisionedEnterprise:
    enterprise: Enterprise
    domain: str
    administrator_mobile: str
    administrator_created: bool


def enterprise_host(code: str) -> str:
    return f"{code}.{settings.PLATFORM_DOMAIN}"


def provision_enterprise(
    *,
    actor,
    code: str,
    name: str,
    location: str,
    industry: str,
    personnel_size: str,
    administrator_mobile: str,
    administrator_name: str,
    administrator_password: str | None = None,
    plan: str = Enterprise.Plan.FREE,
    data_region: str = Enterprise.DataRegion.CN_MAINLAND,
    basic_details_later: bool = False,
) -> ProvisionedEnterprise:
    """Create an enterprise ready to serve: schema, domain, manager account, default settings.

    Idempotent: calling it again for the same code finishes whatever an interrupted call left
    undone and changes nothing that is already there. The schema is a spare from the pool or a
    copy of the template (checked to carry every migration first), compared with the template
    before it commits; a copy that differs is rolled back whole (tenants.schema_copy). Refuses (ValidationError, field by field) an incomplete profile (E1)
    or an invalid administrator, and (NotPermitted) an actor who may not provision: platform staff
    with the permission, or system work naming itself (a SystemActor, e.g. the demo's setup).
    `basic_details_later`: an enterprise registering itself (tenants.registration) gives location,
    industry type and personnel size in its console afterwards (tenants.basic_details).
    """
    require(actor, Capability.PROVISION_ENTERPRISE)
    given = {"location": location, "industry": industry, "personnel_size": personnel_size}
    if not basic_details_later and not all(given.values()):
        raise ValidationError({field: [_("This field is required.")] for field, value in given.items() if not value})
    enterprise = Enterprise.objects.filter(code=code).first()
    if enterprise is None:
        enterprise = Enterprise(
            code=code, schema_name=_schema_name_for(code), name=name, location=location,
            industry=industry, personnel_size=personnel_size, plan=plan, data_region=data_region,
            status=Enterprise.Status.PROVISIONING, settings=dict(DEFAULT_ENTERPRISE_SETTINGS),
        )
        enterprise.full_clean()
        account_services.validate_new_account(
            mobile=administrator_mobile, display_name=administrator_name, password=administrator_password
        )
        enterprise.save()
        # The manager's password is hashed while PostgreSQL copies the schema (a fifth of a second saved).
        hashing = account_services.hash_password_ahead(administrator_password)
    else:
        hashing = None

    _ensure_schema(enterprise.schema_name)
    host = enterprise_host(enterprise.code)
    Domain.objects.get_or_create(domain=host, defaults={"tenant": enterprise, "is_primary": True})

    with schema_context(enterprise.schema_name):
        administrator, created = account_services.ensure_enterprise_manager(
            actor=actor, mobile=administrator_mobile, display_name=administrator_name, password=administrator_password,
            hashing=hashing,
        )
        enterprise_provisioned.send(sender=Enterprise, enterprise=enterprise)

    if enterprise.status == Enterprise.Status.PROVISIONING:
        enterprise.status = Enterprise.Status.ACTIVE
        enterprise.save(update_fields=["status", "updated_at"])
    routing_cache.forget_enterprise(enterprise)
    return ProvisionedEnterprise(enterprise, host, administrator.mobile, created)


def change_enterprise_status(*, actor, enterprise: Enterprise, status: str) -> Enterprise:
    """Suspend, reactivate or start cancelling an enterprise; routing refuses it at once.

    Refuses (NotPermitted) an actor without CHANGE_ENTERPRISE_LIFECYCLE (platform staff with the
    permission) and a change the lifecycle does not allow (ValidationError).
    """
    require(actor, Capability.CHANGE_ENTERPRISE_LIFECYCLE)
    allowed = {
        Enterprise.Status.ACTIVE: {Enterprise.Status.SUSPENDED, Enterprise.Status.CANCELLING},
        Enterprise.Status.SUSPENDED: {Enterprise.Status.ACTIVE, Enterprise.Status.CANCELLING},
        Enterprise.Status.CANCELLING: {Enterprise.Status.CANCELLED},
    }
    if status not in allowed.get(enterprise.status, set()):
        raise ValidationError({"status": f"cannot change from {enterprise.status} to {status}"})
    enterprise.status = status
    enterprise.save(update_fields=["status", "updated_at"])
    routing_cache.forget_enterprise(enterprise)
    return enterprise


def _schema_name_for(code: str) -> str:
    return "ent_" + code.replace("-", "_")


# The set of migrations every schema must carry; it only changes with the code, so it is
# computed once per process.
_expected_migrations: frozenset[tuple[str, str]] | None = None


def _all_migrations() -> frozenset[tuple[str, str]]:
    global _expected_migrations
    if _expected_migrations is None:
        _expected_migrations = frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    return _expected_migrations


def _applied_migrations(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations']
        )
        if cursor.fetchone()[0] is None:
            return set()
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        return set(cursor.fetchall())


def _migrate_schema(schema_name: str) -> None:
    if not schema_exists(schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0)


def _ensure_schema(schema_name: str) -> None:
    """Bring `schema_name` to the current migrations: claim a spare, copy the template, or migrate."""
    connection.set_schema_to_public()
    if schema_exists(schema_name):
        if not _all_migrations() <= _applied_migrations(schema_name):
            _migrate_schema(schema_name)
        return
    if _claim_spare_schema(schema_name):
        from tenants.tasks import replenish_spare_schemas

        transaction.on_commit(replenish_spare_schemas.delay)
        return
    _copy_template_into(schema_name)


_TEMPLATE_MIGRATION_LOCK = 7_305_002  # advisory-lock key: one process at a time migrates the template


def _bring_template_up_to_date(template: str) -> None:
    """Migrate the template if it lags the code, once however many provisions find it lagging.

    Two first provisions after a deploy would otherwise both create the same tables and one fail.
    The lock is held until commit inside a transaction (a waiter then sees the committed tables),
    until the migration ends outside one; either way the waiter checks again before migrating.
    """
    if _all_migrations() <= _applied_migrations(template):
        return
    in_transaction = connection.in_atomic_block
    try_lock = "SELECT pg_try_advisory_xact_lock(%s)" if in_transaction else "SELECT pg_try_advisory_lock(%s)"
    # Polled, not waited for inside one statement: a waiting statement holds a snapshot, and the
    # holder's CREATE INDEX CONCURRENTLY waits for every older snapshot (a deadlock).
    while True:
        with connection.cursor() as cursor:
            cursor.execute(try_lock, [_TEMPLATE_MIGRATION_LOCK])
            if cursor.fetchone()[0]:
                break
        time.sleep(0.2)
    try:
        if not _all_migrations() <= _applied_migrations(template):
            logger.info("enterprise template schema lags the migrations; migrating it first")
            _migrate_schema(template)
    finally:
        if not in_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_TEMPLATE_MIGRATION_LOCK])


def _copy_template_into(schema_name: str) -> None:
    template = settings.TENANT_TEMPLATE_SCHEMA
    _bring_template_up_to_date(template)
    with transaction.atomic():
        connection.set_schema_to_public()
        schema_copy.copy_template_into(template, schema_name)
        missing = _all_migrations() - _applied_migrations(schema_name)
        if missing:  # the template carried them a moment ago: never serve such a schema
            raise schema_copy.SchemaCopyMismatch(f"copied schema {schema_name} lacks {len(missing)} migrations")


# Spare schemas: fully migrated, empty enterprise schemas copied ahead of time, so that
# provisioning only renames one (milliseconds) instead of copying the template (bench/provision.py). A spare that lags the
# migrations (cloned before a deploy) is dropped at claim time, never handed out.
SPARE_SCHEMA_PREFIX = "_spare_"
_SPARE_POOL_LOCK = 7_305_001  # advisory-lock key serialising claims and refills


def _spare_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
                       [SPARE_SCHEMA_PREFIX.replace("_", r"\_") + "%"])
        return [row[0] for row in cursor.fetchall()]


def _claim_spare_schema(schema_name: str) -> bool:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SPARE_POOL_LOCK])
            for spare in _spare_schemas():
                if not _all_migrations() <= _applied_migrations(spare):
                    cursor.execute(f'DROP SCHEMA "{spare}" CASCADE')
                    continue
                cursor.execute(f'ALTER SCHEMA "{spare}" RENAME TO "{schema_name}"')
                return True
    return False


def replenish_spare_schemas(*, target: int | None = None) -> int:
    """Copy the template into spare enterprise schemas until `target` (default TENANT_SPARE_SCHEMAS) are ready.

    Idempotent; returns how many it created.
    """
    import uuid

    target = settings.TENANT_SPARE_SCHEMAS if target is None else target
    connection.set_schema_to_public()
    created = 0
    while len(_spare_schemas()) < target:
        _copy_template_into(f"{SPARE_SCHEMA_PREFIX}{uuid.uuid4().hex[:12]}")
        created += 1
    return created


@transaction.atomic
def update_current_enterprise_settings(*, actor, **changes) -> Enterprise:
    """Change some of the current enterprise's settings (the JSON `settings`), leaving the others.

    Runs inside the enterprise's schema; the row is locked so two administrators changing
    different settings at once both keep their change. The caller asks whether `actor` may change
    the setting (its capability is the setting's own); a missing actor is refused.
    """
    require_actor(actor)
    enterprise = Enterprise.objects.select_for_update().get(schema_name=connection.schema_name)
    enterprise.settings = {**(enterprise.settings or {}), **changes}
    enterprise.save(update_fields=["settings", "updated_at"])
    return enterprise


PROFILE_FIELDS = ("name", "location", "industry", "personnel_size")


@transaction.atomic
def correct_current_enterprise_profile(*, actor, changes: dict) -> tuple[Enterprise, list[str]]:
    """Write `changes` (profile field → new value) to the current enterprise's own row; returns the
    row and the fields whose value really changed (the others are not written at all).

    Reads the stored row under a lock (never the partial enterprise routing builds from its cached
    facts, whose unset fields would be saved as blanks), so a field the caller did not name keeps
    whatever another administrator saved meanwhile. A new name is routed at once (routing caches it).
    Refuses an actor without CORRECT_ENTERPRISE_PROFILE (NotPermitted), fields outside the profile,
    values E1 does not allow (ValidationError, field by field): an emptied location, industry type
    or personnel size, and a name another enterprise has (in any spelling).
    """
    require(actor, Capability.CORRECT_ENTERPRISE_PROFILE)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
    enterprise = Enterprise.objects.select_for_update().get(schema_name=connection.schema_name)
    changed = [field for field in PROFILE_FIELDS if field in changes and getattr(enterprise, field) != changes[field]]
    for field in changed:
        setattr(enterprise, field, changes[field])
    if not changed:
        return enterprise, []
    emptied = [field for field in changed if field in BASIC_DETAILS and not getattr(enterprise, field)]
    if emptied:  # E1: once given, basic services depend on them
        raise ValidationError({field: [_("This field is required.")] for field in emptied})
    if "name" in changed and selectors.name_is_taken(enterprise.name, other_than=enterprise):
        raise ValidationError({"name": [_("An enterprise with this name is already registered.")]})
    enterprise.full_clean(exclude=["code", "schema_name"])
    enterprise.save(update_fields=[*changed, "updated_at"])
    if "name" in changed:  # routing serves the name from its cache: forget it now and once committed
        routing_cache.forget_enterprise(enterprise)
        transaction.on_commit(lambda: routing_cache.forget_enterprise(enterprise))
    return enterprise, changed
