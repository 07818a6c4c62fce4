"""Every console page in real Chromium, as the manager, a sub-administrator, an employee and
someone signed out, at desktop (1366 px) and phone (390 px) width: no server error, no sideways
scroll, no serious or critical accessibility violation (axe-core), and in Chinese no English
source string left untranslated.

The pages come from the URL conf, not from a list kept here: every GET route under /console/
without parameters, and each parametrised one with an instance from this module's fixtures
(INSTANCES). A new parametrised page fails `test_every_parametrised_console_page_has_an_instance`
until it gets one, so no page escapes the sweep unnoticed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from tests.committing import committed

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1366, 390)
PASSWORD = "Sweep-Pass-2026!"

# Parametrised pages: which fixture object each parameter names. A route named here without an
# instance is listed in NOT_SWEPT with the reason.
INSTANCES = {
    "orgdata:department": lambda facts: {"pk": facts["department"]},
    "orgdata:employee": lambda facts: {"pk": facts["employee"]},
    "orgdata:employee_edit": lambda facts: {"pk": facts["employee"]},
    "orgdata:application": lambda facts: {"pk": facts["application"]},
    "consent-console:person": lambda facts: {"pk": facts["account"]},
    "erasure-console:erase_employee": lambda facts: {"pk": facts["employee"]},
    "erasure-console:guardian_report": lambda facts: {"pk": facts["employee"]},
    "rights-console:next_of_kin": lambda facts: {"employee_pk": facts["employee"]},
    "rights-console:request": lambda facts: {"pk": facts["rights_request"]},
    "orgdata:import": lambda facts: {"pk": facts["import_job"]},
    "fieldwork-console:customer": lambda facts: {"pk": facts["customer"]},
    "incidents-console:incident": lambda facts: {"pk": facts["incident"]},
    "approvals-console:request": lambda facts: {"pk": facts["approval_request"]},
}
NOT_SWEPT = {
    # Actions (POST only) and downloads: not pages.
    "console:logout": "POST only",
    "certification-console:document": "a download (the certification document's bytes, E4), not a page",
    "orgdata:employee_reset_password": "POST only",
    "orgdata:import_report": "a CSV download",
    "orgdata:import_template": "a file download",
    "erasure-console:certificate": "a JSON download",
    "erasure-console:withdraw_cancellation": "POST only",
    "rights-console:authorise": "POST only",
    "rights-console:refuse": "POST only",
    "rights-console:reveal_correct_value": "POST only",
    "rights-console:message_read": "POST only",
    "rights-console:remove_protection_contact": "POST only",
    "rights-console:verify_proof": "POST only (R7: the death and the proof recorded)",
    "rights-console:download_link": "POST only (R7: a short-lived link to the deceased's copy)",
    "rights-console:download": "a ZIP download (R7)",
    "consent-console:recipient-webhook": "POST only",
    "consent-console:recipient-secret": "POST only",
    "consent-console:recipient-transfer": "POST only (tests/consent/test_partner_transfers.py)",
    "consent-console:register-partner": "POST only (tests/consent/test_partner_transfers.py)",
    "consent-console:board": "POST only (tests/consent/test_public_board.py)",
    "orgdata:import_confirm": "POST only",
    "orgdata:import_cancel": "POST only",
    "orgdata:export_download": "a file download",
    "incidents-console:report": "a PDF download (tests/incidents/test_incidents.py reads it)",
    "orgdata:employee_invite": "POST only",
    "orgdata:employee_bulk": "POST only (the employee list's bulk actions; tests/orgdata/test_employee_table.py)",
    "orgdata:person_picker": "a JSON endpoint of the person picker, not a page",
    "orgdata:employee_invite_by_sms": "POST only",
    "fieldwork-console:reports_export": "a file download (tests/fieldwork/test_console.py)",
    "approvals-console:save_kinds": "POST only",
    "approvals-console:save_department_head": "POST only",
    "approvals-console:save_named_approvers": "POST only",
    "announcements-console:create_channel": "POST only",
    # Pages about work this fixture does not start (it would erase or hand over for real).
    "erasure-console:job": "needs a finished erasure",
    "erasure-console:minor_case": "needs a minor's case",
    "consent-console:guardian-consent": "needs a minor's account (tests/consent/test_guardian_consent.py opens it)",
    "orgdata:export_status": "needs a finished background export (tests/orgdata/test_export_background.py opens it)",
    # The old address of the person's consent page redirects there (swept as consent-console:person).
    "employee_consent": "redirects to consent-console:person",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    parameters: tuple[str, ...]


def console_routes() -> list[Route]:
    """Every route of an enterprise's host under console/, with its name and parameters."""
    found = []

    def walk(patterns, prefix: str, namespace: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
                walk(entry.url_patterns, prefix + str(entry.pattern), inner or "")
            elif isinstance(entry, URLPattern):
                pattern = prefix + str(entry.pattern)
                if not pattern.startswith("console/"):
                    continue
                name = entry.name or getattr(entry.callback, "__name__", pattern)
                full_name = f"{namespace}:{name}" if namespace and entry.name else name
                found.append(Route(full_name, pattern, tuple(re.findall(r"<(?:\w+:)?(\w+)>", pattern))))

    walk(get_resolver("config.urls_tenant").url_patterns, "", "")
    return found


def path_of(route: Route, kwargs: dict) -> str:
    path = route.pattern
    for parameter in route.parameters:
        path = re.sub(rf"<(?:\w+:)?{parameter}>", str(kwargs[parameter]), path)
    return "/" + path


def test_every_parametrised_console_page_has_an_instance():
    routes = console_routes()
    assert len(routes) > 20
    unaccounted = [route.name for route in routes
                   if route.parameters and route.name not in INSTANCES and route.name not in NOT_SWEPT]
    assert unaccounted == [], "give each new page an instance in INSTANCES (or a reason in NOT_SWEPT)"


def english_source_strings() -> set[str]:
    """The catalogue's English strings whose Chinese differs from them (a string shown in English
    on a Chinese page is then a missing translation, or text never wrapped for translation)."""
    entries = []
    for block in (ROOT / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8").split("\n\n"):
        entry, field = {"fuzzy": False}, None
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            elif line.startswith(("msgid ", "msgstr ", "msgstr[0] ")):
                keyword, _, value = line.partition(" ")
                field = "msgid" if keyword == "msgid" else "msgstr"
                entry[field] = _unquote(value)
            elif line.startswith(("msgid_plural ", "msgstr[", "msgctxt ")):
                field = None
            elif line.startswith('"') and field:
                entry[field] += _unquote(line)
        entries.append(entry)
    sources = set()
    for entry in entries:
        english = " ".join(entry.get("msgid", "").split())
        chinese = entry.get("msgstr", "")
        if (english and re.search(r"[A-Za-z]{2}", english) and "%" not in english and "{" not in english
                and (entry.get("fuzzy") or chinese.strip() != english)):
            sources.add(english)
    return sources - {"English"}  # the language switch names each language in its own words


def _unquote(text: str) -> str:
    return text.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


VISIBLE_TEXTS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (!parent || parent.closest("script, style, option, [data-untranslated]")) continue;
    const text = walker.currentNode.textContent.replace(/\\s+/g, " ").trim();
    if (text) texts.push(text);
  }
  document.querySelectorAll("[aria-label], [placeholder], [title]").forEach((element) => {
    ["aria-label", "placeholder", "title"].forEach((name) => {
      const value = element.getAttribute(name);
      if (value) texts.push(value.replace(/\\s+/g, " ").trim());
    });
  });
  return texts;
}"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def sweep_enterprise(request, session_enterprises, django_db_blocker):
    from tests.orgdata.conftest import _own_enterprise, _retire

    enterprise = _own_enterprise("console-sweep", "Console Sweep Co", "13755550001", django_db_blocker)
    yield enterprise
    _retire(enterprise, django_db_blocker)


@pytest.fixture(scope="module")
def arranged(sweep_enterprise, live_server_port):
    """An organisation with people in and outside a sub-administrator's departments, signed-in
    sessions for the three roles, and one of each object a parametrised page shows."""
    from django.test import Client

    from orgdata.models import Application
    from rights.models import RightsRequest
    from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

    def arrange():
        user_model = get_user_model()
        manager = user_model.objects.get(role=user_model.Role.MANAGER)
        tree = make_tree()
        inside = [make_employee(department=tree["backend"], name=f"研发{index}", employee_number=f"SW-B{index}")
                  for index in range(6)]
        for index in range(3):
            make_employee(department=tree["east"], name=f"销售{index}", employee_number=f"SW-E{index}")
        deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="研发主管")
        employee = inside[0].account
        application = Application.objects.order_by("pk").first()
        if application is None:
            from orgdata.services import applications as application_services

            application = application_services.create_self_built_application(actor=manager, name="Sweep app")
        rights_request = _a_rights_request(employee)
        import_job = _an_import_job(manager)
        customer = _a_customer_visited(manager, tree["rnd"], employee)
        incident = _an_incident(employee)
        approval_request = _an_approval_request(manager, deputy, tree["rnd"], inside[1].account)
        sessions = {}
        for role, account in (("manager", manager), ("sub-administrator", deputy), ("employee", employee)):
            client = Client(HTTP_HOST=sweep_enterprise.host)
            client.force_login(account)
            sessions[role] = client.cookies["sessionid"].value
        return {"department": tree["rnd"].pk, "employee": inside[0].pk, "account": employee.pk,
                "application": application.pk, "rights_request": rights_request.pk,
                "import_job": import_job.pk, "customer": customer.pk, "incident": incident.pk,
                "approval_request": approval_request.pk, "sessions": sessions}

    def _an_incident(person):
        # The row as opening leaves it (the telling itself is the worker's: tests/incidents).
        from incidents.models import AffectedPerson, Incident

        incident = Incident.objects.create(
            reference="INC-SWEEP-1", kind=Incident.Kind.LOSS, title="丢失的笔记本电脑", cause="Stolen",
            possible_harm="Phishing", measures_taken="Encrypted disk", advice="Beware of calls", remedies="None",
            contact="Security desk", audience=Incident.Audience.LIST)
        AffectedPerson.objects.create(incident=incident, person=person)
        return incident

    def _an_approval_request(manager, head, department, applicant):
        from approvals import services as approval_services

        approval_services.switch_kind(actor=manager, kind="leave", enabled=True)
        approval_services.set_department_head(actor=manager, department=department, head=head)
        return approval_services.submit(actor=applicant, kind="leave", details={
            "leave_type": "annual", "start_date": "2026-05-04", "end_date": "2026-05-08", "reason": "Family visit"})

    def _a_rights_request(person):
        from rights import services as rights_services

        from accounts import verification
        from accounts.models import VerificationPurpose
        from tests.accounts.signing_in import latest_code

        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
        verification.send_code(actor=person, person=person, purpose=VerificationPurpose.RIGHTS_REQUEST)
        return rights_services.submit_request(actor=person, kind=RightsRequest.Kind.COMPLAINT,
                                              details={"text": "My title is wrong."}, password=PASSWORD,
                                              code=latest_code(sweep_enterprise.schema_name, person.mobile))

    def _a_customer_visited(manager, department, person):
        from django.utils import timezone

        from fieldwork import services as fieldwork_services

        customer = fieldwork_services.add_customer(actor=manager, name="Sweep Customer", address="1 Sweep Road",
                                                   department=department)
        visit = fieldwork_services.check_in_visit(actor=person, customer_id=customer.pk, place="Front desk",
                                                  note="First meeting")
        fieldwork_services.check_out_visit(actor=person, visit_id=visit.pk, place="Front desk")
        fieldwork_services.submit_report(actor=person, kind="daily", period_start=timezone.localdate(),
                                         body="Met the customer.", figures={"visits": 1}, place="Office")
        return customer

    def _an_import_job(manager):
        from django.core.files.base import ContentFile
        from django.utils import timezone

        from orgdata.models import ImportJob

        job = ImportJob(created_by=manager, file_format="csv", original_name="people.csv", language="en",
                        consent_statement="Everyone was informed.", consent_confirmed_at=timezone.now(),
                        status=ImportJob.Status.REJECTED)
        job.file.save("people.csv", ContentFile("工号,姓名,手机号,部门\n".encode()), save=False)
        job.save()
        return job

    return committed(sweep_enterprise.schema_name, arrange)


def pages_to_sweep(facts) -> list[tuple[str, str]]:
    pages = []
    for route in console_routes():
        if route.name in NOT_SWEPT:
            continue
        if route.parameters:
            kwargs = INSTANCES[route.name](facts)
            pages.append((route.name, path_of(route, kwargs)))
        else:
            pages.append((route.name, path_of(route, {})))
    return pages


# "signed-out": someone not signed in, led to the sign-in page from every address.
@pytest.mark.parametrize("role", ["manager", "sub-administrator", "employee", "signed-out"])
def test_every_console_page_works_at_both_widths_in_both_languages_and_is_accessible(
        role, sweep_enterprise, arranged, live_server_port, browser):
    from axe_playwright_python.sync_playwright import Axe

    base = f"http://{sweep_enterprise.host}:{live_server_port}"
    english = english_source_strings()
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    if role in arranged["sessions"]:
        context.add_cookies([{"name": "sessionid", "value": arranged["sessions"][role], "url": base}])
    page = context.new_page()
    axe = Axe()
    problems, checked = [], set()

    def look(name, path, width, language):
        page.set_viewport_size({"width": width, "height": 900})
        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
        response = page.goto(base + path)
        where = f"{name} {path} as {role} at {width}px in {language}"
        if response is None or response.status >= 500:
            problems.append(f"{where}: server error {response and response.status}")
            return
        page.wait_for_load_state("load")
        sideways = page.evaluate(SIDEWAYS)
        if sideways > 0:
            problems.append(f"{where}: scrolls sideways by {sideways}px")
        if language == "zh-hans":
            left = sorted({text for text in page.evaluate(VISIBLE_TEXTS) if text in english})
            if left:
                problems.append(f"{where}: untranslated {left}")
        # The page reached (a refusal or a redirect lands on the same page for many addresses) is
        # checked for accessibility once per width.
        landed = (page.url.split("?")[0], width)
        if language == "en" and landed not in checked:
            checked.add(landed)
            results = axe.run(page, options={"resultTypes": ["violations"]})
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{where}: axe {violation['impact']} {violation['id']} at {targets}")

    for name, path in pages_to_sweep(arranged):
        for width in WIDTHS:
            look(name, path, width, "en")
        look(name, path, WIDTHS[1], "zh-hans")
    context.close()
    assert problems == [], "\n".join(problems)


def test_at_phone_width_the_menu_folds_sign_out_stays_in_reach_and_the_dashboard_draws_its_charts(
        sweep_enterprise, arranged, live_server_port, browser):
    base = f"http://{sweep_enterprise.host}:{live_server_port}"
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "sessionid", "value": arranged["sessions"]["manager"], "url": base}])
    page = context.new_page()
    page.goto(f"{base}/console/")

    sign_out = page.get_by_role("button", name="Sign out")
    box = sign_out.bounding_box()
    assert sign_out.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390
    organisation = page.get_by_role("link", name="Organisation")
    assert not organisation.is_visible()
    page.get_by_role("button", name="Menu").click()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    assert organisation.is_visible()

    # Each chart with numbers to draw is drawn (ECharts, SVG); its numbers are in a table too.
    headcount = page.get_by_test_id("chart-headcount")
    assert headcount.locator("svg").count() == 1
    headcount.get_by_text("Show the numbers").click()
    assert "R&D" in headcount.get_by_test_id("chart-headcount-table").inner_text()
    assert page.evaluate(SIDEWAYS) == 0

    page.goto(f"{base}/console/organisation/employees/")
    assert page.locator(".table-scroll > table[data-testid=employee-list]").count() == 1
    assert page.evaluate(SIDEWAYS) == 0
    context.close()
