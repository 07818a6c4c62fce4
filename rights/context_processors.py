"""The console's banner of rights requests due soon (issue 13): on every page, for whoever handles
requests, how many are within 2 working days of their date or past it, linking to the queue filtered
to them. One COUNT over a partial index (rights_request_open_watched) per page; nothing for anyone
else, nor outside an enterprise."""
from access.capabilities import Capability, may
from rights import selectors


def rights_due_banner(request) -> dict:
    tenant, user = getattr(request, "tenant", None), getattr(request, "user", None)
    if tenant is None or not getattr(tenant, "pk", None) or user is None or not may(user, Capability.USE_CONSOLE):
        return {}
    return {"rights_due_soon": selectors.due_soon_count(user)}
