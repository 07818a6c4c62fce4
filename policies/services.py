"""Writes of privacy-policy versions: publishing is a business action, not an admin side effect (C8)."""
from __future__ import annotations

from django.db import transaction

from access.capabilities import Capability, require
from policies.models import PolicyVersion


@transaction.atomic
def save_policy_version(*, actor, version: PolicyVersion) -> PolicyVersion:
    """Publish `version` (new) or change a version whose publication is still scheduled.

    `actor` is the platform staff member publishing (access.capabilities: PUBLISH_POLICY_VERSION);
    they are recorded as its publisher when the version is new. Refuses anyone else (NotPermitted),
    and (ValidationError, field by field) what the model refuses: an effective
    time earlier than seven days after publication, a significant change without a reason, a
    reason on a minor change; and any change to a version already published, because a published
    text is the record of what people agreed to. Every process sees the change within a minute
    (this one at once: policies.signals).
    """
    require(actor, Capability.PUBLISH_POLICY_VERSION)
    if version.pk is None:
        version.published_by = actor
    version.full_clean()
    version.save()
    return version
