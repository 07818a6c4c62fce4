from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.registry import Erasure, personal_data


@personal_data(subject=None, fields={}, person_reference="accounts.User.person_key (and the person's other rows) point here",
               erasure=Erasure.CRYPTO_SHRED,
               note="R4: erasure destroys the key (wrapped_key set to NULL, privacy.keys.destroy_person_key); "
                    "the row stays, so the ids referring to it stay valid")
class PersonKey(models.Model):
    """One person's data key, stored only wrapped by a master key (R4).

    Rows about the same person share one key, so destroying it (crypto-shredding) makes all of
    their encrypted values unreadable at once. A destroyed key keeps its row (the id is still
    referenced) with `wrapped_key` NULL.
    """

    master_key_id = models.CharField(max_length=32)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("personal data key")
        permissions = [("unmask_sensitive", _("See sensitive personal information unmasked"))]

    def __str__(self):
        return f"data key {self.pk}"

    @property
    def is_destroyed(self) -> bool:
        return self.wrapped_key is None
