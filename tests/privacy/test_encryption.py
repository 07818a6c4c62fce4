"""X1 and R4: sensitive values are ciphertext in the table, readable only with the person's key."""
import base64

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import User
from privacy import crypto, keys
from privacy.errors import KeyDestroyed, UnreadableValue
from privacy.models import PersonKey
from tests.accounts.factories import UserFactory


def _raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def _fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.mark.promise("X1")
def test_the_table_holds_ciphertext_and_the_model_plaintext(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912345678")

    stored = _raw_column("accounts_user", "mobile", person.pk)
    assert stored.startswith(f"v1.{person.person_key_id}.")
    assert "13912345678" not in stored and "5678" not in stored
    assert _fresh(person).mobile == "13912345678"


def test_each_write_uses_a_fresh_nonce(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912340001")
    first_token = _raw_column("accounts_user", "mobile", person.pk)
    person.save()
    second_token = _raw_column("accounts_user", "mobile", person.pk)
    assert first_token != second_token  # equal values do not give equal ciphertexts
    assert _fresh(person).mobile == "13912340001"


def test_lookups_go_through_the_blind_index_never_plaintext(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912345679")

    assert User.objects.with_mobile("+86 139-1234-5679").get() == person
    assert _raw_column("accounts_user", "mobile_index", person.pk) == crypto.blind_index("mobile", "13912345679")
    with pytest.raises(TypeError, match="blind index"):
        list(User.objects.filter(mobile="13912345679"))


def test_saving_only_the_value_also_refreshes_its_blind_index(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912345690")
    person.mobile = "13912345691"
    person.save(update_fields=["mobile"])
    assert User.objects.with_mobile("13912345691").get() == person
    assert not User.objects.with_mobile("13912345690").exists()


def test_bulk_update_without_a_row_is_refused(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    UserFactory(mobile="13912345680")
    with pytest.raises(TypeError, match="encrypted"):
        User.objects.all().update(mobile="13900000000")


def test_a_value_moved_to_another_persons_row_does_not_decrypt(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    victim, attacker = UserFactory(mobile="13912345681"), UserFactory(mobile="13912345682")
    stolen = _raw_column("accounts_user", "mobile", victim.pk)
    forged = stolen.replace(f"v1.{victim.person_key_id}.", f"v1.{attacker.person_key_id}.")
    with pytest.raises(UnreadableValue):
        crypto.decrypt(forged, context="accounts.User.mobile")
    with pytest.raises(UnreadableValue):
        crypto.decrypt(stolen, context="accounts.User.display_name")  # another field


@pytest.mark.promise("R4")
def test_after_key_destruction_the_row_read_straight_from_the_table_cannot_be_decrypted(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912345683")
    copy_in_a_backup = _raw_column("accounts_user", "mobile", person.pk)

    keys.destroy_person_key(person.person_key_id)

    with pytest.raises(KeyDestroyed):
        crypto.decrypt(copy_in_a_backup, context="accounts.User.mobile")
    assert _fresh(person).mobile == ""
    key = PersonKey.objects.get(pk=person.person_key_id)
    assert key.wrapped_key is None and key.destroyed_at is not None
    keys.destroy_person_key(person.person_key_id)  # idempotent


@pytest.mark.promise("X1")
def test_master_key_rotation_rewraps_keys_and_the_old_master_key_can_then_go(enterprises, settings):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912345684")
    old = settings.PRIVACY_MASTER_KEYS
    new_key = "rotated=" + base64.urlsafe_b64encode(b"n" * 32).decode()

    settings.PRIVACY_MASTER_KEYS = f"{new_key},{old}"
    crypto._memo.clear()
    assert _fresh(person).mobile == "13912345684"  # still readable under the old master key
    assert keys.rewrap_person_keys() >= 1
    assert PersonKey.objects.get(pk=person.person_key_id).master_key_id == "rotated"

    settings.PRIVACY_MASTER_KEYS = new_key
    crypto._memo.clear()
    assert _fresh(person).mobile == "13912345684"
    settings.PRIVACY_MASTER_KEYS = old
    crypto._memo.clear()


def test_a_database_alone_is_not_enough_to_read_values(enterprises, settings):
    connection.set_tenant(enterprises.a.enterprise)
    person = UserFactory(mobile="13912345685")
    crypto._memo.clear()
    with override_settings(PRIVACY_MASTER_KEYS="other=" + base64.urlsafe_b64encode(b"o" * 32).decode()):
        with pytest.raises(UnreadableValue):
            _fresh(person)
    crypto._memo.clear()


def test_data_keys_are_remembered_per_enterprise_schema(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    in_a = UserFactory(mobile="13912345686")
    connection.set_tenant(enterprises.b.enterprise)
    in_b = UserFactory(mobile="13912345687")
    # Key ids start from 1 in every schema: the memo must never hand A's key to B.
    connection.set_tenant(enterprises.a.enterprise)
    assert _fresh(in_a).mobile == "13912345686"
    connection.set_tenant(enterprises.b.enterprise)
    assert _fresh(in_b).mobile == "13912345687"
