"""C2: "marked as sensitive wherever it is shown". Every console page (the sweep's list of pages:
tests/console/test_every_page_browser.py) and every API response (the URL conf's /api/v1/ routes)
is walked as the manager and as the person; wherever a sensitive field of the data map
(privacy.registry, category SENSITIVE — the ID number, whereabouts) is shown, it carries the one
mark: on pages privacy.marks' `<span class="sensitive-mark">`, in the API the object's
`sensitive_fields` naming the key."""
import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from certification.models import Submission
from orgdata.models import Application, ApplicationSwitch
from privacy import masking
from privacy.marks import sensitive_html
from privacy.registry import declarations
from tests.console.test_every_page_browser import INSTANCES, NOT_SWEPT, console_routes, path_of
from tests.certification.factories import LEGAL_REPRESENTATIVE_ID, certify
from tests.consent.factories import signed_in
from tests.consent.test_gate import GPS
from tests.fieldwork.factories import make_customer
from tests.orgdata.factories import make_employee, make_tree, resident_id
from tests.policies.test_policy_versions import _api_v1_routes

VALUE_TAG = '<span class="sensitive-value">'
# Parametrised pages whose instance this test does not create: none shows a field the data map
# declares sensitive (a rights request's complaint text, an import job's report, an approval
# request's form, an incident's record).
NOT_CREATED = {"rights-console:request", "orgdata:import", "approvals-console:request", "incidents-console:incident"}


def _sensitive_fields_shown() -> set[str]:
    """The data map's sensitive fields that a surface can show (hidden ones are never shown)."""
    return {f"{declaration.model._meta.label}.{name}" for declaration in declarations()
            for name, rule in declaration.fields.items() if rule.is_sensitive and rule.mask != "hidden"}


def unmarked_on_page(page: str, shown: str, *, whole_text: bool) -> int:
    """How many times `shown` appears on `page` without the mark. `whole_text`: count only text
    nodes that are exactly `shown` (a short mask like "***" also occurs inside other masks)."""
    text = html.escape(shown, quote=False)
    if whole_text:
        return sum(1 for match in re.finditer(r"(<[^<>]*>)\s*" + re.escape(text) + r"\s*<", page)
                   if match.group(1) != VALUE_TAG)
    return sum(1 for match in re.finditer(re.escape(text), page)
               if page[max(0, match.start() - len(VALUE_TAG)):match.start()] != VALUE_TAG)


def unmarked_in_json(data, shown_values: set[str]) -> list[str]:
    """Keys of objects in `data` that hold a shown sensitive value but are not in the object's
    `sensitive_fields`."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and value in shown_values and key not in data.get("sensitive_fields", []):
                found.append(key)
            else:
                found += unmarked_in_json(value, shown_values)
    elif isinstance(data, list):
        for item in data:
            found += unmarked_in_json(item, shown_values)
    return found


def marked_in_json(data, shown_values: set[str]) -> int:
    if isinstance(data, dict):
        return sum(1 for key, value in data.items()
                   if isinstance(value, str) and value in shown_values and key in data.get("sensitive_fields", [])) \
            + sum(marked_in_json(value, shown_values) for value in data.values() if isinstance(value, (dict, list)))
    if isinstance(data, list):
        return sum(marked_in_json(item, shown_values) for item in data)
    return 0


@pytest.fixture
def shown(enterprises, django_capture_on_commit_callbacks):
    """A person with an ID number, a check-in, a field visit (checked in and out) and a report with
    a location, an enterprise certification with its legal representative's ID number, and how
    surfaces show them."""
    # The test knows how to reach each sensitive field the data map declares; a new one fails here.
    assert _sensitive_fields_shown() == {
        "orgdata.Employee.id_number", "attendance.CheckIn.location", "attendance.TrackingPing.location",
        "fieldwork.Visit.check_in_location", "fieldwork.Visit.check_out_location", "fieldwork.Report.location",
        "certification.Submission.legal_representative_id_number"}
    with schema_context(enterprises.a.schema_name):
        tree = make_tree()
        employee = make_employee(department=tree["backend"], name="敏感", id_number=resident_id(sequence=457))
        manager = User.objects.get(role=User.Role.MANAGER)
        application = Application.objects.order_by("pk").first()
        ApplicationSwitch.objects.get_or_create(application=Application.objects.get(code="field-visits"),
                                                account=employee.account, department=None,
                                                defaults={"is_enabled": True})
        customer = make_customer(actor=manager)
    certify(enterprises.a.enterprise)  # the submission lives in the public schema
    person = signed_in(enterprises.a, employee.account)
    with django_capture_on_commit_callbacks(execute=True):
        assert person.grant("device.location").status_code == 201
    assert person.check_in(location=GPS).status_code == 201
    visit = person.post("/api/v1/field/visits", {"customer": customer.pk, "location": GPS})
    assert visit.status_code == 201, visit.content
    assert person.post(f"/api/v1/field/visits/{visit.json()['id']}/check-out", {"location": GPS}).status_code == 200
    report = person.post("/api/v1/field/reports", {"kind": "daily", "body": "Visited one customer.", "location": GPS,
                                                   "period_start": timezone.localdate().isoformat()})
    assert report.status_code == 201, report.content
    return {"person": person, "employee": employee, "manager": manager,
            "facts": {"department": tree["rnd"].pk, "employee": employee.pk, "account": employee.account.pk,
                      "application": application.pk, "customer": customer.pk},
            "id_number": masking.mask_id_number(employee.id_number), "location": masking.mask_location(GPS),
            "legal_id_number": masking.mask_id_number(LEGAL_REPRESENTATIVE_ID)}


@pytest.mark.promise("C2")
def test_every_console_page_marks_each_sensitive_value_it_shows(enterprises, shown, client):
    pages, skipped = [], set()
    for route in console_routes():
        if route.name in NOT_SWEPT:
            continue
        try:
            pages.append(path_of(route, INSTANCES[route.name](shown["facts"]) if route.parameters else {}))
        except KeyError:
            skipped.add(route.name)
    assert skipped == NOT_CREATED
    client.defaults["HTTP_HOST"] = enterprises.a.host
    marked_pages = set()
    for viewer in (shown["manager"], shown["employee"].account):
        with schema_context(enterprises.a.schema_name):
            client.force_login(viewer)
        for path in pages:
            response = client.get(path)
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            page = response.content.decode()
            assert unmarked_on_page(page, shown["id_number"], whole_text=False) == 0, path
            assert unmarked_on_page(page, shown["legal_id_number"], whole_text=False) == 0, path
            assert unmarked_on_page(page, shown["location"], whole_text=True) == 0, path
            if VALUE_TAG in page:
                marked_pages.add(path)
    # The walk did reach the pages that show them: the employee's record, their edit form, the records,
    # the field-work visits and reports, the certification.
    assert {reverse("orgdata:employee", kwargs={"pk": shown["employee"].pk}),
            reverse("attendance-console:records"), reverse("fieldwork-console:visits"),
            reverse("fieldwork-console:reports"), reverse("certification-console:status")} <= marked_pages, marked_pages
    assert len(marked_pages) >= 6


@pytest.mark.promise("C2")
def test_every_api_response_names_the_sensitive_fields_it_shows(enterprises, shown):
    values = {shown["id_number"], shown["location"], shown["legal_id_number"]}
    manager = signed_in(enterprises.a, shown["manager"])
    marked, marked_paths = 0, set()
    for viewer in (manager, shown["person"]):
        for name, path, methods in _api_v1_routes():
            if "get" not in methods or name in ("api-logout", "api-logout-all"):
                continue
            path = re.sub(r"/1(?=/|$)", f"/{shown['employee'].pk}", path)
            response = viewer.get(path)
            if response.status_code != 200 or not response.get("Content-Type", "").startswith("application/json"):
                continue
            data = response.json()
            assert unmarked_in_json(data, values) == [], path
            if marked_in_json(data, values):
                marked_paths.add(path)
            marked += marked_in_json(data, values)
    assert marked >= 3  # my profile, the administrators' employee record, my check-ins
    assert {"/api/v1/field/visits", "/api/v1/field/reports"} <= marked_paths, marked_paths


@pytest.mark.promise("C2")
def test_the_certification_admin_marks_the_legal_representatives_id_number(enterprises, shown):
    """Platform support reviews a certification in the Django admin: the ID number is marked there too."""
    with schema_context("public"):
        staff = User.objects.create_user(mobile="13800009445", display_name="Support Li", password="Supp0rt-Desk!",
                                         is_staff=True, role=User.Role.PLATFORM_STAFF)
        staff.user_permissions.add(Permission.objects.get(codename="review_certification"))
        submission = Submission.objects.get(enterprise=enterprises.a.enterprise)
        support = Client(HTTP_HOST="localhost")
        support.force_login(staff)
    page = support.get(f"/admin/certification/submission/{submission.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert unmarked_on_page(body, shown["legal_id_number"], whole_text=False) == 0
    assert sensitive_html(shown["legal_id_number"]) in body


def test_the_mark_is_one_span_with_its_label_and_nothing_for_an_empty_value():
    assert sensitive_html("1101**********1234").startswith('<span class="sensitive-mark" title="Sensitive personal')
    assert '<span class="sensitive-label">Sensitive</span> <span class="sensitive-value">1101**********1234</span>' \
        in sensitive_html("1101**********1234")
    assert sensitive_html("<b>").endswith("&lt;b&gt;</span></span>") and sensitive_html("") == ""
