"""The address book's visibility (E7): which fields colleagues see of each other in the directory."""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.capabilities import Capability, require
from accounts.models import User
from audit.context import Actor
from audit.recording import record_event
from orgdata.selectors import directory as directory_selectors
from tenants import services as tenant_services


@transaction.atomic
def choose_directory_fields(*, actor: User, fields: Iterable[str]) -> tuple[str, ...]:
    """Set which address-book fields the enterprise's people see of each other; returns the fields
    now shown, in display order.

    Name and department are always shown, chosen or not; the values of contact fields stay masked
    whatever is chosen (the directory masks them). The choice applies to the very next directory
    request and is recorded in the audit log (the field names only).
    Refuses anyone but the enterprise manager, and field names outside the address book's catalogue.
    """
    require(actor, Capability.CHOOSE_DIRECTORY_FIELDS)
    wanted = set(fields)
    unknown = wanted - set(directory_selectors.DIRECTORY_ALWAYS_SHOWN) - set(directory_selectors.DIRECTORY_OPTIONAL_FIELDS)
    if unknown:
        raise ValidationError({"fields": [_("Not an address-book field: %(names)s.") % {
            "names": ", ".join(sorted(unknown))}]})
    shown = directory_selectors.DIRECTORY_ALWAYS_SHOWN + tuple(
        field for field in directory_selectors.DIRECTORY_OPTIONAL_FIELDS if field in wanted)
    enterprise = tenant_services.update_current_enterprise_settings(
        actor=actor, **{directory_selectors.DIRECTORY_FIELDS_SETTING: list(shown)})
    record_event(action="directory_fields_chosen", object_type="tenants.enterprise", object_id=enterprise.pk,
                 changed_fields=[directory_selectors.DIRECTORY_FIELDS_SETTING], actor=Actor.for_user(actor))
    return shown
