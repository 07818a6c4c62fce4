"""A saved or deleted version is seen at once by this process (others within a minute, which is
harmless: see policies.selectors)."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from policies.models import PolicyVersion
from policies.selectors import forget_timeline


@receiver([post_save, post_delete], sender=PolicyVersion)
def _forget_policy_timeline(sender, **kwargs):
    forget_timeline()
