"""Celery task bases: every task says whether it runs inside an enterprise or on the platform.

tenant-schemas-celery stamps each message with the schema it was sent from and switches the
worker's connection before the task runs. Its silent default for a message without that header
is the public schema; an enterprise task running there would read or write platform tables, so
EnterpriseTask refuses to run anywhere but in a serving enterprise's schema, and not while that
schema lacks a migration this code expects (issue 18): it waits for the upgrade, then runs.
"""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name
from tenant_schemas_celery.task import TenantTask

from core.schemas import is_behind_the_code, is_being_cancelled, is_ready_for_periodic_work, latest_applied_migrations


class MissingEnterpriseSchema(RuntimeError):
    """An enterprise task arrived without (or with the public) schema header."""


class EnterpriseNotReady(RuntimeError):
    """The enterprise is being provisioned or cancelled; its periodic work must not run."""


class EnterpriseUpgrading(EnterpriseNotReady):
    """The enterprise's schema lacks a migration this code expects; the task must not run against it."""


class EnterpriseTask(TenantTask):
    """A task that runs inside one enterprise's schema, only while the enterprise is ready.

    `runs_while_cancelling = True` (set on the task) lets a task also finish work in an enterprise
    being cancelled: only the work that is part of the cancellation itself (telling recipients, R3).

    In a schema behind the code (a deploy is migrating it) the task is retried every
    ENTERPRISE_UPGRADING_RETRY_SECONDS, up to ENTERPRISE_UPGRADING_RETRIES times, and then fails
    with EnterpriseUpgrading; run in this process (eager, or called directly) it fails at once.
    """

    abstract = True
    runs_while_cancelling = False

    def __call__(self, *args, **kwargs):
        if connection.schema_name == get_public_schema_name():
            raise MissingEnterpriseSchema(
                f"task {self.name} must be sent from inside an enterprise schema"
            )
        # The status is read at run time: an enterprise may have started cancelling since the
        # message was queued.
        if not is_ready_for_periodic_work(connection.schema_name) and not (
                self.runs_while_cancelling and is_being_cancelled(connection.schema_name)):
            raise EnterpriseNotReady(f"enterprise schema {connection.schema_name} is not ready")
        if is_behind_the_code(latest_applied_migrations(connection.schema_name)):
            self._wait_for_upgrade()
        return super().__call__(*args, **kwargs)

    def _wait_for_upgrade(self):
        refusal = EnterpriseUpgrading(f"enterprise schema {connection.schema_name} lacks migrations this code expects")
        if self.request.called_directly or self.request.is_eager:
            raise refusal
        # A one-off task (an import, an erasure) must not be lost to a deploy: it runs once migrated.
        raise self.retry(exc=refusal, countdown=settings.ENTERPRISE_UPGRADING_RETRY_SECONDS,
                         max_retries=settings.ENTERPRISE_UPGRADING_RETRIES)


class PlatformTask(TenantTask):
    """A task that works on the public schema (e.g. fanning periodic work out to enterprises)."""

    abstract = True

    def __call__(self, *args, **kwargs):
        if connection.schema_name != get_public_schema_name():
            raise RuntimeError(f"platform task {self.name} must run in the public schema")
        return super().__call__(*args, **kwargs)
