"""What the catalogue cannot know by itself, answered by the app that owns the data.

access imports nothing of ours but `core`. The sub-administrator's departments (django-guardian
grants on orgdata's Department) and the application switches (E6, orgdata) belong to orgdata,
which registers its resolvers here from `OrgdataConfig.ready()`:

- the scope resolver answers "is this target inside the actor's departments" (a department, an
  employee record, an account) and "which accounts are" (`accounts_within`, for the people lists
  of the apps below orgdata);
- the application resolver answers "is application `code` switched on for this person".

The certification app (E4, above orgdata) registers the certification resolver: "is the current
enterprise certified", which orgdata asks before an application reserved to certified enterprises
is switched on.
"""
from __future__ import annotations

from typing import Protocol


class ScopeResolver(Protocol):
    def contains(self, actor, target) -> bool:
        """Whether `target` lies inside the departments granted to the sub-administrator `actor`."""

    def accounts_within(self, actor):
        """The ids of the accounts inside those departments (a queryset of ids, for a subquery)."""


class ApplicationResolver(Protocol):
    def __call__(self, person, code: str) -> bool:
        """Whether application `code` is switched on for `person` (E6)."""


class CertificationResolver(Protocol):
    def __call__(self) -> bool:
        """Whether the enterprise of the current schema is certified (E4)."""


_scope: ScopeResolver | None = None
_applications: ApplicationResolver | None = None
_certification: CertificationResolver | None = None


def register_scope_resolver(resolver: ScopeResolver) -> None:
    global _scope
    _scope = resolver


def register_application_resolver(resolver: ApplicationResolver) -> None:
    global _applications
    _applications = resolver


def register_certification_resolver(resolver: CertificationResolver) -> None:
    global _certification
    _certification = resolver


def scope_resolver() -> ScopeResolver:
    if _scope is None:
        raise RuntimeError("no scope resolver registered (orgdata registers one when Django starts)")
    return _scope


def application_resolver() -> ApplicationResolver:
    if _applications is None:
        raise RuntimeError("no application resolver registered (orgdata registers one when Django starts)")
    return _applications


def certification_resolver() -> CertificationResolver:
    if _certification is None:
        raise RuntimeError("no certification resolver registered (certification registers one when Django starts)")
    return _certification
