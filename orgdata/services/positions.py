"""The enterprise's lists of positions and job levels (E7)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from orgdata import permissions
from orgdata.models import JobLevel, Position


def _clean_name(name: str, limit: int) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if len(name) > limit:
        raise ValidationError({"name": [_("Use at most %(count)d characters.") % {"count": limit}]})
    return name


@transaction.atomic
def create_position(*, actor: User | None, name: str) -> Position:
    """Add a position to the list. Manager only; refuses an empty or duplicate name."""
    if actor is not None:
        permissions.require_enterprise_manager(actor)
    name = _clean_name(name, 100)
    if Position.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("This position already exists.")]})
    return Position.objects.create(name=name)


@transaction.atomic
def create_job_level(*, actor: User | None, name: str, rank: int | None = None) -> JobLevel:
    """Add a job level (by default above the highest). Manager only; refuses duplicates."""
    if actor is not None:
        permissions.require_enterprise_manager(actor)
    name = _clean_name(name, 50)
    if JobLevel.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("This job level already exists.")]})
    if rank is None:
        rank = (JobLevel.objects.order_by("-rank").values_list("rank", flat=True).first() or 0) + 1
    return JobLevel.objects.create(name=name, rank=rank)


@transaction.atomic
def delete_position(*, actor: User, position: Position) -> None:
    """Remove an unused position; refuses one that people still hold."""
    permissions.require_enterprise_manager(actor)
    if position.employees.exists():
        raise ValidationError({"position": [_("People still hold this position.")]})
    position.delete()


@transaction.atomic
def delete_job_level(*, actor: User, job_level: JobLevel) -> None:
    """Remove an unused job level; refuses one that people still have."""
    permissions.require_enterprise_manager(actor)
    if job_level.employees.exists():
        raise ValidationError({"job_level": [_("People still have this job level.")]})
    job_level.delete()
