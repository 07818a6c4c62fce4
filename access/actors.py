"""System actors: work no person started, named explicitly (Zulip's `acting_user=None` made visible).

Every service that changes enterprise data takes a required `actor`; None is refused loudly
(`require_actor`, and `access.capabilities.require`). Code that runs on behalf of nobody in
particular passes a `SystemActor` naming that kind of work, one module-level constant each, kept
beside the work: provisioning the demo enterprise (`demo.seeding.DEMO_SETUP`; platform staff may
provision too), the import worker creating the departments an accepted import names
(`orgdata.services.imports.writing.IMPORT_WORKER`), keeping the purpose catalogue in step
(`consent.services.catalogue.CATALOGUE_SYNC`), purging dead device tokens
(`accounts.services.TOKEN_PURGE`) and the logs' upkeep (`audit.services.LOG_PARTITIONING`,
`RETENTION`, `CHAIN_CHECKPOINTING`). The catalogue says which capabilities system work holds (the
"system" column); a "recorded by" column stores nobody for it (`account_of`), and the audit log
names it "system:<name>" where the work runs under `audit.context.acting_as_system` (Celery tasks
are named by their task).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    name: str

    # Read by code that also handles accounts: a system actor is no signed-in person.
    pk = None
    is_authenticated = False
    is_active = True

    def __str__(self) -> str:
        return f"system:{self.name}"


def is_system_actor(actor) -> bool:
    return isinstance(actor, SystemActor)


def account_of(actor):
    """The account a "recorded by" / "disclosed by" column stores for `actor`: the acting account
    itself, None for system work (the audit log names that as "system:<name>")."""
    require_actor(actor)
    return None if is_system_actor(actor) else actor


def label(actor) -> str:
    """How records name an actor, never by name or number of a person's details: "system:<name>" for
    system work, "platform-staff:<id>" for a platform support account, "user:<id>" for any other
    account. The audit log, the rights requests' history and the enterprise lifecycle record all use
    it, so one actor reads the same everywhere."""
    from access.roles import is_platform_staff_account

    require_actor(actor)
    if is_system_actor(actor):
        return str(actor)
    return f"{'platform-staff' if is_platform_staff_account(actor) else 'user'}:{actor.pk}"


def require_actor(actor) -> None:
    """Refuse loudly a missing actor: passing None must never skip a check by accident."""
    if actor is None:
        raise TypeError("actor is required: pass the acting account or an access.actors.SystemActor")
