"""X5: "A security incident is told to each affected individual (type, cause, possible harm, measures
taken, advice, remedies, contact) by in-app message, e-mail, SMS or phone; a public announcement when
individuals cannot be reached; a report to the regulator. Children's incidents also reach guardians."

The manager opens an incident in the console, platform staff in the Django admin; the work after
opening is the Celery task (run in-process here, as the worker runs it), moved through its retries
by travelling in time. The SMS provider is the only thing stood in for (tests/incidents/gateway.py).
"""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from accounts.models import SmsOutboxMessage, User
from audit.models import AuditEntry
from consent.services import guardians
from incidents import services, tasks
from incidents.models import AffectedEnterprise, AffectedPerson, Delivery, Incident, PublicAnnouncement
from orgdata.validators import resident_id_check_character
from rights.models import InboxMessage
from tests.incidents import gateway
from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (fixtures)
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

FORM = {"kind": "leakage", "title": "员工通讯录泄露", "occurred_on": "", "cause": "一台备份服务器被错误地公开访问。",
        "possible_harm": "手机号和电子邮箱可能被用于诈骗电话和垃圾邮件。", "measures_taken": "已关闭公开访问并轮换密钥。",
        "advice": "请警惕自称本公司的来电，不要透露验证码。", "remedies": "公司承担因此产生的损失。",
        "contact": "安全办公室 021-12345678"}


@pytest.fixture
def flaky_sms(settings):
    settings.SMS_BACKEND = "tests.incidents.gateway.FlakyProvider"
    settings.INCIDENT_RETRY_MINUTES = [1, 5, 30]
    yield gateway.FAILING
    gateway.FAILING.clear()


def _born(years: int, *, days_later: int = 0) -> date:
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = date(today.year - years, 3, 1)
    return birthday + timedelta(days=days_later)


def _run_until_told(incident_id: int, *, rounds: int = 6) -> Incident:
    """The task, as the worker and the periodic job run it, until the incident is told; each round
    after the first is 31 minutes later (past every retry's wait)."""
    start = timezone.now()
    for round_number in range(rounds):
        with time_machine.travel(start + timedelta(minutes=31 * round_number), tick=True):
            if tasks.continue_incident.apply(args=[incident_id]).get() == Incident.Status.TOLD:
                break
    return Incident.objects.get(pk=incident_id)


def _open_in_console(console, **fields) -> Incident:
    response = console.post("/console/incidents/new/", {**FORM, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Incident.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


@pytest.fixture
def told(in_a, manager, console_as, flaky_sms):
    """An incident about the back-end department, told: one person with e-mail and mobile, one whose
    every text message fails and who has no e-mail, and a 17-year-old whose guardian is known."""
    tree = make_tree()
    reachable = make_employee(department=tree["backend"], name="赵一", email="zhao@example.com")
    unreachable = make_employee(department=tree["backend"], name="钱二", mobile="13900007777")
    teen = make_employee(department=tree["backend"], name="孙少", date_of_birth=_born(18, days_later=30))
    guardians.record_guardian_consent(actor=manager, person=teen.account, guardian_name="孙父", relationship="parent",
                                      contact="13800003333", evidence="household register")
    outside = make_employee(department=tree["east"], name="李外")
    flaky_sms.add("13900007777")
    incident = _open_in_console(console_as(manager), audience="departments", departments=[tree["backend"].pk])
    return {"incident": _run_until_told(incident.pk), "reachable": reachable, "unreachable": unreachable,
            "teen": teen, "outside": outside, "console": console_as(manager)}


@pytest.mark.promise("X5")
def test_the_manager_opens_an_incident_and_each_affected_person_is_told_in_the_app_by_email_and_sms(told, api_as):
    incident, reachable, teen = told["incident"], told["reachable"], told["teen"]
    # What the person reads in the app's inbox.
    [read] = [m for m in api_as(reachable.account).get("/api/v1/rights/inbox").json() if m["topic"] == "incident"]
    assert read["subject_line"] == "Personal information security incident: 员工通讯录泄露"
    assert FORM["advice"] in read["body"] and FORM["contact"] in read["body"]
    assert incident.status == Incident.Status.TOLD
    affected = set(incident.affected.values_list("person_id", flat=True))
    assert affected == {reachable.account_id, told["unreachable"].account_id, teen.account_id}

    for employee in (reachable, told["unreachable"], teen):
        message = InboxMessage.objects.get(person=employee.account, topic=InboxMessage.Topic.INCIDENT)
        assert message.subject_line == "Personal information security incident: 员工通讯录泄露"
        for item in ("Type: Leakage", FORM["cause"], FORM["possible_harm"], FORM["measures_taken"], FORM["advice"],
                     FORM["remedies"], FORM["contact"]):
            assert item in message.body
    assert not InboxMessage.objects.filter(person=told["outside"].account, topic=InboxMessage.Topic.INCIDENT).exists()
    assert [m.to for m in mail.outbox] == [["zhao@example.com"]] and FORM["advice"] in mail.outbox[0].body
    texts = SmsOutboxMessage.objects.filter(message_kind="incident_notice", person_id__in=affected)
    assert {m.person_id for m in texts} == {reachable.account_id, teen.account_id}
    assert "员工通讯录泄露" in texts.get(person=reachable.account).body

    page = told["console"].get(f"/console/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="affected">3<' in page and 'data-testid="reached">2<' in page
    assert AuditEntry.objects.filter(action="incident_opened", object_id=str(incident.pk),
                                     actor=f"user:{incident.opened_by_id}").exists()
    deliveries = [str(pk) for pk in Delivery.objects.filter(affected__incident=incident).values_list("pk", flat=True)]
    assert AuditEntry.objects.filter(action="incident_notice_sent", actor="system:incident_work",
                                     object_id__in=deliveries).count() == 4
    assert AuditEntry.objects.filter(action="incident_counted", object_id=str(incident.pk)).exists()


@pytest.mark.promise("X5")
def test_a_text_message_that_keeps_failing_is_retried_then_its_person_is_counted_unreachable_and_announced(
        told, platform_client):
    incident, unreachable = told["incident"], told["unreachable"]
    failed = Delivery.objects.get(affected__person=unreachable.account, channel=Delivery.Channel.SMS)
    # The first try and one retry after each wait (1, 5, 30 minutes), then failed for good.
    assert (failed.status, failed.attempts, failed.failure) == (Delivery.Status.FAILED, 4, "SmsNotSent")
    assert AuditEntry.objects.filter(action="incident_notice_failed", object_id=str(failed.pk)).count() == 4
    assert not AffectedPerson.objects.get(incident=incident, person=unreachable.account).is_reached
    assert (incident.reached_count, incident.unreachable_count) == (2, 1)
    assert incident.announced_at is not None

    public = platform_client.get("/incidents/")
    assert public.status_code == 200
    page = public.content.decode()
    assert "员工通讯录泄露" in page and FORM["advice"] in page and FORM["contact"] in page
    assert 'data-testid="unreachable">1<' in told["console"].get(f"/console/incidents/{incident.pk}/").content.decode()


@pytest.mark.promise("X5")
def test_nobody_unreachable_means_no_public_announcement(in_a, manager, console_as, flaky_sms):
    tree = make_tree()
    make_employee(department=tree["backend"], name="周全")
    incident = _run_until_told(_open_in_console(console_as(manager), audience="departments",
                                                departments=[tree["backend"].pk]).pk)
    assert (incident.affected_count, incident.unreachable_count, incident.announced_at) == (1, 0, None)
    with schema_context("public"):
        assert not PublicAnnouncement.objects.filter(title=FORM["title"]).exists()


@pytest.mark.promise("X5")
def test_a_minors_guardian_is_told_too(told):
    teen = told["teen"]
    assert AffectedPerson.objects.get(incident=told["incident"], person=teen.account).is_minor
    guardian_text = SmsOutboxMessage.objects.get(message_kind="incident_guardian_notice")
    assert guardian_text.mobile == "13800003333" and guardian_text.person_id == teen.account_id
    assert "孙少" in guardian_text.body and "员工通讯录泄露" in guardian_text.body
    delivery = Delivery.objects.get(affected__person=teen.account, recipient=Delivery.Recipient.GUARDIAN)
    assert (delivery.channel, delivery.status) == (Delivery.Channel.SMS, Delivery.Status.SENT)
    assert told["incident"].guardians_told == 1


@pytest.mark.promise("X5")
def test_the_regulator_report_is_a_pdf_in_chinese_with_its_font_embedded_downloaded_and_audited(told, manager):
    incident = told["incident"]
    page = told["console"].get(f"/console/incidents/{incident.pk}/").content.decode()
    assert f'href="/console/incidents/{incident.pk}/report.pdf"' in page
    response = told["console"].get(f"/console/incidents/{incident.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())  # lines break between characters; the text itself is whole
    for value in (FORM["title"], FORM["cause"], FORM["possible_harm"], FORM["measures_taken"], FORM["advice"],
                  FORM["remedies"], FORM["contact"], incident.reference):
        assert "".join(value.split()) in compact
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert [font["/BaseFont"].split("+", 1)[1] for font in fonts] == ["WenQuanYiMicroHei"]
    descriptor = fonts[0]["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    assert "/FontFile2" in descriptor  # the subset is embedded: the reader needs no font of its own
    assert AuditEntry.objects.filter(action="incident_report_downloaded", object_id=str(incident.pk),
                                     actor=f"user:{manager.pk}").exists()


def _resident_id(first_17: str) -> str:
    return first_17 + resident_id_check_character(first_17)


@pytest.mark.promise("X5")
def test_everyone_whose_data_of_a_category_was_in_a_table_is_found_through_the_data_map(in_a, manager, console_as,
                                                                                         flaky_sms):
    with_id = make_employee(name="吴证", id_number=_resident_id("11010519900307123"))
    without_id = make_employee(name="郑无")
    console = console_as(manager)
    form = console.get("/console/incidents/new/").content.decode()
    assert 'value="orgdata_employee"' in form

    sensitive = _open_in_console(console, audience="data", data_category="sensitive", data_table="orgdata_employee")
    assert services.resolve_affected(actor=services.INCIDENT_WORK, incident=sensitive) >= 1
    found = set(sensitive.affected.values_list("person_id", flat=True))
    assert with_id.account_id in found and without_id.account_id not in found

    basic = _open_in_console(console, audience="data", data_category="basic", data_table="orgdata_employee")
    services.resolve_affected(actor=services.INCIDENT_WORK, incident=basic)
    assert {with_id.account_id, without_id.account_id} <= set(basic.affected.values_list("person_id", flat=True))

    # A category the table does not hold, or a table that is not about people: refused, naming the field.
    refused = console.post("/console/incidents/new/", {**FORM, "audience": "data", "data_category": "sensitive",
                                                       "data_table": "rights_inboxmessage"})
    assert refused.status_code == 400 and "data_category" in refused.context["form"].errors


@pytest.mark.promise("X5")
def test_opening_is_the_managers_and_refuses_what_is_missing(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    assert console_as(deputy).get("/console/incidents/new/").status_code == 403
    assert console_as(deputy).post("/console/incidents/new/", {**FORM, "audience": "enterprise"}).status_code == 403

    console = console_as(manager)
    before = Incident.objects.count()
    missing = console.post("/console/incidents/new/", {"kind": "leakage", "audience": "list", "people": "X-404"})
    assert missing.status_code == 400
    assert {"title", "cause", "possible_harm", "measures_taken", "advice", "remedies", "contact",
            "people"} <= set(missing.context["form"].errors)
    no_departments = console.post("/console/incidents/new/", {**FORM, "audience": "departments"})
    assert no_departments.status_code == 400 and "departments" in no_departments.context["form"].errors
    nobody = console.post("/console/incidents/new/", {**FORM, "audience": "list", "people": ""})
    assert nobody.status_code == 400 and "people" in nobody.context["form"].errors
    assert Incident.objects.count() == before


@pytest.mark.promise("X5")
def test_a_list_of_people_is_told_and_the_incident_resumes_where_it_stopped(in_a, manager, console_as, flaky_sms):
    listed = make_employee(name="王列", employee_number="INC-LIST-1")
    make_employee(name="王外", employee_number="INC-LIST-2")
    incident = _open_in_console(console_as(manager), audience="list", people="INC-LIST-1")
    assert list(incident.affected.values_list("person_id", flat=True)) == [listed.account_id]
    # A worker lost after planning: running again sends nothing twice.
    services.resolve_affected(actor=services.INCIDENT_WORK, incident=incident)
    services.plan_deliveries(actor=services.INCIDENT_WORK, incident=incident)
    assert services.plan_deliveries(actor=services.INCIDENT_WORK, incident=incident) == 0
    assert tasks.continue_incidents.apply().get() >= 1
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TOLD and incident.affected_count == 1
    assert InboxMessage.objects.filter(person=listed.account, topic=InboxMessage.Topic.INCIDENT).count() == 1
    assert SmsOutboxMessage.objects.filter(person=listed.account, message_kind="incident_notice").count() == 1


@pytest.fixture
def staff_admin(enterprises, client, settings):
    connection.set_schema_to_public()
    staff = User.objects.create_user(mobile="13800006677", display_name="Incident desk", password="Inc1dent-Desk!",
                                     is_staff=True, role=User.Role.PLATFORM_STAFF)
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(staff)
    return client, staff


@pytest.mark.promise("X5")
def test_platform_staff_open_an_incident_for_chosen_enterprises_and_each_tells_its_people(
        enterprises, staff_admin, flaky_sms, django_capture_on_commit_callbacks):
    client, staff = staff_admin
    with schema_context(enterprises.a.schema_name):
        person = make_employee(name="冯平", email="feng@example.com")
    refused = client.post("/admin/incidents/incident/add/", {**FORM, "audience": "data", "data_category": "sensitive",
                                                             "data_table": "rights_inboxmessage",
                                                             "enterprises": [enterprises.a.enterprise.pk]})
    assert refused.status_code == 200 and "data_category" in refused.context["adminform"].form.errors
    with django_capture_on_commit_callbacks(execute=False) as queued:
        added = client.post("/admin/incidents/incident/add/", {**FORM, "audience": "enterprise",
                                                               "enterprises": [enterprises.a.enterprise.pk]})
    assert added.status_code == 302, added.content.decode()[:3000]
    platform_incident = Incident.objects.get(title=FORM["title"])
    assert list(platform_incident.enterprises.values_list("schema", flat=True)) == [enterprises.a.schema_name]
    assert len(queued) == 1 and platform_incident.opened_by == staff

    with schema_context(enterprises.a.schema_name):
        copy_id = tasks.open_platform_incident_copy.apply(args=[platform_incident.reference]).get()
        copy = _run_until_told(copy_id)
        assert copy.platform_reference == platform_incident.reference
        assert person.account_id in set(copy.affected.values_list("person_id", flat=True))
        assert copy.unreachable_count == 0 and copy.report_file
    platform_incident.refresh_from_db()
    row = AffectedEnterprise.objects.get(incident=platform_incident)
    assert (row.affected_count, row.unreachable_count) == (copy.affected_count, 0) and row.told_at
    assert platform_incident.status == Incident.Status.TOLD and platform_incident.report_file
    detail = client.get(f"/admin/incidents/incident/{platform_incident.pk}/change/").content.decode()
    assert "Download (PDF)" in detail
    report = client.get(f"/admin/incidents/incident/{platform_incident.pk}/report.pdf")
    assert report.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(report.streaming_content))).pages)
    assert "Alpha Test Co" in text and FORM["title"] in "".join(text.split())
    assert platform_incident.timeline.filter(step="report_downloaded", actor_label=f"platform-staff:{staff.pk}").exists()


def test_no_line_of_the_report_begins_with_closing_punctuation():
    """Chinese line breaking (kinsoku): a comma or full stop that falls at a line's start hangs at the
    end of the line before. The text is built so that plain character wrapping puts some there."""
    from fpdf import FPDF
    from fpdf.enums import MethodReturnValue, WrapMode

    from incidents import report

    text = ("数据" * 24 + "，") * 10  # a line holds 48 of these characters: the first comma starts line 2
    probe = FPDF(format="A4")
    probe.add_font(report.FONT_NAME, fname=report.font_path(), collection_font_number=0)
    probe.add_page()
    probe.set_font(report.FONT_NAME, size=11)
    plain = probe.multi_cell(0, 6.5, text, wrapmode=WrapMode.CHAR, dry_run=True, output=MethodReturnValue.LINES)
    assert any(line[0] in report.NO_LINE_START for line in plain[1:]), "the text must put punctuation at a line start"

    incident = Incident(reference="INC-TYPESET", kind=Incident.Kind.LOSS, title="排版", cause=text, possible_harm="无",
                        measures_taken="无", advice="无", remedies="无", contact="无", opened_at=timezone.now())
    pdf = PdfReader(io.BytesIO(report.render(incident, enterprise_title="排版测试", timeline=[], enterprises=[])))
    lines = [line for page in pdf.pages for line in page.extract_text().splitlines() if line]
    assert "".join(lines).count("，") == text.count("，")
    assert [line for line in lines if line[0] in report.NO_LINE_START] == []
