"""Encryption at rest (X1) with a data key per person (R4), and keyed blind indexes.

Layout: each person has a random 256-bit data key, stored only wrapped (AES-GCM) by a master key
from the environment (`PRIVACY_MASTER_KEYS`, newest first; older keys still unwrap, so a master
key is rotated by prepending a new one and running `privacy_rewrap_keys`). A sensitive value is
stored as `v1.<person key id>.<base64(nonce | ciphertext | tag)>`, authenticated together with the
field it belongs to, so a value moved to another field or person does not decrypt.

Destroying a person's data key makes every copy of their values unreadable, including copies in
database backups taken before (crypto-shredding, R4 "isolate until purged"); see README for the
backup rule that makes that true.
"""
from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import os
import threading
import time
from binascii import a2b_base64
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection

from privacy.errors import KeyDestroyed, UnreadableValue

TOKEN_VERSION = "v1"


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    secret: bytes

    @property
    def cipher(self) -> AESGCM:
        memo_key = self.key_id + self.secret.hex()
        cipher = _master_ciphers.get(memo_key)
        if cipher is None:
            cipher = _master_ciphers.setdefault(memo_key, AESGCM(self.secret))
        return cipher


_master_ciphers: dict[str, AESGCM] = {}


def _parse_master_keys(text: str) -> list[MasterKey]:
    keys = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, _, encoded = item.partition("=")
        secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not key_id or len(secret) != 32:
            raise ValueError("PRIVACY_MASTER_KEYS entries must be <id>=<base64 of 32 bytes>")
        keys.append(MasterKey(key_id, secret))
    if not keys:
        raise ValueError("PRIVACY_MASTER_KEYS is empty")
    return keys


_master_keys_cache: tuple[str, list[MasterKey]] | None = None


def master_keys() -> list[MasterKey]:
    global _master_keys_cache
    text = settings.PRIVACY_MASTER_KEYS
    if _master_keys_cache is None or _master_keys_cache[0] != text:
        _master_keys_cache = (text, _parse_master_keys(text))
    return _master_keys_cache[1]


def current_master_key() -> MasterKey:
    return master_keys()[0]


def wrap_data_key(data_key: bytes, master: MasterKey | None = None) -> tuple[str, bytes]:
    """Wrap a data key with the current master key (or `master`, looked up once by bulk callers);
    returns (master key id, wrapped bytes)."""
    master = master or current_master_key()
    nonce = os.urandom(12)
    return master.key_id, nonce + master.cipher.encrypt(nonce, data_key, master.key_id.encode())


def _data_key_unwrapper():
    """A function unwrapping data keys, with the configured master keys looked up once for many."""
    masters: dict[str, tuple[AESGCM, bytes]] = {}
    for master in master_keys():
        masters.setdefault(master.key_id, (master.cipher, master.key_id.encode()))

    def unwrap(master_key_id: str, wrapped: bytes) -> bytes:
        try:
            cipher, associated = masters[master_key_id]
        except KeyError:
            raise UnreadableValue(f"master key {master_key_id!r} is not configured") from None
        wrapped = bytes(wrapped)
        return cipher.decrypt(wrapped[:12], wrapped[12:], associated)

    return unwrap


def unwrap_data_key(master_key_id: str, wrapped: bytes) -> bytes:
    return _data_key_unwrapper()(master_key_id, wrapped)


# --- data keys: a short-lived in-process memo, keyed by schema and key id -------------------------
# Unwrapping needs a query; a page of rows would otherwise cost one per person. Entries live
# KEY_MEMO_SECONDS and are dropped at once in the process that destroys a key.
KEY_MEMO_SECONDS = 60
_memo: dict[tuple[str, int], tuple[float, AESGCM | None]] = {}
_memo_lock = threading.Lock()


def _memo_get(schema: str, key_id: int):
    entry = _memo.get((schema, key_id))
    if entry and entry[0] > time.monotonic():
        return entry
    return None


def remember_data_keys(rows) -> None:
    """Put (key id, master key id, wrapped key or None) rows into the memo."""
    expires = time.monotonic() + KEY_MEMO_SECONDS
    schema = connection.schema_name
    unwrap = _data_key_unwrapper()
    with _memo_lock:
        if len(_memo) > 50_000:
            _memo.clear()
        for key_id, master_key_id, wrapped in rows:
            cipher = AESGCM(unwrap(master_key_id, wrapped)) if wrapped is not None else None
            _memo[(schema, key_id)] = (expires, cipher)


def forget_data_key(key_id: int) -> None:
    with _memo_lock:
        _memo.pop((connection.schema_name, key_id), None)
    ring = _ring.get()
    if ring is not None and ring.schema == connection.schema_name:
        ring.ciphers.pop(key_id, None)


def forget_schema_data_keys() -> None:
    """Drop every memo entry of the current schema (its keys were all destroyed)."""
    schema = connection.schema_name
    with _memo_lock:
        for memo_key in [memo_key for memo_key in _memo if memo_key[0] == schema]:
            del _memo[memo_key]
    ring = _ring.get()
    if ring is not None and ring.schema == schema:
        ring.ciphers.clear()


# --- data keys of one batch: unwrapped for one read of many rows, gone when it ends ---------------
# A page or an export reads many people's values at once. Their keys are unwrapped by one query
# into a ring that lives only while that read runs (R4: no unwrapped key outlives the batch, so a
# shred committed before the next batch starts is honoured in every process). A key missing from
# the ring is read through the memo as before.

class _KeyRing:
    __slots__ = ("schema", "ciphers")

    def __init__(self, schema: str):
        self.schema = schema
        self.ciphers: dict[int, AESGCM | None] = {}


_ring: contextvars.ContextVar[_KeyRing | None] = contextvars.ContextVar("privacy_key_ring", default=None)


@contextmanager
def key_ring(rows):
    """Within the block, values under the (key id, master key id, wrapped key or None) `rows` of the
    current schema decrypt without a memo lookup; a destroyed key (None) reads as destroyed. Nested
    blocks of one schema share the outermost ring; it is dropped when that block ends."""
    schema = connection.schema_name
    outer = _ring.get()
    ring = outer if outer is not None and outer.schema == schema else _KeyRing(schema)
    unwrap = _data_key_unwrapper()
    for key_id, master_key_id, wrapped in rows:
        ring.ciphers[key_id] = AESGCM(unwrap(master_key_id, wrapped)) if wrapped is not None else None
    if ring is outer:
        yield
        return
    token = _ring.set(ring)
    try:
        yield
    finally:
        _ring.reset(token)


_NOT_IN_RING = object()


def _cipher_in(schema: str, key_id: int) -> AESGCM:
    ring = _ring.get()
    if ring is not None and ring.schema == schema:
        cipher = ring.ciphers.get(key_id, _NOT_IN_RING)
        if cipher is None:
            raise KeyDestroyed()
        if cipher is not _NOT_IN_RING:
            return cipher
    return data_cipher(key_id, schema)


def data_cipher(key_id: int, schema: str | None = None) -> AESGCM:
    """The cipher of a data key through the memo (`schema`: the connection's, when already known)."""
    schema = connection.schema_name if schema is None else schema
    entry = _memo_get(schema, key_id)
    if entry is None:
        from privacy.models import PersonKey

        rows = list(PersonKey.objects.filter(pk=key_id).values_list("pk", "master_key_id", "wrapped_key"))
        if not rows:
            raise UnreadableValue("unknown data key")
        remember_data_keys(rows)
        entry = _memo_get(schema, key_id)
    if entry[1] is None:
        raise KeyDestroyed()
    return entry[1]


# --- values -----------------------------------------------------------------------------------

def encrypt(plaintext: str, *, key_id: int, context: str) -> str:
    nonce = os.urandom(12)
    sealed = data_cipher(key_id).encrypt(nonce, plaintext.encode(), f"{key_id}|{context}".encode())
    return f"{TOKEN_VERSION}.{key_id}.{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str, schema: str | None = None) -> str:
    """Plaintext of a stored token; KeyDestroyed after crypto-shredding, UnreadableValue if tampered.

    `schema` is the connection's schema when the caller already holds it (a field reading a row):
    the token is then opened under the batch's key ring when one is active."""
    # One pass over the token: this runs once per value of every page and export.
    try:
        version, key_text, body = token.split(".", 2)
    except ValueError:
        raise UnreadableValue("malformed token") from None
    if version != TOKEN_VERSION:
        raise UnreadableValue("unknown token version")
    try:
        key_id = int(key_text)
        raw = a2b_base64(body)
    except ValueError:
        raise UnreadableValue("malformed token") from None
    cipher = _cipher_in(connection.schema_name if schema is None else schema, key_id)
    try:
        return cipher.decrypt(raw[:12], raw[12:], f"{key_id}|{context}".encode()).decode()
    except InvalidTag:
        raise UnreadableValue("value failed authentication") from None


def encrypt_bytes(content: bytes, *, key_id: int, context: str) -> bytes:
    """A file's bytes sealed like `encrypt()` seals a value (same key, same authenticated context),
    without the base64 of a text token: `v1.<key id>.` then nonce | ciphertext | tag."""
    nonce = os.urandom(12)
    sealed = data_cipher(key_id).encrypt(nonce, bytes(content), f"{key_id}|{context}".encode())
    return f"{TOKEN_VERSION}.{key_id}.".encode() + nonce + sealed


def decrypt_bytes(sealed: bytes, *, context: str) -> bytes:
    """The bytes `encrypt_bytes` sealed; KeyDestroyed after crypto-shredding, UnreadableValue if tampered."""
    sealed = bytes(sealed)
    try:
        version, key_id, raw = sealed.split(b".", 2)
        key_id = int(key_id)
    except ValueError:
        raise UnreadableValue("malformed sealed file") from None
    if version.decode(errors="replace") != TOKEN_VERSION:
        raise UnreadableValue("unknown token version")
    try:
        return _cipher_in(connection.schema_name, key_id).decrypt(raw[:12], raw[12:], f"{key_id}|{context}".encode())
    except InvalidTag:
        raise UnreadableValue("file failed authentication") from None


# --- blind indexes ----------------------------------------------------------------------------

def blind_index(kind: str, value: str) -> str | None:
    """Keyed HMAC of a normalised value, for equality lookups without storing the plaintext.

    `kind` separates value spaces ("mobile", "id_number"): the same digits under two kinds give
    unrelated indexes. Callers normalise first (e.g. the 11-digit mobile form).
    """
    if value in (None, ""):
        return None
    key = settings.PRIVACY_BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()[:40]


# --- bulk helpers (imports of many people at once) ----------------------------------------------

def remember_new_data_keys(pairs) -> None:
    """Put (key id, AESGCM cipher) pairs of keys issued just now into the memo (no unwrapping)."""
    expires = time.monotonic() + KEY_MEMO_SECONDS
    schema = connection.schema_name
    with _memo_lock:
        if len(_memo) > 50_000:
            _memo.clear()
        for key_id, cipher in pairs:
            _memo[(schema, key_id)] = (expires, cipher)


def encrypt_with(cipher: AESGCM, plaintext: str, *, key_id: int, context: str) -> str:
    """`encrypt()` for a caller that already holds the person's cipher (bulk paths): same token."""
    nonce = os.urandom(12)
    sealed = cipher.encrypt(nonce, plaintext.encode(), f"{key_id}|{context}".encode())
    return f"{TOKEN_VERSION}.{key_id}.{base64.b64encode(nonce + sealed).decode()}"


_HMAC_BLOCK = 64  # SHA-256's block size (RFC 2104)
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


def blind_indexer(kind: str):
    """A function computing `blind_index(kind, value)` for many values.

    The same HMAC-SHA256 (RFC 2104), with the key's inner and outer states (and the kind's
    prefix) hashed once: each value then costs two copies of a SHA-256 state, 0.8 µs instead of
    the 2 µs of a one-shot HMAC, which schedules the key again for every value. It is checked
    against `blind_index` before it is handed out."""
    key = settings.PRIVACY_BLIND_INDEX_KEY.encode()
    if len(key) > _HMAC_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_HMAC_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_INNER_PAD))
    inner.update(f"{kind}\x00".encode())
    outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def index(value: str) -> str | None:
        if value in (None, ""):
            return None
        state = inner.copy()
        state.update(value.encode())
        result = outer.copy()
        result.update(state.digest())
        return result.hexdigest()[:40]

    if index("0") != blind_index(kind, "0"):
        raise AssertionError("the bulk blind indexer differs from blind_index()")
    return index
