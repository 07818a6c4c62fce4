"""Who is acting, and from where: the context every audit entry is stamped with.

The request middleware binds the current request (IP, browser, language and, lazily, the signed-in
user); Celery's task signals bind "system:<task name>"; platform staff working on an enterprise's
data say so with `acting_as_platform_staff(user)`. Everything lives in contextvars, so threads
and asyncio tasks never see each other's actor, and each binding is undone when its request, task
or `with` block ends.
"""
from __future__ import annotations

import ipaddress
import sys
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Iterator

from django.conf import settings
from django.db import connection
from django.utils.functional import SimpleLazyObject, empty

from access.actors import SystemActor
from access.actors import label as actor_label

MAX_USER_AGENT = 512
MAX_LANGUAGE = 35


@dataclass(frozen=True)
class Actor:
    """Who did it: `reference` is what the audit log stores ("user:12", "system:...").

    Never a name: the audit log cannot be changed, so it holds no copy of anyone's name that
    erasure could not reach; a reader resolves the reference when displaying an entry.
    """

    reference: str

    @classmethod
    def for_user(cls, user) -> "Actor":
        """An account acting (platform support staff are marked as such wherever they act), or a
        named kind of system work (an access.actors.SystemActor a service was given)."""
        if isinstance(user, SystemActor):
            return cls.system(user.name)
        return cls(actor_label(user))

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(f"system:{name}"[:160])


ANONYMOUS = Actor("anonymous")


@dataclass(frozen=True)
class RequestFacts:
    """Where a request came from (X4): address, browser, language. Never the query string."""

    ip: str
    user_agent: str
    language: str


@dataclass
class _BoundRequest:
    request: object
    schema: str  # the schema the request was routed to (public on the platform host)
    facts: RequestFacts | None = None  # computed on first use, after LocaleMiddleware has run


_request: ContextVar[_BoundRequest | None] = ContextVar("audit_request", default=None)
_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def facts_of(request) -> RequestFacts:
    """Address, browser and language of `request`, normalised and truncated for storage."""
    meta = request.META
    header = getattr(settings, "AUDIT_CLIENT_IP_HEADER", None)  # set only behind a trusted proxy
    raw_ip = (meta.get(header, "") if header else "") or meta.get("REMOTE_ADDR", "")
    raw_ip = raw_ip.split(",")[0].strip()
    try:
        ip = str(ipaddress.ip_address(raw_ip))
    except ValueError:
        ip = ""
    # The browser's own preference first (Z: "browser language"), else the language served.
    accept = meta.get("HTTP_ACCEPT_LANGUAGE", "").split(",")[0].split(";")[0].strip()
    language = accept or getattr(request, "LANGUAGE_CODE", "") or ""
    return RequestFacts(ip=ip, user_agent=meta.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT],
                        language=language[:MAX_LANGUAGE])


def bind_request(request) -> Token:
    """Called once routing has selected the request's schema."""
    return _request.set(_BoundRequest(request, connection.schema_name))


def unbind_request(token: Token) -> None:
    _request.reset(token)


def current_request_facts() -> RequestFacts | None:
    bound = _request.get()
    if bound is None:
        return None
    if bound.facts is None:
        bound.facts = facts_of(bound.request)
    return bound.facts


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Everything recorded inside the block is attributed to `actor`."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


@contextmanager
def acting_as_platform_staff(user) -> Iterator[Actor]:
    """X2: platform support staff touching an enterprise's data are recorded as themselves.

    Use around any code that staff run against an enterprise schema (admin actions, support
    scripts under `schema_context`): entries read "platform-staff:<id>", never "system".
    """
    with acting_as(Actor(f"platform-staff:{user.pk}")) as actor:
        yield actor


def acting_as_system(name: str | SystemActor):
    """Everything recorded inside the block is attributed to system work `name` ("system:<name>")."""
    return acting_as(Actor.system(name.name if isinstance(name, SystemActor) else name))


def bind_actor(actor: Actor) -> Token:
    """For hooks that cannot use a `with` block (Celery's prerun/postrun signals)."""
    return _actor.set(actor)


def unbind_actor(token: Token) -> None:
    _actor.reset(token)


def current_actor() -> Actor:
    """The actor of whatever is running now.

    An explicit binding (platform staff, a Celery task) wins; then the request's signed-in user
    (platform staff on the platform host are marked as staff); then an anonymous request; and
    outside both, the process itself ("system:manage.py <command>").
    """
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    bound = _request.get()
    if bound is not None:
        user = _signed_in_user(bound)
        if user is not None and getattr(user, "is_authenticated", False):
            return Actor.for_user(user)
        return ANONYMOUS
    return Actor.system(_process_name())


def _signed_in_user(bound: _BoundRequest):
    """The request's user, loaded from the request's own schema.

    request.user is loaded lazily. A staff request on the platform host that is first asked "who
    is this?" while working inside an enterprise schema would otherwise load the enterprise account
    that happens to share the staff account's id, and record the wrong person.
    """
    user = getattr(bound.request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty and connection.schema_name != bound.schema:
        from django_tenants.utils import schema_context

        with schema_context(bound.schema):
            user._setup()
    return user


def _process_name() -> str:
    argv = sys.argv or [""]
    program = argv[0].rsplit("/", 1)[-1]
    if program == "manage.py" and len(argv) > 1:
        return f"manage.py {argv[1]}"
    return program or "unattributed"
