"""Version authorisation (E6): the application catalogue and who has which application on. The
catalogue (access.capabilities, USE_APPLICATION) asks `is_application_enabled_for` through its
application resolver (registered by OrgdataConfig.ready)."""
from __future__ import annotations

import json
from collections.abc import Iterable
from types import SimpleNamespace

from django.db import connection
from django.db.models import QuerySet

from access import resolvers
from accounts.models import User
from orgdata.catalogue import CERTIFIED_ONLY_APPLICATIONS
from orgdata.models import Application, ApplicationSwitch, Department, Employee


def application_catalogue() -> QuerySet[Application]:
    return Application.objects.all()


def _effective(application: Application, switches: list[ApplicationSwitch], *, account_id: int,
               department_path: str) -> bool:
    """The most specific switch wins: the person's own, then the nearest department, then the
    enterprise's, then the application's default."""
    enterprise_level = None
    nearest, nearest_depth = None, -1
    for switch in switches:
        if switch.account_id is not None:
            if switch.account_id == account_id:
                return switch.is_enabled
        elif switch.department_id is not None:
            marker = f"/{switch.department_id}/"
            if marker in department_path:
                depth = department_path.index(marker)
                if depth > nearest_depth:
                    nearest, nearest_depth = switch.is_enabled, depth
        else:
            enterprise_level = switch.is_enabled
    if nearest is not None:
        return nearest
    if enterprise_level is not None:
        return enterprise_level
    return application.is_enabled_by_default


def enabled_states(application: Application, accounts: Iterable[tuple[int, str]]) -> dict[int, bool]:
    """{account id: whether `application` is on for them} for (account id, department path) pairs."""
    switches = list(application.switches.all())
    return {account_id: _effective(application, switches, account_id=account_id, department_path=path or "")
            for account_id, path in accounts}


def applications_enabled_for(person: User) -> list[Application]:
    """The applications switched on for `person`, as their app shows them."""
    path = Department.objects.filter(employees__account=person).values_list("path", flat=True).first() or ""
    enabled = []
    for application in Application.objects.prefetch_related("switches"):
        if _effective(application, list(application.switches.all()), account_id=person.pk, department_path=path):
            enabled.append(application)
    return enabled


def _application_for(person: User, code: str):
    """The application `code` with, in the same row, every switch of it (`switch_rows`) and the
    department path of `person` (`requester_path`); None when the catalogue has no such application.

    One hand-written statement: the directory and the attendance API ask on every request (E6,
    through access.capabilities), and composing this query with the ORM cost several times what
    running it does.
    """
    statement = f"""
        SELECT application.id, application.is_enabled_by_default,
               (SELECT department.path FROM {Department._meta.db_table} department
                  JOIN {Employee._meta.db_table} employee ON employee.department_id = department.id
                 WHERE employee.account_id = %(account)s LIMIT 1),
               (SELECT coalesce(json_agg(json_build_object(
                           'account_id', switch.account_id, 'department_id', switch.department_id,
                           'is_enabled', switch.is_enabled)), '[]'::json)::text
                  FROM {ApplicationSwitch._meta.db_table} switch WHERE switch.application_id = application.id)
          FROM {Application._meta.db_table} application
         WHERE application.code = %(code)s"""
    with connection.cursor() as cursor:
        cursor.execute(statement, {"account": person.pk, "code": code})
        row = cursor.fetchone()
    if row is None:
        return None
    pk, enabled_by_default, path, switches = row
    return SimpleNamespace(
        pk=pk, is_enabled_by_default=enabled_by_default, requester_path=path or "",
        switches=[SimpleNamespace(**switch) for switch in json.loads(switches)])


def is_application_enabled_for(person: User, code: str) -> bool:
    """Whether one application is on for `person`: the catalogue's application resolver (E6)."""
    application = _application_for(person, code)
    return application is not None and _effective(
        application, application.switches, account_id=person.pk, department_path=application.requester_path)


def application_switches(application: Application) -> QuerySet[ApplicationSwitch]:
    return application.switches.select_related("department", "account").order_by("department__path", "account_id")


def awaits_certification(application) -> bool:
    """E4: whether `application` is reserved to certified enterprises (orgdata.catalogue) and this
    enterprise is not certified yet (the certification app answers, through access.resolvers)."""
    return application.code in CERTIFIED_ONLY_APPLICATIONS and not resolvers.certification_resolver()()
