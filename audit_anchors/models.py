"""X2/X4: what the audit keeps in the public schema: checkpoints of each enterprise's audit-chain
head, and the platform host's access log.

A checkpoint says "at recorded_at, the chain of `schema_name` ended at entry head_id whose hash
was head_hash", signed with the platform key (settings.AUDIT_CHECKPOINT_KEY). Rows are written by
audit.checkpoints only and never changed; `audit_verify` checks the chain against them.
"""
from django.conf import settings
from django.db import models

from privacy.registry import PI, Category, Erasure, RetentionClass, personal_data


@personal_data(subject=None, fields={}, reason="schema names, entry numbers, hashes and times only", not_personal={
    "schema_name": "an enterprise's database schema", "signature": "the platform key's HMAC of the checkpoint"})
class ChainCheckpoint(models.Model):
    schema_name = models.CharField(max_length=63)
    head_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    # When the head entry was written (None once retention removed it): retention may only remove
    # entries older than the retention period, so a checkpoint behind the anchor must be that old.
    head_occurred_at = models.DateTimeField(null=True)
    recorded_at = models.DateTimeField()
    signature = models.CharField(max_length=64)  # HMAC-SHA256, hex, see audit.checkpoints

    class Meta:
        ordering = ["schema_name", "head_id"]
        indexes = [models.Index(fields=["schema_name", "head_id"], name="checkpoint_schema_head")]

    def __str__(self):
        return f"{self.schema_name} #{self.head_id} at {self.recorded_at:%Y-%m-%d %H:%M}"


def _platform_log_field(note: str) -> PI:
    # X4/S2: kept for the access log's legal period (RETENTION_ACCESS_LOG_MONTHS), then deleted by
    # the retention job's row rule; never changed per person.
    return PI(Category.BASIC, purpose="security_audit", retention=RetentionClass.ACCESS_LOG,
              retention_starts="occurred_at", retention_setting="access_log", erasure=Erasure.KEEP_LEGAL_BASIS,
              note=note)


@personal_data(
    subject="user",
    fields={
        "user": _platform_log_field("the signed-in platform staff account, if any"),
        "ip": _platform_log_field("address the request came from"),
        "user_agent": _platform_log_field("browser or app that sent it"),
    },
)
class PlatformAccessLogEntry(models.Model):
    """X4: one request served on the platform host (the Django admin, where support staff can reach
    personal data, and the enterprise lookup), as audit.access_log writes it: the same columns as an
    enterprise's access log, in the public schema. Not partitioned (a few staff, not every employee):
    the retention job's row rule derived from the declaration below deletes expired rows (S2); it
    runs per enterprise and reaches this table through the search path, which ends with public."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
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
        db_table = "platform_access_log"
        ordering = ["id"]
