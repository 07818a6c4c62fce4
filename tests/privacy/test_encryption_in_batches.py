"""Encrypted reads in bulk: a page's or an export's keys are unwrapped once for that read, give the
values a value-by-value read gives, and keep every refusal (R4 shredding, tampering, other schemas)."""
import os

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from privacy import crypto, keys
from privacy.errors import UnreadableValue
from privacy.keys import reading_person_keys
from privacy.models import PersonKey
from tests.accounts.factories import UserFactory


def _people(count: int) -> list[User]:
    return [UserFactory(mobile=f"1391122{number:04d}") for number in range(count)]


def _batch_read(people: list[User]) -> list[str]:
    with reading_person_keys(person.person_key_id for person in people):
        return _ordered_mobiles(people)


def _ordered_mobiles(people: list[User]) -> list[str]:
    return list(User.objects.filter(pk__in=[person.pk for person in people]).order_by("pk")
                .values_list("mobile", flat=True))


def _shred_elsewhere(person: User) -> None:
    # Another process destroys the key: nothing in this process is told.
    PersonKey.objects.filter(pk=person.person_key_id).update(wrapped_key=None, destroyed_at=timezone.now())


def test_a_batch_reads_the_values_a_value_by_value_read_gives_with_one_query_for_the_keys(
        enterprises, django_assert_num_queries):
    connection.set_tenant(enterprises.a.enterprise)
    people = _people(6)
    crypto._memo.clear()
    one_by_one = [User.objects.get(pk=person.pk).mobile for person in people]
    crypto._memo.clear()

    with django_assert_num_queries(2):  # the keys, then the rows: not one query per person
        in_a_batch = _batch_read(people)
    assert in_a_batch == one_by_one == [f"1391122{number:04d}" for number in range(6)]


@pytest.mark.promise("R4")
def test_a_shredded_key_in_the_middle_of_a_batch_reads_as_empty_and_the_others_still_read(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    first, shredded, last = _people(3)
    keys.destroy_person_key(shredded.person_key_id)
    crypto._memo.clear()

    assert _batch_read([first, shredded, last]) == [first.mobile, "", last.mobile]


@pytest.mark.promise("R4")
def test_a_key_destroyed_during_a_batch_is_unreadable_for_the_rest_of_it(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    people = _people(3)
    with reading_person_keys(person.person_key_id for person in people):
        assert _ordered_mobiles(people) == [person.mobile for person in people]
        keys.destroy_person_key(people[1].person_key_id)
        assert _ordered_mobiles(people) == [people[0].mobile, "", people[2].mobile]


@pytest.mark.promise("R4")
def test_a_batchs_keys_end_with_it_so_a_shred_elsewhere_is_honoured_by_the_next_read(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    people = _people(3)
    crypto._memo.clear()
    assert _batch_read(people) == [person.mobile for person in people]

    _shred_elsewhere(people[0])

    assert User.objects.get(pk=people[0].pk).mobile == ""
    assert _batch_read(people) == ["", people[1].mobile, people[2].mobile]


def test_a_tampered_value_in_a_batch_is_refused(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    victim, attacker, bystander = _people(3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM accounts_user WHERE id = %s", [victim.pk])
        stolen = cursor.fetchone()[0]
        moved = stolen.replace(f"v1.{victim.person_key_id}.", f"v1.{attacker.person_key_id}.")
        cursor.execute("UPDATE accounts_user SET mobile = %s WHERE id = %s", [moved, attacker.pk])
    with pytest.raises(UnreadableValue):
        _batch_read([victim, attacker, bystander])

    version, key_id, body = stolen.split(".", 2)
    flipped = f"{version}.{key_id}.{body[:-6]}{'A' if body[-6] != 'A' else 'B'}{body[-5:]}"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET mobile = %s WHERE id = %s", [flipped, victim.pk])
    with pytest.raises(UnreadableValue):
        _batch_read([victim, bystander])


def test_a_batch_never_lends_its_keys_to_another_enterprise(enterprises):
    connection.set_tenant(enterprises.b.enterprise)
    in_b = UserFactory(mobile="13911229999")
    connection.set_tenant(enterprises.a.enterprise)
    # Key ids start from 1 in every schema: a key of A under the id B's person has.
    master_key_id, wrapped = crypto.wrap_data_key(os.urandom(32))
    with crypto.key_ring([(in_b.person_key_id, master_key_id, wrapped)]):
        connection.set_tenant(enterprises.b.enterprise)
        assert User.objects.get(pk=in_b.pk).mobile == "13911229999"

