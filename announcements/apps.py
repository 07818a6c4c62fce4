from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    """Notices to departments or everyone: inbox item, push, channels anyone can leave (C13)."""

    name = "announcements"
    verbose_name = "Announcements"
