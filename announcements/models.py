"""Announcements: notices administrators send to departments or to everyone, on a channel.

Each delivered announcement is an item in the person's one inbox (rights.inbox, topic
"announcement") plus a push through the push adapter slot (announcements.push). C13: every channel
is a list a person can leave, from the message itself (the inbox item's API action, the signed link
in the e-mail) and from their settings, and the next send skips them; a person can choose that
nothing they receive is ordered or prioritised by their personal characteristics.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.registry import PI, Category, Erasure, personal_data

_ANNOUNCEMENTS = "announcements"


@personal_data(subject=None, fields={}, reason="a list of notices the enterprise sends; names nobody",
               not_personal={"name": "the channel's name", "description": "what it carries",
                             "created_at": "when it was created", "is_active": "whether it is still used"})
class Channel(models.Model):
    """A list announcements are sent on; each person can leave it (C13)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


@personal_data(subject=None, fields={}, actor_links={"sent_by": "the administrator who sent it"},
               not_personal={"channel": "the channel", "title": "a notice to many people, about nobody",
                             "body": "a notice to many people, about nobody",
                             "is_for_everyone": "sent to the whole enterprise", "sent_at": "when it was sent",
                             "recipient_count": "how many people it reached"})
class Announcement(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="announcements")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=5000)
    is_for_everyone = models.BooleanField(_("to everyone"), default=False)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self):
        return self.title


@personal_data(subject=None, fields={}, reason="which departments an announcement was addressed to",
               not_personal={"announcement": "the announcement", "department": "a department addressed"})
class AnnouncementDepartment(models.Model):
    announcement = models.ForeignKey(Announcement, db_index=False, on_delete=models.CASCADE, related_name="addressed")
    department = models.ForeignKey("orgdata.Department", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["announcement", "department"],
                                               name="announcement_department_once")]


@personal_data(
    subject="person",
    fields={"read_at": PI(Category.BASIC, purpose=_ANNOUNCEMENTS, erasure=Erasure.DELETE,
                          note="whether and when the person read the announcement")},
    not_personal={"announcement": "the announcement delivered", "delivered_at": "when it was delivered",
                  "inbox_message": "the inbox item it is (rights.InboxMessage)",
                  "is_for_own_department": "whether it was addressed to the person's own department",
                  "push_status": "whether the push left (sent after the delivery is committed)",
                  "push_priority": "how the push asks for attention",
                  "push_attempts": "how often the push was tried",
                  "push_next_attempt_at": "when a refused push is tried again"},
)
class Delivery(models.Model):
    """One announcement delivered to one person: its read state and its push's state."""

    class PushStatus(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Refused, tried again later")
        GAVE_UP = "gave_up", _("Refused, not tried again")

    announcement = models.ForeignKey(Announcement, db_index=False, on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.CASCADE, related_name="+")
    inbox_message = models.OneToOneField("rights.InboxMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    is_for_own_department = models.BooleanField(default=False)
    delivered_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    push_status = models.CharField(max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING)
    push_priority = models.CharField(max_length=10, default="normal")
    push_attempts = models.PositiveSmallIntegerField(default=0)
    push_next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["announcement", "person"], name="delivery_once_per_person")]
        indexes = [models.Index(fields=["person", "-delivered_at"], name="delivery_person_time"),
                   models.Index(fields=["push_status", "push_next_attempt_at"], name="delivery_push_due",
                                condition=models.Q(push_status__in=["pending", "failed"]))]


@personal_data(subject="person", fields={}, erasure=Erasure.DELETE,
               note="C13: the person left this channel; the next send skips them",
               not_personal={"channel": "the channel left", "left_at": "when", "via": "from where it was left"})
class Unsubscription(models.Model):
    class Via(models.TextChoices):
        SETTINGS = "settings", _("Settings")
        INBOX = "inbox", _("The message in the app")
        EMAIL = "email", _("The link in the e-mail")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    via = models.CharField(max_length=10, choices=Via.choices)
    left_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "channel"], name="unsubscription_once")]


@personal_data(
    subject="person",
    fields={"is_personalised": PI(Category.BASIC, purpose=_ANNOUNCEMENTS, erasure=Erasure.DELETE,
                                  note="C13: whether the person allows ordering by their personal characteristics")},
    not_personal={"changed_at": "when the person last changed it"},
)
class PersonalisationChoice(models.Model):
    """C13: a person's answer to "order and prioritise what I receive by my department and position?"
    No row: the default (personalised)."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_personalised = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)


@personal_data(
    subject="person",
    fields={"title": PI(Category.BASIC, purpose=_ANNOUNCEMENTS, erasure=Erasure.DELETE),
            "body": PI(Category.BASIC, purpose=_ANNOUNCEMENTS, erasure=Erasure.DELETE)},
    not_personal={"priority": "how the push asks for attention", "link": "where the push leads",
                  "created_at": "when it was pushed"},
)
class PushOutboxMessage(models.Model):
    """Development and tests: the push the local outbox backend kept instead of sending it."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField()
    priority = models.CharField(max_length=10)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
