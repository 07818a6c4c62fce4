"""The hash chain: how an audit entry is hashed, appended and verified.

Each entry's hash is SHA-256 over its id, the previous entry's hash and the canonical JSON of its
content, so changing, removing or reordering any entry breaks every link after it. Appends in one
schema are serialised by locking the single `audit_chain` row FOR UPDATE; the lock is held until
the writing transaction ends, so two writers can never both extend the same head (no fork), and
an entry written inside a business transaction commits or rolls back with it.

Cost: appending one entry is one statement (lock the head, INSERT the entry with its hash
computed by PostgreSQL's sha256(), move the head), one round trip. Many entries at once
(`record_bulk`) are hashed here in one pass and written with COPY. Both compute the same
`entry_hash`; `verify` recomputes it in Python.

Retention (audit.services.apply_retention) removes the oldest entries only as a prefix and moves
the chain's anchor to the hash of the last entry it removed. Verification therefore starts at the
anchor: the first surviving entry must carry the anchor's id and continue from its hash, so an
entry removed at the start by anyone else is detected too; the head catches removals at the end.
What the chain cannot catch alone: someone with database-owner rights who rewrites the whole
chain, head row included; signed checkpoints of the head, kept in the public schema
(audit_anchors), catch that for everything up to the last checkpoint.

Lock order (house rule; the opposite order deadlocks): enterprise row, then the person's row, then
the audit-chain head. Any audited write takes the head, so a transaction that needs a person's row
locks it with `lock_person` before its first audited write. Mind PostgreSQL's deferred foreign-key
checks: inserting a row that references a person takes a KEY SHARE lock on that person's row at
COMMIT, i.e. after the head; a service inserting such a row while another transaction may hold the
person's row (consent answers lock it) must lock the person first. `lock_person` refuses (raises
LockOrderViolation) when this transaction already holds the head, so a wrong order fails every
time in tests instead of deadlocking now and then in production.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone as dt_timezone

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from audit.errors import LockOrderViolation
from core.bulk_rows import copy_text

GENESIS = "0" * 64

CONTENT_FIELDS = ("id", "occurred_at", "actor", "action", "object_type", "object_id",
                  "changed_fields", "ip", "user_agent", "language", "prev_hash")
# What the canonical JSON body covers: everything but the two values the chain assigns.
BODY_FIELDS = tuple(name for name in CONTENT_FIELDS if name not in ("id", "prev_hash"))


@dataclass(frozen=True)
class PendingEntry:
    """What a caller records; id, time and hashes are assigned when it is appended."""

    actor: str
    action: str
    object_type: str = ""
    object_id: str = ""
    changed_fields: tuple[str, ...] = field(default_factory=tuple)
    ip: str = ""
    user_agent: str = ""
    language: str = ""

    def body(self, occurred_at: datetime) -> dict:
        return {"occurred_at": occurred_at, "actor": self.actor, "action": self.action,
                "object_type": self.object_type, "object_id": str(self.object_id),
                "changed_fields": sorted(self.changed_fields), "ip": self.ip,
                "user_agent": self.user_agent, "language": self.language}


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_body(content: dict) -> str:
    """Canonical JSON (sorted keys, no spaces, ASCII only) of an entry's content but id and prev_hash."""
    document = {name: content[name] for name in BODY_FIELDS}
    document["occurred_at"] = canonical_time(document["occurred_at"])
    document["changed_fields"] = sorted(document["changed_fields"])
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(content: dict) -> str:
    """SHA-256, hex, of "<id>\n<prev_hash>\n<canonical body>" (the same bytes _APPEND_ONE_SQL hashes)."""
    text = f"{content['id']}\n{content['prev_hash']}\n{canonical_body(content)}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _table(name: str) -> str:
    return f'"{connection.schema_name}"."{name}"'


_COLUMNS = ", ".join(CONTENT_FIELDS) + ", hash"
# Lock the head, insert the entry after it, move the head: one statement. The body is hashed by
# PostgreSQL exactly as entry_hash() does (ASCII text, so the bytes are the same).
_APPEND_ONE_SQL = """
WITH head AS (
    SELECT head_id + 1 AS id, head_hash::text AS prev_hash FROM {chain} WHERE id = 1 FOR UPDATE
), appended AS (
    INSERT INTO {entry} ({columns})
    SELECT head.id, %(occurred_at)s, %(actor)s, %(action)s, %(object_type)s, %(object_id)s,
           %(changed_fields)s::jsonb, %(ip)s, %(user_agent)s, %(language)s, head.prev_hash,
           encode(sha256(convert_to(head.id::text || E'\\n' || head.prev_hash || E'\\n' || %(body)s, 'UTF8')), 'hex')
    FROM head
    RETURNING id, hash
)
UPDATE {chain} SET head_id = appended.id, head_hash = appended.hash, updated_at = %(occurred_at)s
FROM appended WHERE {chain}.id = 1
RETURNING appended.id, pg_current_xact_id()::text
"""

# The attribute of the connection wrapper that remembers which transaction holds the head.
_HEAD_HELD_BY = "_audit_chain_head_held_by"


def _holder(transaction_id: str) -> tuple:
    """Which transaction this is: PostgreSQL's id, and (inside a test case, where every test is one
    rolled-back transaction) the savepoint of the first atomic block the test case did not open."""
    for index, block in enumerate(connection.atomic_blocks):
        if not getattr(block, "_from_testcase", False):
            return transaction_id, connection.savepoint_ids[index - 1] if index else None
    return transaction_id, "outside any atomic block"


def _remember_head_held_by(transaction_id: str) -> None:
    setattr(connection, _HEAD_HELD_BY, _holder(transaction_id))


def lock_person(person_id: int, *, exclusive: bool) -> None:
    """Lock one person's row (accounts user) in the current transaction, before the chain head.

    exclusive=True: FOR UPDATE, for writes that must be serialised per person (consent answers).
    exclusive=False: FOR KEY SHARE, what a row referencing the person needs (the lock PostgreSQL's
    deferred foreign-key check would otherwise take at COMMIT, after the head).
    Refuses (LockOrderViolation) when this transaction already holds the audit-chain head.
    """
    if not connection.in_atomic_block:
        raise LockOrderViolation("lock_person needs a transaction: the lock ends with the statement otherwise")
    mode = "UPDATE" if exclusive else "KEY SHARE"
    with connection.cursor() as cursor:
        # Lock order: person, then audit-chain head (see the module docstring).
        cursor.execute(f'SELECT pg_current_xact_id()::text FROM "{User._meta.db_table}" WHERE id = %s FOR {mode}',
                       [person_id])
        row = cursor.fetchone()
    if row is not None and getattr(connection, _HEAD_HELD_BY, None) == _holder(row[0]):
        raise LockOrderViolation("the person's row was locked after the audit-chain head in one transaction; "
                                 "lock the person first (audit.chain: lock order)")


def append(entries: list[PendingEntry]) -> list[int]:
    """Append `entries` to the current schema's chain, in order; return their ids.

    Runs inside the caller's transaction when there is one (the entry then shares the fate of the
    change it records) and holds the chain lock until that transaction ends.
    """
    if not entries:
        return []
    if len(entries) == 1:
        return [_append_one(entries[0])]
    runs: list[tuple[PendingEntry, list[str]]] = []  # consecutive entries of one shape
    for pending in entries:
        shape = replace(pending, object_id="")
        if runs and runs[-1][0] == shape:
            runs[-1][1].append(str(pending.object_id))
        else:
            runs.append((shape, [str(pending.object_id)]))
    return _append_many(runs)


def append_for_objects(shape: PendingEntry, object_ids: list[str]) -> list[int]:
    """Append one entry per object id, each `shape` with that object id, in order; return their ids.
    (What `append` does with the same entries, without a PendingEntry for each.)"""
    if not object_ids:
        return []
    if len(object_ids) == 1:
        return [_append_one(replace(shape, object_id=object_ids[0]))]
    return _append_many([(replace(shape, object_id=""), object_ids)])


def _append_one(pending: PendingEntry) -> int:
    content = pending.body(timezone.now())
    params = {**content, "changed_fields": json.dumps(content["changed_fields"]), "body": canonical_body(content)}
    sql = _APPEND_ONE_SQL.format(chain=_table("audit_chain"), entry=_table("audit_entry"), columns=_COLUMNS)
    with connection.cursor() as cursor:
        # Lock order: the chain head comes last (after enterprise and person rows).
        cursor.execute(sql, params)
        entry_id, transaction_id = cursor.fetchone()
    _remember_head_held_by(transaction_id)
    return entry_id


_OBJECT_ID_MARK = "\x00object-id\x00"


def _body_template(pending: PendingEntry, occurred_at: datetime) -> tuple[str, str]:
    """canonical_body() of `pending` split around its object id, so entries that differ only in
    their object id are hashed without building and serialising a document each."""
    body = canonical_body({**pending.body(occurred_at), "object_id": _OBJECT_ID_MARK})
    marker = json.dumps(_OBJECT_ID_MARK)
    if body.count(marker) != 1:
        raise ValueError("an entry's content contains the object-id marker")
    before, after = body.split(marker)
    return before, after


_COPY_BLOCK = 2000  # lines sent to COPY at a time


def _append_many(runs: list[tuple[PendingEntry, list[str]]]) -> list[int]:
    """Hash the entries here, in one pass, and write them with COPY (same rows and hashes as
    _append_one would give, one after the other). `runs` are entries of one shape (all but the
    object id) with their object ids: each shape's body text and COPY line text around the object
    id are built once. An import of 100,000 people appends 200,000 entries in 40 runs."""
    sha256, dumps = hashlib.sha256, json.dumps
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Lock order: the chain head comes last (after enterprise and person rows).
        cursor.execute(f"SELECT head_id, head_hash, pg_current_xact_id()::text FROM {_table('audit_chain')}"
                       " WHERE id = 1 FOR UPDATE")
        head_id, previous, transaction_id = cursor.fetchone()
        _remember_head_held_by(transaction_id)
        occurred_at = timezone.now()  # taken under the lock
        entry_id = head_id
        lines: list[str] = []
        with cursor.cursor.copy(f"COPY {_table('audit_entry')} ({_COLUMNS}) FROM STDIN") as copy:
            for shape, object_ids in runs:
                before, after = _body_template(shape, occurred_at)
                # The template must give the very bytes canonical_body() gives (verify recomputes them).
                sample = object_ids[0]
                if canonical_body(replace(shape, object_id=sample).body(occurred_at)) != before + dumps(sample) + after:
                    raise AssertionError("audit body template differs from canonical_body()")
                # The columns of _COLUMNS around object_id, then prev_hash and hash follow.
                fields_before = "\t".join(copy_text(value) for value in (
                    occurred_at.isoformat(), shape.actor, shape.action, shape.object_type))
                fields_after = "\t".join(copy_text(value) for value in (
                    dumps(sorted(shape.changed_fields)), shape.ip, shape.user_agent, shape.language))
                for object_id in object_ids:
                    entry_id += 1
                    # json.dumps of a plain id (digits, letters) is the id in quotes, and its COPY text is itself.
                    if object_id.isascii() and object_id.isalnum():
                        quoted, object_text = f'"{object_id}"', object_id
                    else:
                        quoted, object_text = dumps(object_id), copy_text(object_id)
                    digest = sha256(f"{entry_id}\n{previous}\n{before}{quoted}{after}".encode("ascii")).hexdigest()
                    lines.append(f"{entry_id}\t{fields_before}\t{object_text}\t{fields_after}\t{previous}\t{digest}\n")
                    if len(lines) == _COPY_BLOCK:
                        copy.write("".join(lines))
                        lines.clear()
                    previous = digest
            if lines:
                copy.write("".join(lines))
        last_id = entry_id
        cursor.execute(f"UPDATE {_table('audit_chain')} SET head_id = %s, head_hash = %s, updated_at = %s WHERE id = 1",
                       [last_id, previous, occurred_at])
    return list(range(head_id + 1, last_id + 1))


@dataclass(frozen=True)
class Verification:
    schema: str
    entries_checked: int
    head_id: int
    head_hash: str
    broken_at: int | None = None
    reason: str = ""

    @property
    def is_intact(self) -> bool:
        return self.broken_at is None


def verify(*, batch_size: int = 5000) -> Verification:
    """Walk the current schema's chain from its anchor to its head; stop at the first broken link."""
    schema = connection.schema_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT head_id, head_hash, anchor_id, anchor_prev_hash FROM {_table('audit_chain')} WHERE id = 1")
        head_id, head_hash, expected_id, expected_prev = cursor.fetchone()
    checked = 0

    def broken(entry_id: int, reason: str) -> Verification:
        return Verification(schema, checked, head_id, head_hash, entry_id, reason)

    last_key = (expected_id - 1, "infinity")  # i.e. start at the anchor id
    columns = ", ".join(CONTENT_FIELDS) + ", hash"
    while True:
        with connection.cursor() as cursor:
            # Keyset pages over the primary key (id, occurred_at): no cursor held open, constant
            # memory, and a forged second entry under an existing id is still seen.
            # Up to the head read above: entries appended meanwhile are the next run's.
            cursor.execute(
                f"SELECT {columns} FROM {_table('audit_entry')} WHERE (id, occurred_at) > (%s, %s::timestamptz)"
                f" AND id <= %s ORDER BY id, occurred_at LIMIT %s",
                [*last_key, head_id, batch_size],
            )
            rows = cursor.fetchall()
        if not rows:
            break
        for row in rows:
            content = dict(zip(CONTENT_FIELDS, row[:-1]))
            if isinstance(content["changed_fields"], str):
                content["changed_fields"] = json.loads(content["changed_fields"])
            stored_hash = row[-1]
            if content["id"] != expected_id:
                if content["id"] < expected_id:
                    return broken(content["id"], "entry precedes the retention anchor or repeats an id")
                return broken(expected_id, "entry is missing (ids must be consecutive)")
            if content["prev_hash"] != expected_prev:
                reason = ("does not continue from the retention anchor (entries before it were removed)"
                          if checked == 0 else "previous-hash link does not match the entry before it")
                return broken(content["id"], reason)
            if entry_hash(content) != stored_hash:
                return broken(content["id"], "content does not match its hash (entry was altered)")
            checked += 1
            expected_id += 1
            expected_prev = stored_hash
            last_key = (content["id"], content["occurred_at"])
    if expected_id - 1 != head_id or expected_prev != head_hash:
        return broken(expected_id, f"entries up to the chain head #{head_id} are missing")
    with connection.cursor() as cursor:
        # Compared with the head as it is now, in the same statement: an append moves the head in
        # the statement that inserts its entry, so only an entry nobody appended lies beyond it.
        cursor.execute(f"SELECT min(e.id) FROM {_table('audit_entry')} e, {_table('audit_chain')} c"
                       " WHERE c.id = 1 AND e.id > c.head_id")
        beyond = cursor.fetchone()[0]
    if beyond is not None:
        return broken(beyond, "entry lies after the chain head (forged, or the head was moved back)")
    return Verification(schema, checked, head_id, head_hash)
