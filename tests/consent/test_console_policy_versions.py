"""The console's policy versions (C8): each published version with its dates and how many people
accepted it — small counts suppressed (S3); a sub-administrator counts the people of their
departments only (E5); an employee is refused."""
import re

import pytest
from django.utils import timezone

from consent.models import ConsentEvent
from consent.services import ledger as ledger_services
from privacy import statistics
from accounts.models import User
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: enterprise A)
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree
from tests.policies.factories import PolicyVersionFactory

URL = "/console/privacy/policy-versions/"


def _accepted(page: str, label: str) -> tuple[str, str]:
    row = page.split(f'data-version="{label}"')[1].split("</tr>")[0]
    accepted, people = re.search(r'<td class="accepted">([^<]*)</td>', row).group(1).replace("&lt;", "<").replace(
        "&gt;", ">").split(" / ")
    return accepted, people


def _accept(person, label):
    ledger_services.accept_policy(actor=person, person=person, version_label=label,
                                  channel=ConsentEvent.Channel.MOBILE)


@pytest.fixture
def versions(in_a, manager, console_as):
    tree = make_tree()
    old = PolicyVersionFactory(version="2026.1-t", days_ago=40)
    new = PolicyVersionFactory(version="2026.2-t", days_ago=10, is_significant=True)
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    accepting = [make_employee(department=tree["backend"]).account for _ in range(6)]
    silent = [make_employee(department=tree["frontend"]).account for _ in range(5)]
    east = make_employee(department=tree["east"]).account
    # A significant change blocks the console until accepted: the administrators accept it too.
    for person in accepting + [east, manager, deputy]:
        _accept(person, new.version)
    _accept(east, old.version)
    return {"old": old, "new": new, "deputy": deputy, "manager": manager, "console_as": console_as,
            "accepting": accepting, "silent": silent, "east": east}


@pytest.mark.promise("C8")
def test_the_manager_sees_each_version_with_its_dates_and_acceptance(versions):
    page = versions["console_as"](versions["manager"]).get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    new, old = versions["new"], versions["old"]
    row = text.split(f'data-version="{new.version}"')[1].split("</tr>")[0]
    shown = [timezone.localtime(moment).strftime("%Y-%m-%d") for moment in (new.published_at, new.effective_at)]
    assert all(day in row for day in shown)  # in the enterprise's time zone, as the page shows them
    assert "Significant" in row and "in force" in row
    people = User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).count()
    assert _accepted(text, new.version) == (str(statistics.part_of(9, total=people)), str(statistics.cell(people)))
    assert _accepted(text, old.version)[0] == "<5"  # S3: one person is a small cell


@pytest.mark.promise("S3")
@pytest.mark.promise("E5")
def test_a_sub_administrator_counts_only_the_people_of_their_departments(versions):
    page = versions["console_as"](versions["deputy"]).get(URL).content.decode()
    # R&D: the deputy and six who accepted, five who did not; the one in East is not theirs to count.
    assert _accepted(page, versions["new"].version) == ("7", "12")
    assert _accepted(page, versions["old"].version) == ("<5", "12")


def test_an_employee_is_refused(versions):
    refused = versions["console_as"](versions["east"]).get(URL)
    assert refused.status_code in (302, 403) and 'data-testid="policy-versions"' not in refused.content.decode()
