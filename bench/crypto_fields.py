"""Cost of encryption at rest: an encrypted field (accounts.User.mobile, AES-GCM under a per-person
key, plus its blind index on write) vs a plaintext field of the same rows (display_name).

Interleaved in one run over 2,000 people:
  write: save(update_fields=[field]) for every row;
  read:  one query loading the field of every row; "cold": the data-key memo empty, keys
         preloaded by one query (as the directory does); "warm": keys already unwrapped.
Prints rows/s for each, then the ratios; the last line is the warm read ratio.
"""
import statistics
import time

import _setup
from django.db import connection, transaction

from accounts.models import User
from privacy import crypto
from privacy.keys import issue_person_keys, preload_person_keys

CODE = "bench-crypto-fields"
PEOPLE, ROUNDS = 2000, 7


def _writes(users, field: str) -> float:
    # A record is read before it is changed, so its key is already unwrapped (memo warm).
    preload_person_keys(user.person_key_id for user in users)
    started = time.perf_counter()
    with transaction.atomic():
        for user in users:
            user.save(update_fields=[field])
    return len(users) / (time.perf_counter() - started)


def _reads(field: str, *, cold: bool) -> float:
    if cold:
        crypto._memo.clear()
    started = time.perf_counter()
    if field == "mobile" and cold:
        preload_person_keys(User.objects.values_list("person_key_id", flat=True))
    values = list(User.objects.values_list(field, flat=True))
    assert len(values) >= PEOPLE and all(values)
    return len(values) / (time.perf_counter() - started)


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

        rates = {"write_encrypted": [], "write_plain": [], "read_encrypted_cold": [], "read_encrypted_warm": [],
                 "read_plain": []}
        for _ in range(ROUNDS):
            rates["write_encrypted"].append(_writes(users, "mobile"))
            rates["write_plain"].append(_writes(users, "display_name"))
            rates["read_encrypted_cold"].append(_reads("mobile", cold=True))
            rates["read_encrypted_warm"].append(_reads("mobile", cold=False))
            rates["read_plain"].append(_reads("display_name", cold=False))
        median = {name: statistics.median(values) for name, values in rates.items()}
        for name, value in median.items():
            print(f"{name}={value:.0f} rows/s")
        print(f"crypto_fields_write_ratio={median['write_encrypted'] / median['write_plain']:.3f} ratio")
        print(f"crypto_fields_read_cold_ratio={median['read_encrypted_cold'] / median['read_plain']:.3f} ratio")
        print(f"crypto_fields_read_ratio={median['read_encrypted_warm'] / median['read_plain']:.3f} ratio")
    finally:
        connection.set_schema_to_public()
        _setup.drop_enterprise(CODE)


if __name__ == "__main__":
    main()
