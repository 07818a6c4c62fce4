"""The demo enterprise `make run` shows: a department tree, ~50 employees, a manager, platform staff.

Idempotent: a second run finds everything in place and only reports the logins again. Passwords
are generated on first run and kept in the git-ignored .data/ folder, never in the repository.
"""
from __future__ import annotations

import random

from django.db import connection
from django_tenants.utils import schema_context
from faker import Faker

from access.actors import SystemActor
from accounts.models import User
from audit.context import acting_as_system
from core.local_data import persistent_secret
from orgdata.models import Department, Employee, Position
from orgdata.services import departments as department_services
from orgdata.services import employees as employee_services
from tenants import services as tenant_services

DEMO_CODE = "acme"
DEMO_NAME = "Acme Robotics 艾克米机器人"
DEPARTMENT_TREE = {
    "总部 Headquarters": {
        "研发部 R&D": ["前端组 Front end", "后端组 Back end", "测试组 QA"],
        "销售部 Sales": ["华东区 East China", "华北区 North China"],
        "人力资源部 HR": [],
        "财务部 Finance": [],
    }
}
EMPLOYEE_COUNT = 50
# Whoever runs `make run` fills the demo enterprise: no account of it exists yet to act as.
DEMO_SETUP = SystemActor("demo setup")


def _password(name: str) -> str:
    # Mixed classes so the X3 validators accept it.
    return persistent_secret(name, nbytes=9) + "-7Qa"


def seed_demo() -> dict:
    manager_mobile, staff_mobile = "13800000001", "13800000000"
    provisioned = tenant_services.provision_enterprise(
        actor=DEMO_SETUP, code=DEMO_CODE, name=DEMO_NAME, location="上海市浦东新区", industry="Manufacturing",
        personnel_size="21-100", administrator_mobile=manager_mobile, administrator_name="王经理",
        administrator_password=_password("demo_manager_password"),
    )
    _ensure_platform_staff(staff_mobile)
    with schema_context(provisioned.enterprise.schema_name), acting_as_system(DEMO_SETUP):
        first_employee = _ensure_people()
    return {
        "enterprise_name": provisioned.enterprise.name,
        "enterprise_code": DEMO_CODE,
        "enterprise_host": provisioned.domain,
        "manager_mobile": manager_mobile,
        "manager_password": _password("demo_manager_password"),
        "employee_mobile": first_employee,
        "employee_password": _password("demo_employee_password"),
        "staff_mobile": staff_mobile,
        "staff_password": _password("demo_staff_password"),
    }


def _ensure_platform_staff(mobile: str) -> None:
    connection.set_schema_to_public()
    if not User.objects.with_mobile(mobile).exists():
        User.objects.create_superuser(mobile=mobile, display_name="Platform support", password=_password("demo_staff_password"))


def _ensure_people() -> str:
    if not Department.objects.exists():
        _create_tree(DEPARTMENT_TREE, parent=None)
    leaves = list(Department.objects.filter(children__isnull=True))
    randomiser = random.Random(2026)
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    positions = [Position.objects.get_or_create(name=name)[0] for name in ("工程师", "专员", "主管", "经理")]
    existing = Employee.objects.count()
    for number in range(existing + 1, EMPLOYEE_COUNT + 1):
        mobile = f"139{number:08d}"
        employee = employee_services.add_employee(
            mobile=mobile, display_name=fake.name(), employee_number=f"E{number:05d}",
            department=randomiser.choice(leaves), position=randomiser.choice(positions),
            entry_date=fake.date_between(start_date="-8y", end_date="-30d"),
            email=f"e{number:05d}@acme.example", actor=DEMO_SETUP,
        )
        if number == 1:
            employee.account.set_password(_password("demo_employee_password"))
            employee.account.save(update_fields=["password"])
    return Employee.objects.select_related("account").order_by("employee_number").first().account.mobile


def _create_tree(tree: dict | list, parent: Department | None) -> None:
    items = tree.items() if isinstance(tree, dict) else ((name, {}) for name in tree)
    for name, children in items:
        _create_tree(children, department_services.create_department(name=name, parent=parent, actor=DEMO_SETUP))
