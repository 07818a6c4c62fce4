"""Cost of encryption at rest: an encrypted field (accounts.User.mobile, AES-GCM under a per-person
key, plus its blind index on write) vs a plaintext field of the same rows (display_name).

Interleaved in one run, first over 2,000 people:
  write: save(update_fields=[field]) for every row;
  read:  one query loading the field of every row; "batch": the people's data keys unwrapped for
         this read by one query (privacy.keys.reading_person_keys, as the directory and the export
         do); "warm": keys already unwrapped in the process memo (a value read on its own);
  page:  50-row pages one after another, each with its keys unwrapped for the page (the directory);
then over 100,000 people:
  export: 5,000-row chunks, each with its keys unwrapped for the chunk (the address-book export).
Prints rows/s for each, then the ratios (encrypted ÷ plain); the last line holds the read ratios:
warm, a 50-row page and a 100,000-row export.
"""
import statistics
import time

import _setup
from django.db import connection, transaction

from accounts.models import User
from privacy import crypto
from privacy.fields import Ciphertext
from privacy.keys import issue_person_key_ciphers, issue_person_keys, reading_person_keys
from privacy.models import PersonKey

CODE = "bench-crypto-fields"
PEOPLE, ROUNDS = 2000, 7
PAGE = 50
EXPORT_PEOPLE, EXPORT_CHUNK, EXPORT_ROUNDS = 100_000, 5000, 3


def _writes(users, field: str) -> float:
    # A record is read before it is changed, so its key is already unwrapped.
    with reading_person_keys(user.person_key_id for user in users):
        started = time.perf_counter()
        with transaction.atomic():
            for user in users:
                user.save(update_fields=[field])
        return len(users) / (time.perf_counter() - started)


def _reads(field: str, *, batch: bool) -> float:
    started = time.perf_counter()
    if field == "mobile" and batch:
        with reading_person_keys(User.objects.values_list("person_key_id", flat=True)):
            values = list(User.objects.values_list(field, flat=True))
    else:
        values = list(User.objects.values_list(field, flat=True))
    assert len(values) >= PEOPLE and all(values)
    return len(values) / (time.perf_counter() - started)


def _chunked_reads(field: str, keyed: list[tuple[int, int]], size: int) -> float:
    """Rows/s reading `field` of the `keyed` (id, key id) people `size` rows at a time, each chunk's
    keys unwrapped for that chunk when the field is encrypted (ids and key ids are known beforehand,
    as a page's or an export's listing query gives them)."""
    count = 0
    started = time.perf_counter()
    for start in range(0, len(keyed), size):
        part = keyed[start:start + size]
        chunk = User.objects.filter(pk__gte=part[0][0], pk__lte=part[-1][0]).order_by("pk")
        if field == "mobile":
            with reading_person_keys(key_id for _pk, key_id in part):
                values = list(chunk.values_list(field, flat=True))
        else:
            values = list(chunk.values_list(field, flat=True))
        assert len(values) == len(part) and all(values)
        count += len(values)
    return count / (time.perf_counter() - started)


def _add_people(count: int) -> None:
    """`count` more people, their mobiles sealed as the import seals them (one COPY of keys)."""
    with transaction.atomic():
        pairs = issue_person_key_ciphers(count)
        context = f"{User._meta.label}.mobile"
        people = [User(mobile=Ciphertext(crypto.encrypt_with(cipher, f"138{n:08d}", key_id=key_id, context=context)),
                       display_name=f"导出{n}", person_key_id=key_id, password="!")
                  for n, (key_id, cipher) in enumerate(pairs)]
        User.objects.bulk_create(people, batch_size=5000)


def main():
    provisioned = _setup.fresh_enterprise(CODE, "Crypto bench", "13755560001")
    try:
        connection.set_tenant(provisioned.enterprise)
        keys = issue_person_keys(PEOPLE)
        people = [User(mobile=f"139{n:08d}", display_name=f"员工{n}", person_key=key, password="!")
                  for n, key in enumerate(keys)]
        for person in people:  # bulk_create runs each field's pre_save: encryption and index
            person.mobile_index = None
        User.objects.bulk_create(people, batch_size=1000)
        users = list(User.objects.exclude(role=User.Role.MANAGER))
        keyed = list(User.objects.order_by("pk").values_list("pk", "person_key_id"))

        rates = {"write_encrypted": [], "write_plain": [], "read_encrypted_batch": [], "read_encrypted_warm": [],
                 "read_plain": [], "page_encrypted": [], "page_plain": []}
        for _ in range(ROUNDS):
            rates["write_encrypted"].append(_writes(users, "mobile"))
            rates["write_plain"].append(_writes(users, "display_name"))
            rates["read_encrypted_batch"].append(_reads("mobile", batch=True))
            crypto.remember_data_keys(PersonKey.objects.values_list("pk", "master_key_id", "wrapped_key"))
            rates["read_encrypted_warm"].append(_reads("mobile", batch=False))
            rates["read_plain"].append(_reads("display_name", batch=False))
            rates["page_encrypted"].append(_chunked_reads("mobile", keyed, PAGE))
            rates["page_plain"].append(_chunked_reads("display_name", keyed, PAGE))

        _add_people(EXPORT_PEOPLE - len(keyed))
        keyed = list(User.objects.order_by("pk").values_list("pk", "person_key_id"))
        assert len(keyed) >= EXPORT_PEOPLE
        rates.update(export_encrypted=[], export_plain=[])
        for _ in range(EXPORT_ROUNDS):
            rates["export_encrypted"].append(_chunked_reads("mobile", keyed, EXPORT_CHUNK))
            rates["export_plain"].append(_chunked_reads("display_name", keyed, EXPORT_CHUNK))

        median = {name: statistics.median(values) for name, values in rates.items()}
        for name, value in median.items():
            print(f"{name}={value:.0f} rows/s")
        ratio = {kind: median[f"{kind}_encrypted"] / median[f"{kind}_plain"] for kind in ("write", "page", "export")}
        ratio["batch"] = median["read_encrypted_batch"] / median["read_plain"]
        ratio["warm"] = median["read_encrypted_warm"] / median["read_plain"]
        print(f"crypto_fields_write_ratio={ratio['write']:.3f} ratio")
        print(f"crypto_fields_read_batch_ratio={ratio['batch']:.3f} ratio")
        print(f"crypto_fields_read_ratio warm={ratio['warm']:.3f} page_{PAGE}={ratio['page']:.3f} "
              f"export_{EXPORT_PEOPLE}={ratio['export']:.3f}")
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)


if __name__ == "__main__":
    main()
