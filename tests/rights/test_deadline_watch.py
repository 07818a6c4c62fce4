"""Issue 13 review: the periodic deadline job (rights.tasks.watch_deadlines, as celery beat runs it)
escalates a request near its date and again once it is past it ("near or past", R8/R10), quotes the
date that is watched (R5: an account cancellation's erasure date), and recounts dates counted
without the official calendar once the calendar covers their year."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from chinese_calendar import constants as calendar_data
from django_tenants.utils import schema_context

from rights import deadlines, tasks
from rights.models import InboxMessage, RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.rights.requesting import employee_signed_in, inbox_of, submit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def _escalations(manager, request_id) -> list[str]:
    # (The complaint's own notice to its handler is not an escalation.)
    return list(InboxMessage.objects.filter(person=manager, request_id=request_id,
                                            subject_line__startswith="A rights request").order_by("id")
                .values_list("subject_line", flat=True))


@pytest.mark.promise("R10")
def test_a_request_escalated_near_its_date_is_escalated_again_once_overdue(enterprises, manager):
    person = employee_signed_in(enterprises, name="再催")
    submitted = date(2026, 11, 2)
    with time_machine.travel(_at(submitted), tick=True):
        request_id = submit(person, "complaint", {"text": "Still no answer."}).json()["id"]
    with schema_context(enterprises.a.schema_name):
        due_on = RightsRequest.objects.get(pk=request_id).due_on
        with time_machine.travel(_at(due_on - timedelta(days=1)), tick=True):
            tasks.watch_deadlines.apply().get()
            tasks.watch_deadlines.apply().get()
        assert RightsRequest.objects.get(pk=request_id).escalation_level == "near"
        assert _escalations(manager, request_id) == [f"A rights request is due on {due_on.isoformat()}"]

        with time_machine.travel(_at(due_on + timedelta(days=1)), tick=True):
            tasks.watch_deadlines.apply().get()
            tasks.watch_deadlines.apply().get()

        request = RightsRequest.objects.get(pk=request_id)
        assert request.escalation_level == "overdue"
        assert _escalations(manager, request_id) == [f"A rights request is due on {due_on.isoformat()}",
                                                     f"A rights request is overdue since {due_on.isoformat()}"]
        assert [event.event for event in request.events.all()][-2:] == ["escalated", "escalated_overdue"]


@pytest.mark.promise("R5")
def test_an_account_cancellation_is_escalated_quoting_its_erasure_date(enterprises, manager):
    person = employee_signed_in(enterprises, name="注销催")
    with time_machine.travel(_at(date(2026, 11, 2)), tick=True):
        body = submit(person, "account_cancellation", {"irreversible_acknowledged": True}).json()
    erase_by = date.fromisoformat(body["erase_by"])
    assert erase_by != date.fromisoformat(body["due_on"])
    with schema_context(enterprises.a.schema_name):
        with time_machine.travel(_at(erase_by), tick=True):
            tasks.watch_deadlines.apply().get()
        message = InboxMessage.objects.get(person=manager, request_id=body["id"])
    assert message.subject_line == f"A rights request is due on {erase_by.isoformat()}"
    assert erase_by.isoformat() in message.body and body["due_on"] not in message.body


@pytest.mark.promise("R10")
def test_dates_counted_without_the_official_calendar_are_recounted_once_it_covers_the_year(
        enterprises, caplog, monkeypatch):
    person = employee_signed_in(enterprises, name="明年")
    submitted = date(2026, 12, 21)  # 15 working days reach into 2027, which chinese-calendar 1.11.0 does not know
    assert not deadlines.calendar_covers(date(2027, 1, 4))
    with caplog.at_level(logging.WARNING, logger="rights.deadlines"), time_machine.travel(_at(submitted), tick=True):
        body = submit(person, "complaint", {"text": "Over the new year."}).json()
    warnings = [record.getMessage() for record in caplog.records if record.name == "rights.deadlines"]
    assert warnings and "2027" in warnings[0] and "明年" not in warnings[0] and person.user.mobile not in warnings[0]
    with schema_context(enterprises.a.schema_name):
        assert RightsRequest.objects.get(pk=body["id"]).dates_estimated
        with time_machine.travel(_at(submitted + timedelta(days=1)), tick=True):
            assert tasks.watch_deadlines.apply().get()["recounted"] == 0  # still not covered: left as counted

        # The calendar's next release publishes 2027 (New Year's Day, a Friday, off).
        monkeypatch.setitem(calendar_data.holidays, date(2027, 1, 1), chinese_calendar.Holiday.new_years_day.value)
        assert deadlines.calendar_covers(date(2027, 1, 4))
        with time_machine.travel(_at(submitted + timedelta(days=2)), tick=True):
            assert tasks.watch_deadlines.apply().get()["recounted"] == 1
        request = RightsRequest.objects.get(pk=body["id"])

    assert not request.dates_estimated
    assert request.due_on == deadlines.working_days_after(submitted, deadlines.COMPLAINT_WORKING_DAYS)
    assert request.due_on == date.fromisoformat(body["due_on"]) + timedelta(days=1)  # 1 January no longer counted
    assert any(f"now published: your request is due by {request.due_on.isoformat()}" in text for text in inbox_of(person))
