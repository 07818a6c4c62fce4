"""Writes to the department tree: create, rename, move, merge, delete-when-empty (E7).

Every function keeps `Department.path` (the materialised chain of ids) exact, because the
sub-administrator scope (E5) is a prefix match on it. The department(s) must lie inside what the
actor administers (access.capabilities, ADMINISTER_DEPARTMENTS); `actor` is required (system work
passes an access.actors.SystemActor).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from access.capabilities import Capability, Scope, require, scope_of
from access.errors import NotInYourScope
from accounts.validators import clean_name_text
from audit.recording import audited_models, record_bulk
from consent.gate import fields_needing_consent
from core.bulk_rows import allocate_ids
from core.errors import NotPermitted
from orgdata.models import ApplicationSwitch, Department, DepartmentAdministratorPermission, Employee
from orgdata.selectors import scope as scope_selectors


def _check_actor_may_administer(actor, *departments: Department | None, allow_top_level: bool = False) -> None:
    require(actor, Capability.ADMINISTER_DEPARTMENTS)
    visible = scope_selectors.departments_visible_to(actor)
    for department in departments:
        if department is None:
            if not allow_top_level:
                raise NotPermitted(_("Only the enterprise manager can change the top of the tree."))
            require(actor, Capability.CHANGE_TOP_OF_TREE)
        elif not visible.filter(pk=department.pk).exists():
            raise NotInYourScope()


def _is_scoped_to_grants(actor) -> bool:
    """A sub-administrator (their reach is the subtrees granted to them)."""
    return scope_of(actor, Capability.ADMINISTER_DEPARTMENTS) is Scope.GRANTED_SUBTREES


def _validate_name(name: str) -> str:
    name = clean_name_text(name)  # the one name normaliser (invisible and bidi characters out)
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if "/" in name:
        raise ValidationError({"name": [_("A department name cannot contain “/”.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("Use at most 100 characters.")]})
    return name


def _check_name_free(name: str, parent: Department | None, *, exclude: Department | None = None) -> None:
    siblings = Department.objects.filter(parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise ValidationError({"name": [_("Another department with this name already exists at this place.")]})


@transaction.atomic
def create_department(*, name: str, parent: Department | None = None, actor,
                      sort_order: int = 0) -> Department:
    """Add a department under `parent` (or at the top of the tree, manager only).

    Refuses an empty name, a name with "/", a name already used by a sibling, or a parent outside
    the actor's departments.
    """
    _check_actor_may_administer(actor, parent, allow_top_level=True)
    name = _validate_name(name)
    _check_name_free(name, parent)
    department = Department.objects.create(name=name, parent=parent, sort_order=sort_order)
    department.path = f"{parent.path if parent else '/'}{department.pk}/"
    department.save(update_fields=["path"])
    return department


@transaction.atomic
def create_departments(*, wanted: list[tuple[Department | None, str]], actor) -> list[Department]:
    """Add many departments at once, each `(parent, name)`: what `create_department` does for
    each, in a few statements however many there are (an import creates hundreds).

    The same refusals, checked for all before any is written: an empty name, a name with "/", a
    name used twice under one parent (here or already), a parent outside the actor's departments.
    The parents exist already (a caller building a tree creates it a level at a time). Each
    department gets the audit entries `create_department` would record (none while departments
    hold no declared personal information).
    Returns the departments in the order asked.
    """
    if not wanted:
        return []
    parents = {parent.pk: parent for parent, _name in wanted if parent is not None}
    require(actor, Capability.ADMINISTER_DEPARTMENTS)
    if any(parent is None for parent, _name in wanted):
        require(actor, Capability.CHANGE_TOP_OF_TREE)
    if parents and scope_selectors.departments_visible_to(actor).filter(pk__in=parents).count() != len(parents):
        raise NotInYourScope()
    places = [(parent.pk if parent else None, _validate_name(name)) for parent, name in wanted]
    taken = set(Department.objects.filter(name__in={name for _parent, name in places}).values_list("parent_id", "name"))
    for place in places:
        if place in taken:
            raise ValidationError({"name": [_("Another department with this name already exists at this place.")]})
        taken.add(place)
    # COPY-free but signal-free: no field of a department is guarded by consent (checked here).
    gated = fields_needing_consent(Department, [field.name for field in Department._meta.concrete_fields])
    if gated:
        raise RuntimeError(f"department fields {gated} are consent-gated: creating them in bulk would bypass the gate")
    ids = allocate_ids(Department, len(places))
    departments = [Department(pk=pk, name=name, parent=parents.get(parent_id),
                              path=f"{parents[parent_id].path if parent_id else '/'}{pk}/")
                   for pk, (parent_id, name) in zip(ids, places)]
    Department.objects.bulk_create(departments)
    if Department in audited_models():  # bulk_create sends no signals: the entries one at a time gives
        for has_parent in (False, True):  # the creation (the path is set just after), then the path
            created = [department.pk for department in departments if (department.parent_id is not None) is has_parent]
            record_bulk(model=Department, action="create", object_ids=created,
                        changed_fields=["name", "parent", "sort_order"] if has_parent else ["name", "sort_order"])
        record_bulk(model=Department, action="update", object_ids=[department.pk for department in departments],
                    changed_fields=["path"])
    return departments


@transaction.atomic
def rename_department(*, department: Department, name: str, actor) -> Department:
    """Give a department a new name; refuses a name its siblings already use."""
    _check_actor_may_administer(actor, department)
    name = _validate_name(name)
    _check_name_free(name, department.parent, exclude=department)
    department.name = name
    department.save(update_fields=["name"])
    return department


@transaction.atomic
def move_department(*, department: Department, new_parent: Department | None, actor) -> Department:
    """Hang `department` (with everything below it) under `new_parent`.

    Refuses moving a department under itself or its own descendants, a name clash at the new
    place, and (for a sub-administrator) a source or destination outside their departments, or
    moving one of their own granted departments (that would change their own scope).
    """
    _check_actor_may_administer(actor, department, new_parent, allow_top_level=True)
    if _is_scoped_to_grants(actor):
        if scope_selectors.administered_roots_of(actor).filter(pk=department.pk).exists():
            raise NotPermitted(_("Ask the enterprise manager to move a department you were granted."))
    return _hang_under(department, new_parent)


def _hang_under(department: Department, new_parent: Department | None) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    if new_parent is not None:
        new_parent = Department.objects.get(pk=new_parent.pk)
        if new_parent.path.startswith(department.path):
            raise ValidationError({"parent": [_("A department cannot be moved under itself or its own sub-departments.")]})
    _check_name_free(department.name, new_parent, exclude=department)
    old_path = department.path
    new_path = f"{new_parent.path if new_parent else '/'}{department.pk}/"
    department.parent = new_parent
    department.save(update_fields=["parent"])
    _rewrite_paths(old_path, new_path)
    department.refresh_from_db()
    return department


def _rewrite_paths(old_prefix: str, new_prefix: str) -> None:
    """Replace the prefix of every path in a subtree (one UPDATE; paths are not personal data)."""
    Department.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr(F("path"), len(old_prefix) + 1))
    )


@transaction.atomic
def merge_departments(*, source: Department, target: Department, actor) -> Department:
    """Fold `source` into `target`: its employees, sub-departments, administrator grants and
    application switches move to `target`, then `source` is deleted.

    Refuses merging a department into itself or into one of its own sub-departments, a
    sub-department name that `target` already has, and (for anyone but the manager) a source
    whose subtree holds any administrator grant.
    """
    _check_actor_may_administer(actor, source, target)
    if source.pk == target.pk:
        raise ValidationError({"target": [_("Choose a different department to merge into.")]})
    source = Department.objects.select_for_update().get(pk=source.pk)
    target = Department.objects.select_for_update().get(pk=target.pk)
    if scope_of(actor, Capability.ADMINISTER_DEPARTMENTS) is not Scope.EVERYTHING and _has_grants_in_subtree(source):
        # E5: the source's grants move onto `target`, widening that administrator's scope (and a
        # sub-administrator merging away their own granted department would change their own):
        # scopes are the manager's to change.
        raise NotPermitted(
            _("Ask the enterprise manager to merge a department that has administrators."))
    if target.path.startswith(source.path):
        raise ValidationError({"target": [_("A department cannot be merged into its own sub-department.")]})
    target_children = set(target.children.values_list("name", flat=True))
    clashes = sorted(set(source.children.values_list("name", flat=True)) & target_children)
    if clashes:
        raise ValidationError({"target": [
            _("Both departments have a sub-department called “%(name)s”; rename one first.") % {"name": clashes[0]}
        ]})
    # Per-object saves so the audit log records each person's move (signals, X4).
    for employee in Employee.objects.filter(department=source):
        employee.department = target
        employee.save(update_fields=["department", "updated_at"])
    for child in list(source.children.all()):
        _hang_under(child, target)  # inside the source, which the actor was allowed to merge
    _move_grants_and_switches(source, target)
    source.delete()
    return target


def _has_grants_in_subtree(department: Department) -> bool:
    return DepartmentAdministratorPermission.objects.filter(
        content_object__path__startswith=department.path).exists()


def _move_grants_and_switches(source: Department, target: Department) -> None:
    for grant in DepartmentAdministratorPermission.objects.filter(content_object=source):
        DepartmentAdministratorPermission.objects.get_or_create(
            user_id=grant.user_id, permission_id=grant.permission_id, content_object=target)
    for switch in ApplicationSwitch.objects.filter(department=source):
        if not ApplicationSwitch.objects.filter(application_id=switch.application_id, department=target).exists():
            switch.department = target
            switch.save(update_fields=["department"])


@transaction.atomic
def delete_department(*, department: Department, actor) -> None:
    """Delete an empty department. Refuses one that still has employees or sub-departments."""
    _check_actor_may_administer(actor, department)
    if _is_scoped_to_grants(actor):
        if scope_selectors.administered_roots_of(actor).filter(pk=department.pk).exists():
            raise NotPermitted(_("Ask the enterprise manager to delete a department you were granted."))
    if department.children.exists():
        raise ValidationError({"department": [_("This department still has sub-departments.")]})
    if department.employees.exists():
        raise ValidationError({"department": [_("This department still has employees.")]})
    department.delete()
