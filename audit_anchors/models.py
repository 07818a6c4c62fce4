"""X2/X4: checkpoints of each enterprise's audit-chain head, kept outside the enterprise's schema.

A checkpoint says "at recorded_at, the chain of `schema_name` ended at entry head_id whose hash
was head_hash", signed with the platform key (settings.AUDIT_CHECKPOINT_KEY). Rows are written by
audit.checkpoints only and never changed; `audit_verify` checks the chain against them.
"""
from django.db import models

from privacy.registry import personal_data


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
