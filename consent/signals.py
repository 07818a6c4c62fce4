"""What the consent app listens to."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from consent import selectors, services
from consent.models import Purpose
from orgdata.signals import third_party_application_switched


@receiver(third_party_application_switched)
def _share_on_application_switch(sender, application_code, enabled, account_ids, **kwargs):
    # C9: runs inside orgdata's transaction; if sharing fails, the switch rolls back.
    services.share_for_application_switch(application_code=application_code, enabled=enabled,
                                          account_ids=list(account_ids))


@receiver([post_save, post_delete], sender=Purpose)
def _forget_catalogue(sender, **kwargs):
    selectors.forget_catalogue()
