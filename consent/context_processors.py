"""Template context every console page gets from the consent app."""
from django.db import connection
from django_tenants.utils import get_public_schema_name

from consent import state_cache
from policies import selectors as policy_selectors


def rights_reduction(request) -> dict:
    """C8: a version in force that reduces the signed-in person's rights and that they have not
    accepted explicitly; every page shows it prominently (base.html), without blocking anything."""
    person = getattr(request, "user", None)
    if person is None or not person.is_authenticated or connection.schema_name == get_public_schema_name():
        return {}
    _catalogue, state = state_cache.catalogue_and_state(person.pk)
    pending = policy_selectors.rights_reduction_to_accept(state["policies"])
    return {"policy_rights_reduction": pending.version} if pending else {}
