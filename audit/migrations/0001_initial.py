"""Audit log, access log and audit chain head, per enterprise schema.

Both logs are partitioned by month on occurred_at (UTC month boundaries; partitions are named
`<table>_pYYYY_MM`, plus `<table>_default` as the safety net for a month nobody created yet).
This migration creates the current month and the next two; audit.services.ensure_log_partitions
keeps creating them ahead. The audit log refuses UPDATE and TRUNCATE always and DELETE unless the
transaction set `audit.retention = on` (only audit.services does, to apply retention and to move
rows out of the default partition).
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64

CREATE_SQL = f"""
CREATE TABLE audit_entry (
    id bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor varchar(160) NOT NULL,
    action varchar(40) NOT NULL,
    object_type varchar(100) NOT NULL DEFAULT '',
    object_id varchar(64) NOT NULL DEFAULT '',
    changed_fields jsonb NOT NULL DEFAULT '[]'::jsonb,
    ip varchar(45) NOT NULL DEFAULT '',
    user_agent varchar(512) NOT NULL DEFAULT '',
    language varchar(35) NOT NULL DEFAULT '',
    prev_hash char(64) NOT NULL,
    hash char(64) NOT NULL,
    CONSTRAINT audit_entry_pkey PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX audit_entry_object_idx ON audit_entry (object_type, object_id);
CREATE INDEX audit_entry_actor_idx ON audit_entry (actor);

CREATE SEQUENCE audit_access_log_id_seq;
CREATE TABLE audit_access_log (
    id bigint NOT NULL DEFAULT nextval('audit_access_log_id_seq'),
    occurred_at timestamptz NOT NULL,
    method varchar(10) NOT NULL,
    path varchar(1024) NOT NULL,
    status smallint NOT NULL,
    user_id bigint NULL,
    ip varchar(45) NOT NULL DEFAULT '',
    user_agent varchar(512) NOT NULL DEFAULT '',
    language varchar(35) NOT NULL DEFAULT '',
    duration_ms integer NOT NULL,
    CONSTRAINT audit_access_log_pkey PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE audit_access_log_id_seq OWNED BY audit_access_log.id;
CREATE INDEX audit_access_log_user_idx ON audit_access_log (user_id);

CREATE TABLE audit_chain (
    id smallint PRIMARY KEY CHECK (id = 1),
    head_id bigint NOT NULL,
    head_hash char(64) NOT NULL,
    anchor_id bigint NOT NULL,
    anchor_prev_hash char(64) NOT NULL,
    updated_at timestamptz NOT NULL
);
INSERT INTO audit_chain (id, head_id, head_hash, anchor_id, anchor_prev_hash, updated_at)
VALUES (1, 0, '{GENESIS}', 1, '{GENESIS}', now());

-- X4: the audit log is append-only, enforced by the database, not by the application.
CREATE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('audit.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE FUNCTION audit_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain head cannot be removed: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- The row trigger is created on each partition, not on the parent: a parent's row trigger is
-- copied onto its partitions, and django-tenants' schema clone (used to provision enterprises)
-- would then create each copy a second time and fail. audit.partitions adds both triggers to
-- every partition it creates; audit_verify reports a partition without them.
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_guard();
CREATE TRIGGER audit_chain_keep BEFORE DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_guard();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_guard();

CREATE TABLE audit_entry_default PARTITION OF audit_entry DEFAULT;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry_default
    FOR EACH ROW EXECUTE FUNCTION audit_entry_guard();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry_default
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_guard();
CREATE TABLE audit_access_log_default PARTITION OF audit_access_log DEFAULT;

DO $$
DECLARE
    first_month timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    month_start timestamptz;
    partition_name text;
    parent text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['audit_entry', 'audit_access_log'] LOOP
        FOR i IN 0..2 LOOP
            month_start := ((first_month AT TIME ZONE 'UTC') + make_interval(months => i)) AT TIME ZONE 'UTC';
            partition_name := parent || '_p' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                partition_name, parent, month_start,
                ((month_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
            );
            IF parent = 'audit_entry' THEN
                EXECUTE format(
                    'CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON %I '
                    'FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()', partition_name
                );
                EXECUTE format(
                    'CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON %I '
                    'FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_guard()', partition_name
                );
            END IF;
        END LOOP;
    END LOOP;
END
$$;
"""

DROP_SQL = """
DROP TABLE IF EXISTS audit_entry CASCADE;
DROP TABLE IF EXISTS audit_access_log CASCADE;
DROP TABLE IF EXISTS audit_chain CASCADE;
DROP FUNCTION IF EXISTS audit_entry_guard();
DROP FUNCTION IF EXISTS audit_chain_guard();
"""


class Migration(migrations.Migration):

    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.RunSQL(CREATE_SQL, DROP_SQL),
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="AuditEntry",
                fields=[
                    ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                    ("occurred_at", models.DateTimeField()),
                    ("actor", models.CharField(max_length=160)),
                    ("action", models.CharField(max_length=40)),
                    ("object_type", models.CharField(blank=True, max_length=100)),
                    ("object_id", models.CharField(blank=True, max_length=64)),
                    ("changed_fields", models.JSONField(default=list)),
                    ("ip", models.CharField(blank=True, max_length=45)),
                    ("user_agent", models.CharField(blank=True, max_length=512)),
                    ("language", models.CharField(blank=True, max_length=35)),
                    ("prev_hash", models.CharField(max_length=64)),
                    ("hash", models.CharField(max_length=64)),
                ],
                options={"db_table": "audit_entry", "ordering": ["id"], "managed": False},
            ),
            migrations.CreateModel(
                name="AuditChain",
                fields=[
                    ("id", models.SmallIntegerField(primary_key=True, serialize=False)),
                    ("head_id", models.BigIntegerField()),
                    ("head_hash", models.CharField(max_length=64)),
                    ("anchor_id", models.BigIntegerField()),
                    ("anchor_prev_hash", models.CharField(max_length=64)),
                    ("updated_at", models.DateTimeField()),
                ],
                options={"db_table": "audit_chain", "managed": False},
            ),
            migrations.CreateModel(
                name="AccessLogEntry",
                fields=[
                    ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                    ("occurred_at", models.DateTimeField()),
                    ("method", models.CharField(max_length=10)),
                    ("path", models.CharField(max_length=1024)),
                    ("status", models.SmallIntegerField()),
                    ("user", models.ForeignKey(db_constraint=False, null=True,
                                               on_delete=django.db.models.deletion.DO_NOTHING,
                                               related_name="+", to=settings.AUTH_USER_MODEL)),
                    ("ip", models.CharField(blank=True, max_length=45)),
                    ("user_agent", models.CharField(blank=True, max_length=512)),
                    ("language", models.CharField(blank=True, max_length=35)),
                    ("duration_ms", models.IntegerField()),
                ],
                options={"db_table": "audit_access_log", "ordering": ["id"], "managed": False},
            ),
        ]),
    ]
