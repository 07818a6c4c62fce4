"""The console's import history (E7): every import with who, when, status, counts and its report —
the manager sees everyone's, a sub-administrator their own (see_every_import), an employee none."""
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from orgdata.models import ImportJob
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

URL = "/console/organisation/import/history/"


def _imports(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-import="(\d+)"', response.content.decode())]


def _job(created_by, **fields) -> ImportJob:
    return ImportJob.objects.create(created_by=created_by, file=ContentFile(b"", name="book.csv"), file_format="csv",
                                    original_name="通讯录.csv", consent_statement="informed",
                                    consent_confirmed_at=timezone.now(), **fields)


@pytest.fixture
def history(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    done = _job(manager, status=ImportJob.Status.SUCCEEDED, total_rows=12, created_count=10, updated_count=2,
                departments_created=3)
    rejected = _job(deputy, status=ImportJob.Status.REJECTED, total_rows=4,
                    report=[{"row": 2, "column": "mobile", "reason": "bad"}, {"row": 3, "column": "name", "reason": "x"}])
    return {"manager": manager, "deputy": deputy, "done": done, "rejected": rejected, "tree": tree,
            "console_as": console_as}


@pytest.mark.promise("E7")
def test_the_manager_sees_every_import_with_who_when_status_and_counts(history):
    page = history["console_as"](history["manager"]).get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert {history["done"].pk, history["rejected"].pk} <= set(_imports(page))
    row = text.split(f'data-import="{history["done"].pk}"')[1].split("</tr>")[0]
    assert history["manager"].display_name in row and "Imported" in row
    assert re.findall(r"<td>(\d+)</td>", row) == ["12", "10", "2", "3"]
    row = text.split(f'data-import="{history["rejected"].pk}"')[1].split("</tr>")[0]
    assert "副管理员" in row and "2 problems (report)" in row
    assert f'/console/organisation/import/{history["rejected"].pk}/report.csv' in row


@pytest.mark.promise("E5")
def test_a_sub_administrator_sees_their_own_imports_only(history):
    page = history["console_as"](history["deputy"]).get(URL)
    assert page.status_code == 200 and _imports(page) == [history["rejected"].pk]


def test_an_employee_is_refused(history):
    employee = make_employee(department=history["tree"]["backend"]).account
    refused = history["console_as"](employee).get(URL)
    assert refused.status_code in (302, 403) and "data-import=" not in refused.content.decode()


def test_the_organisation_pages_lead_to_the_history(history):
    page = history["console_as"](history["manager"]).get("/console/organisation/import/")
    assert 'data-testid="import-history-link"' in page.content.decode()
