"""Templates ask the catalogue: `{% load access %}` then `{% if user|may:"use_console" %}`."""
from django import template

from access.capabilities import Capability, Scope, may as _may, scope_of

register = template.Library()


@register.filter
def may(actor, capability: str) -> bool:
    """Whether `actor` holds `capability` (its value in access.capabilities.Capability)."""
    return _may(actor, Capability(capability))


@register.filter
def administers_everything(account) -> bool:
    """Whether `account`'s organisation scope is the whole enterprise (the manager's)."""
    return scope_of(account) is Scope.EVERYTHING
