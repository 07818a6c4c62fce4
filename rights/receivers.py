"""What rights requests do when another app changes something they depend on (connected in
RightsConfig.ready; the apps below cannot call up here)."""
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from rights import services


@receiver(post_save, sender=User, dispatch_uid="rights-contact-who-stopped-administering")
def end_appointment_when_no_longer_an_administrator(sender, instance: User, update_fields=None, raw=False, **kwargs):
    # R10: a protection contact made a plain employee (accounts.services.assign_role saves the role
    # alone) stops being the contact.
    if raw or not update_fields or "role" not in update_fields or instance.role != User.Role.EMPLOYEE:
        return
    services.end_appointment_of_former_administrator(actor=services.CONTACT_UPKEEP, person=instance)
