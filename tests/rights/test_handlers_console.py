"""Issue 13: whoever handles rights requests sees, on every console page, how many are due within 2
working days or overdue, and reads the messages escalations and complaints send them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from rights import selectors, tasks
from rights.models import InboxMessage, RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import make_sub_administrator, make_tree
from tests.rights.requesting import employee_signed_in, submit


@pytest.mark.promise("R8")
def test_every_console_page_shows_the_handler_the_requests_due_soon_and_links_to_them(enterprises, console_as, manager):
    person = employee_signed_in(enterprises, name="快到期")
    due_soon = submit(person, "automated_decision", {"action": "explain", "decision": "bonus"}).json()["id"]
    later = submit(person, "complaint", {"text": "Not urgent."}).json()["id"]
    with schema_context(enterprises.a.schema_name):
        RightsRequest.objects.filter(pk=due_soon).update(due_on=timezone.localdate() - timedelta(days=1))
        RightsRequest.objects.filter(pk=later).update(due_on=timezone.localdate() + timedelta(days=30))
        deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager, name="无权")
    console = console_as(manager)

    for page in ("/console/", "/console/organisation/employees/", "/console/rights/messages/"):
        shown = console.get(page, follow=True).content.decode()
        assert 'data-testid="rights-due-banner"' in shown and "1 rights request is due" in shown, page
    filtered = console.get("/console/rights/?due=soon").content.decode()
    assert f">{due_soon}<" in filtered and f">{later}<" not in filtered
    assert 'data-testid="rights-due-banner"' not in console_as(deputy).get("/console/", follow=True).content.decode()


def test_the_banner_is_one_count(in_a, manager):
    with CaptureQueriesContext(connection) as queries:
        selectors.due_soon_count(manager)
    assert len(queries) == 1 and "COUNT(" in queries[0]["sql"] and "COALESCE" in queries[0]["sql"]
    # The partial index answers it (the planner is told not to prefer a scan of this small table).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + queries[0]["sql"])
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "rights_request_open_watched" in plan, plan


@pytest.mark.promise("R8")
def test_the_handler_reads_escalations_in_the_console_and_marks_them_read(enterprises, console_as, manager):
    person = employee_signed_in(enterprises, name="升级")
    request_id = submit(person, "automated_decision", {"action": "object", "decision": "shift"}).json()["id"]
    with schema_context(enterprises.a.schema_name):
        RightsRequest.objects.filter(pk=request_id).update(due_on=timezone.localdate())
        assert tasks.watch_deadlines.apply().get()["escalated"] == 1
        message = InboxMessage.objects.get(person=manager, request_id=request_id)
        someone_elses = InboxMessage.objects.filter(person=person.user).first()
    console = console_as(manager)

    page = console.get("/console/rights/messages/").content.decode()
    assert message.subject_line in page and 'data-testid="mark-read"' in page
    assert console.post(f"/console/rights/messages/{message.pk}/read/").status_code == 302
    assert console.post(f"/console/rights/messages/{someone_elses.pk}/read/").status_code == 404
    with schema_context(enterprises.a.schema_name):
        message.refresh_from_db()
        someone_elses.refresh_from_db()
        assert message.read_at is not None and someone_elses.read_at is None
