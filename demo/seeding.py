"""The demo enterprise `make run` shows: a department tree, ~50 employees, a manager, platform staff,
and a living system: the platform's own privacy policy in force (demo/policy/, both languages), some
consents given and one withdrawn, a few check-ins and an address-book import in the history (the
worker `make run` starts reads it).

Idempotent: a second run finds everything in place and only reports the logins again. Passwords
are generated on first run and kept in the git-ignored .data/ folder, never in the repository.
"""
from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from faker import Faker

from access.actors import SystemActor
from accounts.models import User
from attendance import services as attendance_services
from attendance.models import CheckIn
from audit.context import acting_as_system
from consent.models import ConsentEvent
from consent.services import ledger as ledger_services
from core.local_data import persistent_secret
from fieldwork import services as fieldwork_services
from fieldwork.models import Customer
from orgdata.models import Application, Department, Employee, ImportJob, Position
from orgdata.services import applications as application_services
from orgdata.services import departments as department_services
from orgdata.services import employees as employee_services
from orgdata.services.imports import jobs as import_services
from policies import services as policy_services
from policies.models import PolicyVersion
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
    staff = _ensure_platform_staff(staff_mobile)
    policy = _ensure_policy_in_force(staff)
    with schema_context(provisioned.enterprise.schema_name), acting_as_system(DEMO_SETUP):
        first_employee = _ensure_people()
        _ensure_living_system(policy)
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


def _ensure_platform_staff(mobile: str) -> User:
    connection.set_schema_to_public()
    staff = User.objects.with_mobile(mobile).first()
    if staff is None:
        staff = User.objects.create_superuser(mobile=mobile, display_name="Platform support",
                                              password=_password("demo_staff_password"))
    return staff


POLICY_VERSION = "2026.1"
POLICY_FOLDER = Path(__file__).resolve().parent / "policy"


def _ensure_policy_in_force(staff: User) -> PolicyVersion:
    """The platform's own privacy policy (demo/policy/), published by the platform staff a month ago,
    so it is in force (C8: a version takes effect 7 days after publication)."""
    connection.set_schema_to_public()
    existing = PolicyVersion.objects.filter(version=POLICY_VERSION).first()
    if existing is not None:
        return existing
    return policy_services.save_policy_version(actor=staff, version=PolicyVersion(
        version=POLICY_VERSION, title_en="Privacy policy of this platform", title_zh_hans="本平台隐私政策",
        text_en=(POLICY_FOLDER / "privacy_policy.en.txt").read_text(encoding="utf-8"),
        text_zh_hans=(POLICY_FOLDER / "privacy_policy.zh_hans.txt").read_text(encoding="utf-8"),
        published_at=timezone.now() - timedelta(days=30), is_significant=False,
    ))


# A demo import: three people who join after the first 50 (fictitious numbers of the demo range).
DEMO_IMPORT = (
    "工号,姓名,手机号,部门,职位,入职日期\n"
    "E00051,林晓,13900000051,总部 Headquarters/研发部 R&D/测试组 QA,工程师,2026-03-02\n"
    "E00052,周航,13900000052,总部 Headquarters/销售部 Sales/华东区 East China,专员,2026-03-02\n"
    "E00053,吴敏,13900000053,总部 Headquarters/人力资源部 HR,专员,2026-03-09\n"
)


def _ensure_living_system(policy: PolicyVersion) -> None:
    """Answers the first employees gave in the app (policy accepted, consents given, some
    withdrawn), their check-ins, and an import by the manager. Each answer is given once (each in
    its own transaction, as the app gives them: one person's lock before the audit chain's), so a
    second run, or one after an interrupted run, adds only what is missing."""
    people = [employee.account for employee in
              Employee.objects.select_related("account").order_by("employee_number")[:8]]
    for number, person in enumerate(people):
        answer = {"actor": person, "person": person, "channel": ConsentEvent.Channel.MOBILE,
                  "device_id": f"demo-phone-{number}"}
        events = ConsentEvent.objects.filter(person=person)
        if not events.filter(action=ConsentEvent.Action.POLICY_ACCEPTED).exists():
            ledger_services.accept_policy(version_label=policy.version, **answer)
        if not events.filter(purpose__code="device.location").exists():
            ledger_services.grant_consent(purpose_code="device.location", explicit_confirmation=True, **answer)
        if number % 2 == 0 and not events.filter(purpose__code="share.partner.mobo").exists():
            ledger_services.grant_consent(purpose_code="share.partner.mobo", explicit_confirmation=True, **answer)
            if number % 4 == 0:  # changed their mind
                ledger_services.withdraw_consent(purpose_code="share.partner.mobo", **answer)
    if not CheckIn.objects.exists():
        for person in people[:5]:
            attendance_services.check_in(person=person, kind=CheckIn.Kind.CHECK_IN, place="上海浦东办公室")
        attendance_services.check_in(person=people[0], kind=CheckIn.Kind.CHECK_OUT, place="上海浦东办公室")
    if not Customer.objects.exists():
        _ensure_field_work(people)
    if not ImportJob.objects.exists():
        manager = User.objects.get(role=User.Role.MANAGER)
        upload = SimpleUploadedFile("demo-import.csv", DEMO_IMPORT.encode("utf-8"), content_type="text/csv")
        import_services.start_import(actor=manager, upload=upload, consent_confirmed=True, language="zh-hans")


# Customers the demo's field staff visit (fictitious).
DEMO_CUSTOMERS = (("东方明珠贸易有限公司", "上海市浦东新区世纪大道 1 号"), ("黄浦江供应链有限公司", "上海市黄浦区中山东一路 8 号"),
                  ("陆家嘴仪器有限公司", "上海市浦东新区陆家嘴环路 100 号"))


def _ensure_field_work(people: list[User]) -> None:
    """A1: the field-visits application on for everyone, the manager's customers, three visits with
    typed places (nobody has shared a position) and a daily report."""
    manager = User.objects.get(role=User.Role.MANAGER)
    application_services.switch_application(actor=manager, application=Application.objects.get(code="field-visits"),
                                            enabled=True)
    customers = [fieldwork_services.add_customer(actor=manager, name=name, address=address)
                 for name, address in DEMO_CUSTOMERS]
    for person, customer in zip(people[:3], customers):
        visit = fieldwork_services.check_in_visit(actor=person, customer_id=customer.pk, place="客户前台",
                                                  note="介绍新产品")
        fieldwork_services.check_out_visit(actor=person, visit_id=visit.pk, place="客户前台")
    fieldwork_services.submit_report(actor=people[0], kind="daily", period_start=timezone.localdate(),
                                     body="拜访 3 家客户，1 家有采购意向。", figures={"拜访": 3, "意向": 1})


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
