"""Issue 16, C13: announcements reach people as an inbox item, a push and an e-mail; every channel can be
left from the message itself (the inbox item, the e-mail's one-click link) and from settings, at
once; personalisation by department can be switched off and then changes nothing but is gone.
E6: the announcements application switch."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from announcements import services as announcement_services
from announcements import tasks as announcement_tasks
from announcements.models import Channel, Delivery, PushOutboxMessage
from orgdata.models import Application
from orgdata.services import applications
from rights.models import InboxMessage
from tests.announcements.push_backends import RefusingBackend
from tests.consent.factories import Person, signed_in
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


@dataclass
class Audience:
    reader: Person
    colleague: Person
    elsewhere: Person
    manager: User
    tree: dict
    channel: Channel


@pytest.fixture
def audience(enterprises) -> Audience:
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        tree = make_tree()
        reader = make_employee(department=tree["backend"], name="卫一", email="wei.yi@example.com").account
        colleague = make_employee(department=tree["frontend"], name="蒋二", email="jiang.er@example.com").account
        elsewhere = make_employee(department=tree["east"], name="沈三").account
        channel = Channel.objects.get(name="Company notices")
    sign = lambda account: signed_in(enterprises.a, account, with_attendance=False)  # noqa: E731
    return Audience(sign(reader), sign(colleague), sign(elsewhere), manager, tree, channel)


def _send(enterprise, audience: Audience, capture, *, title: str, to: list[str] = (), everyone: bool = False):
    with schema_context(enterprise.schema_name), capture(execute=True):
        return announcement_services.send_announcement(
            actor=audience.manager, channel=audience.channel, title=title, body=f"{title}: details inside.",
            departments=[audience.tree[name] for name in to], is_for_everyone=everyone)


def _received(enterprise, person: Person, title: str) -> dict:
    """What one send left for one person: inbox items, pushes, e-mails."""
    with schema_context(enterprise.schema_name):
        return {"inbox": InboxMessage.objects.filter(person=person.user, topic="announcement",
                                                     subject_line=title).count(),
                "push": PushOutboxMessage.objects.filter(person=person.user, title=title).count(),
                "email": sum(1 for message in mail.outbox
                             if message.subject == title and person.user.employee.email in message.to)}


@pytest.mark.promise("C13")
def test_leaving_from_the_inbox_item_stops_the_very_next_send(enterprises, audience,
                                                            django_capture_on_commit_callbacks):
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Lunch moved", to=["rnd"])
    assert _received(enterprises.a, audience.reader, "Lunch moved") == {"inbox": 1, "push": 1, "email": 1}
    assert _received(enterprises.a, audience.elsewhere, "Lunch moved") == {"inbox": 0, "push": 0, "email": 0}
    item = next(item for item in audience.reader.get("/api/v1/announcements").json() if item["title"] == "Lunch moved")

    left = audience.reader.post(f"/api/v1/announcements/inbox/{item['inbox_message']}/leave-channel")
    assert left.status_code == 200
    assert {c["name"]: c["is_subscribed"] for c in left.json()["channels"]}["Company notices"] is False
    # Someone else's inbox item is not theirs to act on.
    assert audience.colleague.post(f"/api/v1/announcements/inbox/{item['inbox_message']}/leave-channel"
                                   ).status_code == 404

    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Lunch moved again", to=["rnd"])
    assert _received(enterprises.a, audience.reader, "Lunch moved again") == {"inbox": 0, "push": 0, "email": 0}
    assert _received(enterprises.a, audience.colleague, "Lunch moved again") == {"inbox": 1, "push": 1, "email": 1}


@pytest.mark.promise("C13")
def test_the_emails_one_click_link_leaves_the_channel(enterprises, audience, django_capture_on_commit_callbacks,
                                                     client):
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Fire drill", everyone=True)
    email = next(m for m in mail.outbox if m.subject == "Fire drill" and "wei.yi@example.com" in m.to)
    link = re.search(r"https://\S+/unsubscribe/\S+", email.body).group(0)
    assert email.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    client.defaults["HTTP_HOST"] = enterprises.a.host
    path = urlsplit(link).path

    shown = client.get(path)  # a link scanner's visit leaves nobody
    assert shown.status_code == 200 and 'data-testid="leave-channel"' in shown.content.decode()
    forged = client.post(path[:-3] + "xyz")
    assert forged.status_code == 404
    assert client.post(path).status_code == 200  # the mail program's one-click POST, no sign-in

    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Fire drill 2", everyone=True)
    assert _received(enterprises.a, audience.reader, "Fire drill 2") == {"inbox": 0, "push": 0, "email": 0}
    assert _received(enterprises.a, audience.colleague, "Fire drill 2")["inbox"] == 1


@pytest.mark.promise("C13")
def test_settings_leave_and_join_a_channel_again_at_once(enterprises, audience, django_capture_on_commit_callbacks):
    settings = audience.reader.get("/api/v1/announcements/settings").json()
    assert settings["is_personalised"] is True and all(c["is_subscribed"] for c in settings["channels"])
    channel_id = audience.channel.pk
    left = audience.reader.client.put("/api/v1/announcements/settings",
                                      {"channels": [{"id": channel_id, "is_subscribed": False}]}, format="json")
    assert left.status_code == 200
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Quarterly results", everyone=True)
    assert _received(enterprises.a, audience.reader, "Quarterly results")["inbox"] == 0

    audience.reader.client.put("/api/v1/announcements/settings",
                               {"channels": [{"id": channel_id, "is_subscribed": True}]}, format="json")
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Quarterly results, corrected",
          everyone=True)
    assert _received(enterprises.a, audience.reader, "Quarterly results, corrected")["inbox"] == 1


@pytest.mark.promise("C13")
def test_switching_personalisation_off_orders_and_pushes_as_for_everyone(enterprises, audience,
                                                                        django_capture_on_commit_callbacks):
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Back end release freeze",
          to=["backend"])
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Office closed Monday", everyone=True)
    titles = lambda: [item["title"] for item in audience.reader.get("/api/v1/announcements").json()]  # noqa: E731
    # Personalised (the default): what is addressed to their own department first, and a heads-up push.
    assert titles() == ["Back end release freeze", "Office closed Monday"]
    with schema_context(enterprises.a.schema_name):
        pushes = dict(PushOutboxMessage.objects.filter(person=audience.reader.user).values_list("title", "priority"))
    assert pushes == {"Back end release freeze": "high", "Office closed Monday": "normal"}

    answer = audience.reader.client.put("/api/v1/announcements/settings", {"is_personalised": False}, format="json")
    assert answer.status_code == 200 and answer.json()["is_personalised"] is False
    # Not based on personal characteristics: plain time order, the same for everyone, and no push
    # singled out by their department.
    assert titles() == ["Office closed Monday", "Back end release freeze"]
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Back end retro", to=["backend"])
    with schema_context(enterprises.a.schema_name):
        assert PushOutboxMessage.objects.get(person=audience.reader.user, title="Back end retro").priority == "normal"
    # Who receives it is unchanged: the sender's choice of departments.
    assert _received(enterprises.a, audience.reader, "Back end retro")["inbox"] == 1


def test_reading_marks_the_announcement_and_its_inbox_item(enterprises, audience, django_capture_on_commit_callbacks):
    announcement = _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Parking", to=["rnd"])
    read = audience.reader.post(f"/api/v1/announcements/{announcement.pk}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    with schema_context(enterprises.a.schema_name):
        delivery = Delivery.objects.get(announcement=announcement, person=audience.reader.user)
        assert delivery.inbox_message.read_at == delivery.read_at
    assert audience.elsewhere.post(f"/api/v1/announcements/{announcement.pk}/read").status_code == 404


def test_a_sub_administrator_announces_only_to_their_departments(enterprises, audience, client):
    with schema_context(enterprises.a.schema_name):
        deputy = make_sub_administrator(departments=[audience.tree["sales"]], manager=audience.manager, name="韩四")
        client.force_login(deputy)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    form = {"channel": audience.channel.pk, "title": "Sales kick-off", "body": "Monday 9:00."}
    page = client.get("/console/announcements/").content.decode()
    assert "Send to everyone" not in page and "East" in page and "Back end" not in page
    outside = client.post("/console/announcements/", {**form, "departments": [audience.tree["backend"].pk]})
    assert outside.status_code == 400  # not one of the choices they have
    assert client.post("/console/announcements/", {**form, "departments": [audience.tree["east"].pk]}
                       ).status_code == 302
    assert _received(enterprises.a, audience.elsewhere, "Sales kick-off")["inbox"] == 1
    assert _received(enterprises.a, audience.reader, "Sales kick-off")["inbox"] == 0
    with schema_context(enterprises.a.schema_name), pytest.raises(Exception) as refused:
        announcement_services.send_announcement(actor=deputy, channel=audience.channel, title="All hands",
                                                body="Everyone.", is_for_everyone=True)
    assert getattr(refused.value, "code", "") == "not_permitted"


@pytest.mark.promise("E6")
def test_the_announcements_application_switched_off_receives_nothing(enterprises, audience,
                                                                     django_capture_on_commit_callbacks):
    with schema_context(enterprises.a.schema_name):
        applications.switch_application(actor=audience.manager, enabled=False, person=audience.reader.user,
                                        application=Application.objects.get(code="announcements"))
    for path in ("/api/v1/announcements", "/api/v1/announcements/settings"):
        response = audience.reader.get(path)
        assert response.status_code == 403 and response.json()["code"] == "application_not_authorised"
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Holiday schedule", everyone=True)
    assert _received(enterprises.a, audience.reader, "Holiday schedule") == {"inbox": 0, "push": 0, "email": 0}
    assert _received(enterprises.a, audience.colleague, "Holiday schedule")["inbox"] == 1


@pytest.mark.promise("C13")
def test_a_large_audience_is_delivered_by_the_worker_in_batches_skipping_who_left(
        enterprises, audience, django_capture_on_commit_callbacks, settings):
    settings.ANNOUNCEMENT_INLINE_RECIPIENTS = 1
    audience.colleague.client.put("/api/v1/announcements/settings",
                                  {"channels": [{"id": audience.channel.pk, "is_subscribed": False}]}, format="json")
    with schema_context(enterprises.a.schema_name), django_capture_on_commit_callbacks(execute=False) as queued:
        announcement = announcement_services.send_announcement(
            actor=audience.manager, channel=audience.channel, title="Town hall", body="Thursday.",
            is_for_everyone=True)
    assert len(queued) == 1  # the task is sent when the sender's transaction commits; nothing delivered yet
    with schema_context(enterprises.a.schema_name):
        assert not Delivery.objects.filter(announcement=announcement).exists()
        # What the task runs (announcements.tasks.deliver_announcement), in batches of 2; twice
        # changes nothing (a worker killed mid-way is run again).
        first = announcement_services.deliver_announcement(actor=announcement_services.ANNOUNCEMENT_DELIVERY,
                                                           announcement=announcement, batch_size=2)
        again = announcement_services.deliver_announcement(actor=announcement_services.ANNOUNCEMENT_DELIVERY,
                                                           announcement=announcement, batch_size=2)
        announcement.refresh_from_db()
        assert first == announcement.recipient_count >= 2 and again == 0
    assert _received(enterprises.a, audience.reader, "Town hall")["inbox"] == 1
    assert _received(enterprises.a, audience.elsewhere, "Town hall")["inbox"] == 1
    assert _received(enterprises.a, audience.colleague, "Town hall")["inbox"] == 0


@pytest.fixture
def refusing_push(settings):
    settings.PUSH_BACKEND = "tests.announcements.push_backends.RefusingBackend"
    yield RefusingBackend.refused
    RefusingBackend.refused.clear()


@pytest.mark.promise("C13")
def test_a_refused_push_keeps_everyones_delivery_and_is_retried_for_that_person_alone(
        enterprises, audience, django_capture_on_commit_callbacks, refusing_push):
    refusing_push.add(audience.colleague.user.pk)
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Badge renewal", to=["rnd"])
    # The vendor's refusal undid nothing: everyone has the inbox item and the e-mail.
    assert _received(enterprises.a, audience.reader, "Badge renewal") == {"inbox": 1, "push": 1, "email": 1}
    assert _received(enterprises.a, audience.colleague, "Badge renewal") == {"inbox": 1, "push": 0, "email": 1}
    with schema_context(enterprises.a.schema_name):
        refused = Delivery.objects.get(announcement__title="Badge renewal", person=audience.colleague.user)
        assert (refused.push_status, refused.push_attempts) == (Delivery.PushStatus.FAILED, 1)
        start = timezone.now()
        # Not due yet: nothing is pushed again.
        announcement_tasks.retry_due_pushes.apply().get()
    assert _received(enterprises.a, audience.colleague, "Badge renewal")["push"] == 0

    # Refused again when due, then the vendor takes it: the refused person gets it once, nobody twice.
    for minutes, still_refused in ((2, True), (10, False), (60, False)):
        if not still_refused:
            refusing_push.clear()
        with schema_context(enterprises.a.schema_name), time_machine.travel(start + timedelta(minutes=minutes)):
            announcement_tasks.retry_due_pushes.apply().get()
    assert _received(enterprises.a, audience.reader, "Badge renewal")["push"] == 1
    assert _received(enterprises.a, audience.colleague, "Badge renewal")["push"] == 1
    with schema_context(enterprises.a.schema_name):
        refused.refresh_from_db()
        assert (refused.push_status, refused.push_attempts) == (Delivery.PushStatus.SENT, 3)


@pytest.mark.promise("C13")
def test_a_push_refused_every_time_is_given_up_after_the_last_retry(
        enterprises, audience, django_capture_on_commit_callbacks, refusing_push):
    refusing_push.add(audience.reader.user.pk)
    _send(enterprises.a, audience, django_capture_on_commit_callbacks, title="Parking rules", to=["backend"])
    start = timezone.now()
    for hours in range(1, 12):
        with schema_context(enterprises.a.schema_name), time_machine.travel(start + timedelta(hours=hours)):
            announcement_tasks.retry_due_pushes.apply().get()
    with schema_context(enterprises.a.schema_name):
        delivery = Delivery.objects.get(announcement__title="Parking rules", person=audience.reader.user)
        assert delivery.push_status == Delivery.PushStatus.GAVE_UP
        assert delivery.push_attempts == len(announcement_services.PUSH_RETRY_DELAYS) + 1
    assert _received(enterprises.a, audience.reader, "Parking rules") == {"inbox": 1, "push": 0, "email": 1}
