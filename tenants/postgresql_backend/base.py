"""The tenant boundary: the connection's `search_path`.

django-tenants issues `SET search_path` on every cursor unless TENANT_LIMIT_SET_CALLS is on, and
even then it forgets what it set on every `set_tenant()` call, so each request pays for it again.
This wrapper remembers the path it last set and skips the statement when a request asks for the
schema the connection is already on.

PostgreSQL undoes a `SET` when the transaction or savepoint it ran in is rolled back, so the
memory must be dropped on every rollback (django-tenants #1262: skipping the `SET` after
`ROLLBACK TO SAVEPOINT` returned another enterprise's rows). The parent class already forgets on
`rollback()`, `savepoint_rollback()` and `close()`; we add nothing that could keep it across them.
A transaction-mode pooler would break this (session state leaks between clients): never use one.
"""
from django_tenants.postgresql_backend import base as tenants_base


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def set_tenant(self, tenant, include_public=True):
        previous_search_path = self.search_path_set_schemas
        self.tenant = tenant
        self.schema_name = tenant.schema_name
        self.include_public_schema = include_public
        self.set_settings_schema(self.schema_name)
        if previous_search_path != self._get_cursor_search_paths():
            self.search_path_set_schemas = None
        # No ContentType cache clearing: contenttypes lives only in public, so its ids are the
        # same in every schema and the cache stays valid.

    # Counts the `SET search_path` statements this connection really sent; they bypass Django's
    # query log, so tests and benchmarks read this to prove the skip works.
    search_path_set_count = 0

    def _handle_search_path(self, cursor=None):
        already_set = self.search_path_set_schemas is not None and self.search_path_set_schemas
        super()._handle_search_path(cursor)
        if not already_set and not self._setting_search_path and self.search_path_set_schemas:
            self.search_path_set_count += 1
