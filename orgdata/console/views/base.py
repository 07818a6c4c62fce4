"""What every organisation page shares: who may open it, how a service's refusal reaches its form."""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import ValidationError

from access.capabilities import Capability, require
from accounts.permissions import console_login_required
from core.errors import DomainError, add_service_errors

PAGE_SIZE = 25


def organisation_page(view):
    """Signed-in administrator of the organisation (the manager, or a sub-administrator in scope)."""

    @console_login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require(request.user, Capability.ADMINISTER_ORGANISATION)
        return view(request, *args, **kwargs)

    return wrapper


def try_service(form, action) -> bool:
    """Run a service call; show its refusals on `form` (core.errors). Returns whether it succeeded."""
    try:
        action()
        return True
    except (ValidationError, DomainError) as error:
        add_service_errors(form, error)
    return False
