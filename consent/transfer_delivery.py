"""C9: how a transfer reaches its recipient — one interface, chosen by settings.TRANSFER_DELIVERY_BACKEND.

The local backend (development, tests) writes what the recipient would receive to a file in
settings.TRANSFER_OUTBOX_DIR, one per transfer; a deployment plugs in its file-drop or webhook
delivery with the same `deliver` signature.
"""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string


class LocalOutbox:
    """Writes <schema>-<transfer id>.json: {"recipient", "dataset", "records"} (owner-only file)."""

    @staticmethod
    def path_for(schema: str, transfer_id: int) -> Path:
        return Path(settings.TRANSFER_OUTBOX_DIR) / f"{schema}-{transfer_id}.json"

    def deliver(self, *, recipient, transfer, records: list[dict]) -> None:
        path = self.path_for(connection.schema_name, transfer.pk)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(json.dumps({"recipient": recipient.code, "dataset": transfer.dataset, "records": records},
                                   ensure_ascii=False))
        path.chmod(0o600)


def deliver(*, recipient, transfer, records: list[dict]) -> None:
    import_string(settings.TRANSFER_DELIVERY_BACKEND)().deliver(recipient=recipient, transfer=transfer,
                                                                 records=records)
