"""Who may change attendance's enterprise settings: the one place attendance's role rules live."""
from __future__ import annotations

from orgdata import permissions as organisation_permissions


def may_switch_tracking(user) -> bool:
    """C4: location tracking is switched for the whole enterprise (the settings have no
    per-department level), and enterprise-wide switches are the manager's alone (E5, like the
    whole-enterprise application switch): sub-administrators administer their departments only."""
    return organisation_permissions.is_enterprise_manager(user)


def require_tracking_switcher(user) -> None:
    """Raises NotPermitted unless `may_switch_tracking(user)`."""
    organisation_permissions.require_enterprise_manager(user)
