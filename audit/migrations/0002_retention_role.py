"""S2/X4: only the dedicated database role `audit_retention` may delete audit entries.

Before, the append-only trigger let DELETE through whenever the transaction had set
`audit.retention = on`, a setting any database session may set. Now the trigger lets DELETE
through only when the current role is `audit_retention`: a NOLOGIN role that the application's
database user is a member of, and that the retention job (and the move of early rows out of the
default partition) assumes with `SET LOCAL ROLE` for its deletes only (audit.partitions.retention_role).

Runs in every enterprise schema: the role is created once per server (IF NOT EXISTS, tolerating a
parallel creation); each schema gets its guard function replaced and the role its rights there.
Where the database user may not create roles, a DBA creates the role and grants it to that user
beforehand (`CREATE ROLE audit_retention NOLOGIN; GRANT audit_retention TO <app user>;`).
"""
from django.db import migrations

ROLE_SQL = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_retention') THEN
        BEGIN
            CREATE ROLE audit_retention NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another migration run created it meanwhile
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'audit_retention', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT audit_retention TO %I', current_user);
        EXCEPTION WHEN unique_violation THEN
            NULL;
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO audit_retention', current_schema());
    EXECUTE format('GRANT SELECT, DELETE ON %I.audit_entry TO audit_retention', current_schema());
END
$$;
"""

GUARD_SQL = """
CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- S2: only the retention role deletes (see audit.partitions.retention_role).
    IF TG_OP = 'DELETE' AND current_user = 'audit_retention' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

OLD_GUARD_SQL = """
CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('audit.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(ROLE_SQL, migrations.RunSQL.noop),
        migrations.RunSQL(GUARD_SQL, OLD_GUARD_SQL),
    ]
