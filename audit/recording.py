"""X2/X4: the one mechanism that writes audit entries. Feature code never calls it for ordinary
saves and deletes: receivers connected here, for every model that holds registered personal
information, record each create, update and delete with the NAMES of the changed fields (never
their values). The same module records logins, failed logins, logouts and unmasked views.

What signals cannot see: `QuerySet.update()`, `bulk_create()`, `bulk_update()` and raw SQL send
no model signals. A service that changes audited rows that way must call `record_bulk(...)` in
the same transaction. (`QuerySet.delete()` does send post_delete for each row and is recorded.)

Entries are written only in enterprise schemas; the public schema (platform staff accounts) has
no audit table.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from celery.signals import task_postrun, task_prerun
from django.contrib.auth import get_user_model, signals as auth_signals
from django.db import connection
from django.db.models import Model, signals as model_signals
from django_tenants.utils import get_public_schema_name

from accounts.selectors import account_with_mobile
from audit import chain
from audit.context import ANONYMOUS, Actor, current_actor, current_request_facts
from privacy import registry
from privacy.signals import sensitive_value_revealed

logger = logging.getLogger(__name__)

_SNAPSHOT = "_audit_snapshot"
# Per-process memo of schemas whose audit table exists; keyed by schema name (never shared
# between enterprises). Only positive answers are kept: a table is never un-created.
_schemas_with_audit_log: set[str] = set()


def audited_models() -> list[type[Model]]:
    """Every model that holds registered personal information (privacy.registry decides), except
    the logs themselves: they record these operations and are only ever appended to by raw SQL."""
    return [model for model in registry.audited_models() if model._meta.app_label != "audit"]


def is_recording_here() -> bool:
    """True in an enterprise schema that carries the audit log (not public, not mid-migration)."""
    schema = connection.schema_name
    if schema == get_public_schema_name():
        return False
    if schema in _schemas_with_audit_log:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".audit_chain'])
        exists = cursor.fetchone()[0] is not None
    if exists:
        _schemas_with_audit_log.add(schema)
    return exists


def _pending(*, action: str, actor: Actor | None = None, object_type: str = "", object_id="",
             changed_fields: Iterable[str] = ()) -> chain.PendingEntry:
    actor = actor or current_actor()
    facts = current_request_facts()
    return chain.PendingEntry(
        actor=actor.reference, action=action, object_type=object_type,
        object_id="" if object_id is None else str(object_id)[:64], changed_fields=tuple(changed_fields),
        ip=facts.ip if facts else "", user_agent=facts.user_agent if facts else "",
        language=facts.language if facts else "",
    )


def record_event(*, action: str, object_type: str = "", object_id="", changed_fields: Iterable[str] = (),
                 actor: Actor | None = None) -> int | None:
    """Append one entry in the current enterprise schema (no-op in public); returns its id.

    `changed_fields` are field names. Never pass a value: the audit log must not hold any.
    """
    if not is_recording_here():
        return None
    return chain.append([_pending(action=action, actor=actor, object_type=object_type, object_id=object_id,
                                  changed_fields=changed_fields)])[0]


def record_bulk(*, model: type[Model], action: str, object_ids: Iterable, changed_fields: Iterable[str] = (),
                actor: Actor | None = None) -> list[int]:
    """For services that change audited rows without model signals (QuerySet.update, bulk_create,
    bulk_update, raw SQL): one entry per object, appended in one statement. Call it inside the
    same transaction as the change. `action` is e.g. "update", "create", "delete", "anonymise".
    """
    if not is_recording_here():
        return []
    fields = tuple(changed_fields)
    object_type = model._meta.label_lower
    # The actor and the request facts are the same for every entry: looked up once.
    shape = _pending(action=action, actor=actor, object_type=object_type, changed_fields=fields)
    return chain.append_for_objects(
        shape, ["" if object_id is None else str(object_id)[:64] for object_id in object_ids])


# --- data changes -------------------------------------------------------------------------------

def _loaded_values(instance: Model) -> dict:
    loaded = instance.__dict__
    return {f.attname: loaded[f.attname] for f in instance._meta.concrete_fields if f.attname in loaded}


def _remember_loaded_values(sender, instance, **kwargs):
    # Kept on the instance so that post_save can name the changed fields without a query.
    instance.__dict__[_SNAPSHOT] = _loaded_values(instance)


def _changed_field_names(instance: Model, created: bool, update_fields) -> list[str]:
    current = _loaded_values(instance)
    fields = [f for f in instance._meta.concrete_fields if not f.primary_key]
    if created:
        return [f.name for f in fields if current.get(f.attname) not in (None, "")]
    before = instance.__dict__.get(_SNAPSHOT, {})
    if update_fields is not None:
        fields = [f for f in fields if f.name in update_fields or f.attname in update_fields]
    missing = object()
    return [f.name for f in fields
            if f.attname in current and before.get(f.attname, missing) != current[f.attname]]


def _record_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not is_recording_here():
        return
    changed = _changed_field_names(instance, created, update_fields)
    instance.__dict__[_SNAPSHOT] = _loaded_values(instance)
    if not created and not changed:
        return  # a save that changed nothing is not a data change
    chain.append([_pending(action="create" if created else "update", object_type=sender._meta.label_lower,
                           object_id=instance.pk, changed_fields=changed)])


def _record_delete(sender, instance, **kwargs):
    if not is_recording_here():
        return
    chain.append([_pending(action="delete", object_type=sender._meta.label_lower, object_id=instance.pk)])


# --- logins and unmasked views -------------------------------------------------------------

def _record_login(sender, request, user, **kwargs):
    record_event(action="login", actor=Actor.for_user(user), object_type=user._meta.label_lower, object_id=user.pk)


def _record_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(action="logout", actor=Actor.for_user(user), object_type=user._meta.label_lower,
                     object_id=user.pk)


def _record_failed_login(sender, credentials, request=None, **kwargs):
    """The attempted mobile number is never written; the entry names the account if one matches."""
    if not is_recording_here():
        return
    user_model = get_user_model()
    credentials = credentials or {}
    # The backend is called with the typed number under USERNAME_FIELD (or "username").
    identifier = str(credentials.get(user_model.USERNAME_FIELD) or credentials.get("username")
                     or credentials.get("mobile") or "").strip()
    account = account_with_mobile(identifier) if identifier else None
    account_id = account.pk if account is not None else ""
    record_event(action="login_failed", actor=ANONYMOUS, object_type=user_model._meta.label_lower,
                 object_id=account_id)


def _record_reveal(sender, actor=None, model=None, object_id=None, field=None, **kwargs):
    """privacy.signals.sensitive_value_revealed: who saw which field of which record unmasked.

    A bulk reveal (an unmasked export: object_id None) is one entry for the whole set.
    """
    object_type = model._meta.label_lower if model is not None and hasattr(model, "_meta") else str(model or "")
    record_event(action="view_unmasked" if object_id is not None else "view_unmasked_bulk",
                 actor=Actor.for_user(actor) if actor is not None else None,
                 object_type=object_type, object_id=object_id, changed_fields=[field] if field else [])


# --- Celery: tasks act as "system:<task name>" ------------------------------------------------

_task_tokens: dict[str, object] = {}


def _bind_task_actor(sender=None, task_id=None, task=None, **kwargs):
    from audit.context import bind_actor

    _task_tokens[task_id] = bind_actor(Actor.system(getattr(task, "name", None) or str(sender)))


def _unbind_task_actor(sender=None, task_id=None, **kwargs):
    from audit.context import unbind_actor

    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            unbind_actor(token)
        except ValueError:  # bound in another context (eager calls across threads): nothing to undo
            pass


def connect_receivers() -> None:
    """Called once from AuditConfig.ready()."""
    for model in audited_models():
        uid = f"audit:{model._meta.label_lower}"
        model_signals.post_init.connect(_remember_loaded_values, sender=model, dispatch_uid=f"{uid}:init")
        model_signals.post_save.connect(_record_save, sender=model, dispatch_uid=f"{uid}:save")
        model_signals.post_delete.connect(_record_delete, sender=model, dispatch_uid=f"{uid}:delete")
    auth_signals.user_logged_in.connect(_record_login, dispatch_uid="audit:login")
    auth_signals.user_logged_out.connect(_record_logout, dispatch_uid="audit:logout")
    auth_signals.user_login_failed.connect(_record_failed_login, dispatch_uid="audit:login_failed")

    sensitive_value_revealed.connect(_record_reveal, dispatch_uid="audit:view_unmasked")

    task_prerun.connect(_bind_task_actor, dispatch_uid="audit:task_prerun", weak=False)
    task_postrun.connect(_unbind_task_actor, dispatch_uid="audit:task_postrun", weak=False)
