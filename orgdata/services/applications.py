"""Version authorisation (E6): the application catalogue and who has which application on."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from access.capabilities import Capability, require
from access.errors import NotInYourScope
from accounts.models import User
from consent.services import sharing as sharing_services
from orgdata.errors import CertificationRequired
from orgdata.models import Application, ApplicationSwitch, Department, Employee
from orgdata.selectors import applications as application_selectors
from orgdata.selectors import scope as scope_selectors


@transaction.atomic
def create_self_built_application(*, actor: User, name: str, description: str = "") -> Application:
    """Add one of the enterprise's own applications to its catalogue (off until switched on).

    Manager only; refuses an empty name or one already in the catalogue.
    """
    require(actor, Capability.MANAGE_APPLICATION_CATALOGUE)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if Application.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("An application with this name already exists.")]})
    base = slugify(name)[:40] or "app"
    code, suffix = f"own-{base}", 1
    while Application.objects.filter(code=code).exists():
        suffix += 1
        code = f"own-{base}-{suffix}"
    return Application.objects.create(code=code, name=name, kind=Application.Kind.SELF_BUILT,
                                      description=(description or "").strip()[:300])


def _people_in_scope(*, department: Department | None, person: User | None) -> list[tuple[int, str]]:
    """(account id, department path) of everyone a switch at this level can affect."""
    people = Employee.objects.all()
    if person is not None:
        people = people.filter(account=person)
    elif department is not None:
        people = people.filter(department__path__startswith=department.path)
    return list(people.values_list("account_id", "department__path"))


@transaction.atomic
def switch_application(*, actor: User, application: Application, enabled: bool,
                       department: Department | None = None, person: User | None = None) -> list[int]:
    """E6: switch `application` on or off for the enterprise, a department (with its subtree) or
    one person. The most specific switch wins when the app decides who has it.

    Returns the ids of accounts whose effective state changed. For a third-party application those
    ids go to consent's sharing service inside this transaction, which shares only for people who
    consented (C9); if sharing fails, the switch rolls back. Refuses: enterprise-wide switches by anyone but the manager; a department or
    person outside a sub-administrator's scope (as "not found"); both a department and a person;
    switching on, at any level, an application reserved to certified enterprises before platform
    support certified this one (E4, CertificationRequired).
    """
    require(actor, Capability.SWITCH_APPLICATIONS)
    if department is not None and person is not None:
        raise ValidationError({"level": [_("Switch for a department or for a person, not both.")]})
    if department is None and person is None:
        require(actor, Capability.SWITCH_APPLICATIONS_ENTERPRISE_WIDE)
    if department is not None:
        department = scope_selectors.department_visible_to(actor, department.pk)
    if person is not None:
        employee = scope_selectors.employees_visible_to(actor).filter(account=person).first()
        if employee is None:
            raise NotInYourScope()

    application = Application.objects.select_for_update().get(pk=application.pk)
    # E4: the e-signature application signs in the enterprise's name; only once it is certified.
    if enabled and application_selectors.awaits_certification(application):
        raise CertificationRequired(code=application.code, name=_(application.name))
    people = _people_in_scope(department=department, person=person)
    before = application_selectors.enabled_states(application, people)
    ApplicationSwitch.objects.update_or_create(
        application=application, department=department, account=person,
        defaults={"is_enabled": bool(enabled), "changed_by": actor},
    )
    after = application_selectors.enabled_states(application, people)
    changed = sorted(account_id for account_id, state in after.items() if before.get(account_id) != state)
    if application.kind == Application.Kind.THIRD_PARTY and changed:
        sharing_services.share_for_application_switch(actor=actor, application_code=application.code,
                                                      enabled=bool(enabled), person_ids=changed)
    return changed


@transaction.atomic
def clear_application_switch(*, actor: User, switch: ApplicationSwitch) -> list[int]:
    """Remove one department's or person's switch so the level above decides again.

    Same scope rules and the same sharing as switch_application; returns the changed account ids.
    """
    require(actor, Capability.SWITCH_APPLICATIONS)
    if switch.department_id is None and switch.account_id is None:
        raise ValidationError({"switch": [_("The enterprise-wide switch can be turned on or off, not removed.")]})
    if switch.department_id is not None:
        scope_selectors.department_visible_to(actor, switch.department_id)
    if switch.account_id is not None and not scope_selectors.employees_visible_to(actor).filter(
            account_id=switch.account_id).exists():
        raise NotInYourScope()
    application = Application.objects.select_for_update().get(pk=switch.application_id)
    people = _people_in_scope(department=switch.department, person=switch.account)
    before = application_selectors.enabled_states(application, people)
    switch.delete()
    after = application_selectors.enabled_states(application, people)
    changed = sorted(account_id for account_id, state in after.items() if before.get(account_id) != state)
    if application.kind == Application.Kind.THIRD_PARTY and changed:
        # Each person's new state is what `after` says; group by it: one call to sharing per state.
        for state in (True, False):
            ids = [account_id for account_id in changed if after[account_id] is state]
            if ids:
                sharing_services.share_for_application_switch(actor=actor, application_code=application.code,
                                                              enabled=state, person_ids=ids)
    return changed
