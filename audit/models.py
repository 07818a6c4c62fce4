"""The audit log, the access log and the audit chain's head, one set per enterprise schema.

The tables are created by SQL in the migration, not by Django (`managed = False`): both logs are
partitioned by month (PostgreSQL declarative partitioning, primary key (id, occurred_at)), the
audit log is guarded by triggers that refuse UPDATE, TRUNCATE and, outside the retention job,
DELETE. These models are for reading; every write goes through audit.recording (audit entries),
audit.access_log (access log) and audit.services (partitions, retention).
"""
from django.conf import settings
from django.db import models

from privacy.registry import PI, Category, Erasure, RetentionClass, personal_data


def _log_field(note: str, setting: str) -> PI:
    # X4/S2: kept for the logs' legal period, then removed whole (month partitions) by the retention
    # job; never changed per person (the audit log is append-only and hash-chained).
    return PI(Category.BASIC, purpose="security_audit", retention=RetentionClass.ACCESS_LOG,
              retention_starts="occurred_at", retention_setting=setting, erasure=Erasure.KEEP_LEGAL_BASIS,
              note=note)


@personal_data(
    subject=None,  # an entry is about an operation; `actor` is a reference, not a relation
    person_reference="actor holds user:<id> of the account that acted; object_type/object_id the record acted on",
    fields={
        "actor": _log_field("who acted: a reference such as user:<id>, never a name", "audit_log"),
        "ip": _log_field("address the operation came from", "audit_log"),
        "user_agent": _log_field("browser or app that sent it", "audit_log"),
    },
)
class AuditEntry(models.Model):
    """One operation on personal information (X2, X4), hash-chained to the entry before it.

    Holds the names of the fields that changed, never their values. `id` is gapless: each entry
    takes the chain head's id + 1 under the head's row lock, so a missing id is a missing entry.
    """

    # The database key is (id, occurred_at); id alone is unique because the chain assigns it.
    id = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    # "user:<id>", "platform-staff:<id>", "system:<task or command>" or "anonymous".
    actor = models.CharField(max_length=160)
    # create, update, delete, view_unmasked, login, login_failed, logout, bulk_* ...
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=100, blank=True)  # "app_label.model"
    object_id = models.CharField(max_length=64, blank=True)
    changed_fields = models.JSONField(default=list)  # field NAMES only
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    language = models.CharField(max_length=35, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        managed = False
        db_table = "audit_entry"
        ordering = ["id"]

    def __str__(self):
        return f"#{self.id} {self.actor} {self.action} {self.object_type}:{self.object_id}"


@personal_data(subject=None, fields={}, reason="the chain's head and anchor: entry numbers and hashes only")
class AuditChain(models.Model):
    """The single row that orders appends and anchors the chain's two ends.

    head_*: the last appended entry (appends lock this row FOR UPDATE, which serialises writers in
    one schema). anchor_*: the first entry that must still exist and the hash it must continue
    from; it starts at genesis and moves forward only when the retention job deletes old entries.
    """

    id = models.SmallIntegerField(primary_key=True)
    head_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    anchor_id = models.BigIntegerField()
    anchor_prev_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "audit_chain"


@personal_data(
    subject="user",
    fields={
        "user": _log_field("the signed-in account, if any", "access_log"),
        "ip": _log_field("address the request came from", "access_log"),
        "user_agent": _log_field("browser or app that sent it", "access_log"),
    },
)
class AccessLogEntry(models.Model):
    """One request served on an enterprise host (X4: IP, browser, language, time)."""

    id = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1024)  # without the query string
    status = models.SmallIntegerField()
    # No database constraint: the log outlives the accounts it mentions (S2 minimum period).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    language = models.CharField(max_length=35, blank=True)
    duration_ms = models.IntegerField()

    class Meta:
        managed = False
        db_table = "audit_access_log"
        ordering = ["id"]
