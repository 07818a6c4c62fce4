"""Many small enterprises for the scale benchmarks, made through the product's own provisioning path.

`ensure_enterprises(1000)` provisions `scale-00000` … `scale-00999` (whichever do not exist yet):
each gets its manager, one department and a few employees added through orgdata's service, all
with the password `PASSWORD`, so a load test can sign in as any of them. They are kept between
runs (creating 1,000 takes minutes); `drop_enterprises()` removes them.

`ensure_bare_enterprises(9000)` adds `scalebare-00000` … for the provisioning figure among 10,000:
provisioned through the same path with only their manager (no department, employees or password
of their own, so creation is the schema copy itself), in one process per core, and kept too
(`drop_enterprises(BARE_PREFIX)` removes them). `fillers=True` makes the missing ones as catalogue
fillers instead (below): about four times faster past a few thousand schemas, never served.
"""
from __future__ import annotations

import functools
import multiprocessing
import os
import re
import time
from dataclasses import dataclass

import _setup
from django.db import connection, transaction
from django_tenants.utils import schema_context

PREFIX = "scale"
BARE_PREFIX = "scalebare"
FULL = 1000  # enterprises with employees the benches share; beyond it, bare ones
PASSWORD = "Scale-Bench-2026!"


@dataclass(frozen=True)
class ScaleEnterprise:
    code: str
    host: str
    schema_name: str
    manager_mobile: str
    employee_mobiles: tuple[str, ...]


def _code(index: int) -> str:
    return f"{PREFIX}-{index:05d}"


def _manager_mobile(index: int) -> str:
    return f"1380{index:07d}"


def _employee_mobile(index: int, n: int) -> str:
    return f"139{n}{index:07d}"


def _describe(index: int, enterprise, employees: int) -> ScaleEnterprise:
    from tenants.services import enterprise_host

    return ScaleEnterprise(
        code=enterprise.code, host=enterprise_host(enterprise.code), schema_name=enterprise.schema_name,
        manager_mobile=_manager_mobile(index),
        employee_mobiles=tuple(_employee_mobile(index, n) for n in range(employees)),
    )


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow on purpose (a second a hash on a busy machine): six accounts an enterprise
    # made a thousand enterprises take hours. Every scale account holds this one hash of PASSWORD.
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _set_password(account) -> None:
    account.password = _password_hash()
    account.save(update_fields=["password"])


def _provision(index: int, employees: int):
    from accounts.models import User
    from orgdata.services import departments as department_services
    from orgdata.services import employees as employee_services
    from tenants import services as tenant_services

    provisioned = tenant_services.provision_enterprise(
        actor=_setup.BENCH_SETUP, code=_code(index), name=f"规模测试企业{index:05d}", location="Shenzhen",
        industry="Electronics", personnel_size="1-20", administrator_mobile=_manager_mobile(index),
        administrator_name="Scale Manager", administrator_password=None,
    )
    with schema_context(provisioned.enterprise.schema_name):
        _set_password(User.objects.get(role=User.Role.MANAGER))
        department = department_services.create_department(actor=_setup.BENCH_SETUP, name="研发部")
        for n in range(employees):
            employee = employee_services.add_employee(
                actor=_setup.BENCH_SETUP, mobile=_employee_mobile(index, n), display_name=f"员工{n}",
                employee_number=f"S{n:04d}", department=department,
            )
            _set_password(User.objects.get(pk=employee.account_id))
    return provisioned.enterprise


def ensure_enterprises(count: int, *, employees: int = 5, progress: bool = True) -> list[ScaleEnterprise]:
    """The first `count` scale enterprises, provisioning those that do not exist yet."""
    from tenants.models import Enterprise

    connection.set_schema_to_public()
    existing = {e.code: e for e in Enterprise.objects.filter(code__startswith=f"{PREFIX}-",
                                                              status=Enterprise.Status.ACTIVE)}
    described, started, made = [], time.perf_counter(), 0
    for index in range(count):
        enterprise = existing.get(_code(index))
        if enterprise is None:
            _setup.drop_enterprise(_code(index))  # a half-made one from an interrupted run
            enterprise = _provision(index, employees)
            connection.set_schema_to_public()
            made += 1
            if progress and made % 50 == 0:
                elapsed = time.perf_counter() - started
                print(f"  provisioned {made} scale enterprises in {elapsed:.0f} s", flush=True)
        described.append(_describe(index, enterprise, employees))
    return described


def drop_enterprises(prefix: str = PREFIX) -> int:
    """Remove the scale enterprises (`BARE_PREFIX`: the bare ones)."""
    from tenants.models import Enterprise

    connection.set_schema_to_public()
    codes = list(Enterprise.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True))
    for code in codes:
        _setup.drop_enterprise(code)
    return len(codes)


def _bare_code(index: int) -> str:
    return f"{BARE_PREFIX}-{index:05d}"


def _provision_bare(index: int) -> None:
    from tenants import services as tenant_services

    _setup.drop_enterprise(_bare_code(index))  # a half-made one from an interrupted run
    tenant_services.provision_enterprise(
        actor=_setup.BENCH_SETUP, code=_bare_code(index), name=f"规模测试空企业{index:05d}", location="Shenzhen",
        industry="Electronics", personnel_size="1-20", administrator_mobile=f"1370{index:07d}",
        administrator_name="Scale Manager", administrator_password=None,
    )
    connection.set_schema_to_public()


# A catalogue filler: the template's copy script with each audit partition made as a plain table of
# the same shape. A partition costs a read of all of pg_constraint (docs/scale-out.md, "Limits that
# remain"), which made the product's path take 1.5 s an enterprise past 4,000 of them; a filler
# takes about a quarter of that, holds about 4% fewer relations and 3% fewer constraints, and is
# never served.
_PARTITION = re.compile(r'CREATE TABLE ("[^"]+") PARTITION OF ("[^"]+") '
                        r'(?:DEFAULT|FOR VALUES FROM \([^)]*\) TO \([^)]*\))')
_filler_script: str | None = None


def _filler_copy_script() -> str:
    from django.conf import settings

    from tenants import schema_copy

    script, partitions = _PARTITION.subn(r"CREATE TABLE \1 (LIKE \2 INCLUDING ALL)",
                                         schema_copy._script_for(settings.TENANT_TEMPLATE_SCHEMA).statements)
    assert partitions, "the template has no partitions: the filler would be the product's copy"
    return script


def _make_filler(index: int) -> None:
    from django.conf import settings

    from tenants import schema_copy
    from tenants import services as tenant_services
    from tenants.models import Domain, Enterprise
    from tenants.validators import enterprise_name_key

    _setup.drop_enterprise(_bare_code(index))  # a half-made one from an interrupted run
    code, name = _bare_code(index), f"规模测试空企业{index:05d}"
    schema = tenant_services._schema_name_for(code)
    with transaction.atomic():
        enterprise = Enterprise.objects.bulk_create([Enterprise(
            code=code, schema_name=schema, name=name, name_key=enterprise_name_key(name), location="Shenzhen",
            industry="Electronics", personnel_size="1-20", status=Enterprise.Status.ACTIVE)])[0]
        Domain.objects.bulk_create([Domain(domain=tenant_services.enterprise_host(code), tenant=enterprise,
                                           is_primary=True)])
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE SCHEMA "{schema}";\nSET LOCAL search_path TO "{schema}", public;\n'
                + _filler_script.replace(schema_copy._TEMPLATE_MARK, f'"{settings.TENANT_TEMPLATE_SCHEMA}"')
                .replace(schema_copy._SCHEMA_MARK, f'"{schema}"')
                + "\nSELECT set_config('search_path', 'public', true);")


def ensure_bare_enterprises(count: int, *, processes: int | None = None, progress: bool = True,
                            fillers: bool = False) -> int:
    """The first `count` bare scale enterprises, provisioning the missing ones in `processes` (one
    per core) at once (`fillers`: as catalogue fillers, above); returns how many it made."""
    global _filler_script
    from django.core.cache import caches
    from tenants.models import Enterprise

    connection.set_schema_to_public()
    existing = set(Enterprise.objects.filter(code__startswith=f"{BARE_PREFIX}-", status=Enterprise.Status.ACTIVE)
                   .values_list("code", flat=True))
    missing = [index for index in range(count) if _bare_code(index) not in existing]
    if not missing:
        return 0
    if fillers:
        _filler_script = _filler_copy_script()  # read once, inherited by every process
    # Each process opens its own connections: none may be inherited open.
    connection.close()
    caches.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes or os.cpu_count() or 1) as pool:
        make = _make_filler if fillers else _provision_bare
        for made, _ in enumerate(pool.imap_unordered(make, missing, chunksize=10), 1):
            if progress and made % 500 == 0:
                print(f"  provisioned {made} of {len(missing)} bare enterprises in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
    return len(missing)
