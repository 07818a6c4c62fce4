"""What every organisation page shares: who may open it (a service's refusal reaches its form
through core.errors.try_service)."""
from __future__ import annotations

from functools import wraps

from access.capabilities import Capability, require
from accounts.permissions import console_login_required

PAGE_SIZE = 25


def organisation_page(view):
    """Signed-in administrator of the organisation (the manager, or a sub-administrator in scope)."""

    @console_login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require(request.user, Capability.ADMINISTER_ORGANISATION)
        return view(request, *args, **kwargs)

    return wrapper
