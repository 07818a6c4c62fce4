"""The enterprise's lists of positions and job levels (E7)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.actors import SystemActor
from access.capabilities import Capability, require
from accounts.models import User
from accounts.validators import clean_name_text
from orgdata.models import JobLevel, Position


def _free_name(model: type[Position] | type[JobLevel], name: str, *, taken_by_other_than=None) -> str:
    """`name` cleaned, after refusing an empty or over-long one and one another row already has."""
    limit = model._meta.get_field("name").max_length
    name = clean_name_text(name)  # the one name normaliser (invisible and bidi characters out)
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if len(name) > limit:
        raise ValidationError({"name": [_("Use at most %(count)d characters.") % {"count": limit}]})
    if model.objects.filter(name=name).exclude(pk=taken_by_other_than).exists():
        raise ValidationError({"name": [_("This position already exists.") if model is Position
                                        else _("This job level already exists.")]})
    return name


@transaction.atomic
def create_position(*, actor: User | SystemActor, name: str) -> Position:
    """Add a position to the list. Manager only; refuses an empty or duplicate name."""
    require(actor, Capability.ADMINISTER_POSITIONS)
    return Position.objects.create(name=_free_name(Position, name))


@transaction.atomic
def create_job_level(*, actor: User | SystemActor, name: str, rank: int | None = None) -> JobLevel:
    """Add a job level (by default above the highest). Manager only; refuses duplicates."""
    require(actor, Capability.ADMINISTER_POSITIONS)
    name = _free_name(JobLevel, name)
    if rank is None:
        rank = (JobLevel.objects.order_by("-rank").values_list("rank", flat=True).first() or 0) + 1
    return JobLevel.objects.create(name=name, rank=rank)


@transaction.atomic
def rename_position(*, actor: User, position: Position, name: str) -> Position:
    """Rename a position; everyone holding it keeps it under the new name. Manager only; refuses
    an empty name or one another position already has."""
    require(actor, Capability.ADMINISTER_POSITIONS)
    position = Position.objects.select_for_update().get(pk=position.pk)
    position.name = _free_name(Position, name, taken_by_other_than=position.pk)
    position.save(update_fields=["name"])
    return position


@transaction.atomic
def rename_job_level(*, actor: User, job_level: JobLevel, name: str) -> JobLevel:
    """Rename a job level (its rank stays). Manager only; refuses an empty or duplicate name."""
    require(actor, Capability.ADMINISTER_POSITIONS)
    job_level = JobLevel.objects.select_for_update().get(pk=job_level.pk)
    job_level.name = _free_name(JobLevel, name, taken_by_other_than=job_level.pk)
    job_level.save(update_fields=["name"])
    return job_level


@transaction.atomic
def delete_position(*, actor: User, position: Position) -> None:
    """Remove an unused position; refuses one that people still hold."""
    require(actor, Capability.ADMINISTER_POSITIONS)
    # The row lock waits for (and then blocks) anyone being given this position meanwhile, so the
    # check below stays true until the delete (the foreign key would refuse it with a 500).
    position = Position.objects.select_for_update().get(pk=position.pk)
    holders = position.employees.count()
    if holders:
        raise ValidationError({"position": [ngettext(
            "%(count)d person still holds this position; give them another one before deleting it.",
            "%(count)d people still hold this position; give them another one before deleting it.",
            holders) % {"count": holders}]})
    position.delete()


@transaction.atomic
def delete_job_level(*, actor: User, job_level: JobLevel) -> None:
    """Remove an unused job level; refuses one that people still have."""
    require(actor, Capability.ADMINISTER_POSITIONS)
    job_level = JobLevel.objects.select_for_update().get(pk=job_level.pk)  # see delete_position
    holders = job_level.employees.count()
    if holders:
        raise ValidationError({"job_level": [ngettext(
            "%(count)d person still has this job level; give them another one before deleting it.",
            "%(count)d people still have this job level; give them another one before deleting it.",
            holders) % {"count": holders}]})
    job_level.delete()
