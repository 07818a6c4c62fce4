"""Writes to the organisation structure (departments and employment records)."""
from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from orgdata.models import Department, Employee


def create_department(*, name: str, parent: Department | None = None) -> Department:
    """Add a department under `parent` (or at the top of the tree)."""
    department = Department(name=name, parent=parent)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def add_employee(*, mobile: str, display_name: str, employee_number: str,
                 department: Department | None = None, position: str = "") -> Employee:
    """E2/E7: add a person to the address book, creating their personal account."""
    account = account_services.create_account(mobile=mobile, display_name=display_name)
    employee = Employee(account=account, department=department, employee_number=employee_number, position=position)
    employee.full_clean()
    employee.save()
    return employee
