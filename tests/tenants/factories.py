"""The actors tenant-level test setup acts as (services take a required actor)."""
from __future__ import annotations

from access.actors import SystemActor
from accounts.models import User

# Test enterprises are provisioned by system work, as the demo's are.
TEST_PROVISIONING = SystemActor("test provisioning")


def platform_operator() -> User:
    """Platform support staff holding every right: the lifecycle services ask the catalogue, which
    asks the account's permissions (an active superuser holds them all; nothing is saved)."""
    return User(role=User.Role.PLATFORM_STAFF, is_staff=True, is_superuser=True, is_active=True)
