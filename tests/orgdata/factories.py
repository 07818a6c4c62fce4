"""Factories for the organisation data. They go through the services, so every row they make is
one a user could have made (paths, person keys and accounts included)."""
from __future__ import annotations

import itertools
from datetime import date

from access.actors import SystemActor
from orgdata.models import Department, Employee
from orgdata.services import departments as department_services
from orgdata.services import employees as employee_services
from orgdata.validators import resident_id_check_character

_numbers = itertools.count(1)
# Test data is made by system work, not by any account the test then asks about.
TEST_SETUP = SystemActor("test setup")


def resident_id(birth: date = date(1990, 3, 7), sequence: int = 123, region: str = "110105") -> str:
    """A valid GB 11643 resident ID number."""
    first_17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first_17 + resident_id_check_character(first_17)


def next_mobile() -> str:
    return f"1390{next(_numbers) + 4_000_000:07d}"


def make_department(name: str | None = None, parent: Department | None = None) -> Department:
    return department_services.create_department(name=name or f"Dept {next(_numbers)}", parent=parent,
                                                 actor=TEST_SETUP)


def make_employee(*, department: Department | None = None, name: str = "张三", mobile: str | None = None,
                  employee_number: str | None = None, **profile) -> Employee:
    return employee_services.add_employee(mobile=mobile or next_mobile(), display_name=name,
                                          employee_number=employee_number or f"T{next(_numbers):06d}",
                                          department=department, actor=TEST_SETUP, **profile)


def make_tree() -> dict[str, Department]:
    """HQ ─┬─ R&D ─┬─ Back end
           │       └─ Front end
           └─ Sales ── East"""
    hq = make_department("HQ")
    rnd = make_department("R&D", hq)
    sales = make_department("Sales", hq)
    return {"hq": hq, "rnd": rnd, "sales": sales, "backend": make_department("Back end", rnd),
            "frontend": make_department("Front end", rnd), "east": make_department("East", sales)}


def make_sub_administrator(*, departments: list[Department], manager, name: str = "李四"):
    from orgdata.services import administrators as administrator_services

    employee = make_employee(department=departments[0], name=name)
    administrator_services.appoint_sub_administrator(actor=manager, person=employee.account, departments=departments)
    employee.account.refresh_from_db()
    return employee.account
