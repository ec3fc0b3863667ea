"""Personal identifiers as keyed pseudonyms under per-subject keys (crypto-shredding).

Each subject (author) gets a random 32-byte key, kept in the store's key tables,
outside the hashed ledger. Everything personal that enters the ledger — the
author's id, platform post ids, record ids, content digests — is an HMAC under
that key. Erasing the subject deletes the key and the lookup rows: the ledger
still verifies, and nothing left in the store links its pseudonyms to the person.

Raw ids are found again through lookup rows keyed with the store's index key
(``HMAC(index key, kind || 0 || raw id)`` → subject): a lookup by a real id works
while the subject exists, and the rows go with the subject on erasure.

The other way, from a pseudonym to the raw id (``--reveal``, for a privacy team), needs
the raw id itself: each author id and post id is kept sealed (ChaCha20-Poly1305 under a
key derived from the subject key, bound to its lookup), so erasing the subject's key
leaves them unreadable even where a copy of the sealed bytes survives.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from lineage.errors import InputError, StoreError, VerificationError

AUTHOR, POST_ID, RECORD_ID = "author", "post", "record"
"""The kinds of raw platform ids (as :meth:`Identities.lookup` keys them)."""
ID_BYTES = 12
DIGEST_BYTES = 16
NONCE_BYTES = 12
MAX_RAW_ID = 512
_CACHE_SIZE = 50_000


class KeySource(Protocol):
    """Where new subject keys come from (see :class:`Identities`)."""

    def new_key(self) -> bytes:
        """A new 32-byte subject key."""
        ...


class SystemKeySource:
    """Subject keys from the operating system's CSPRNG: the only choice for real data."""

    def new_key(self) -> bytes:
        """A new random 32-byte subject key from ``os.urandom``."""
        return os.urandom(32)


class SeededKeySource:
    """Reproducible keys for tests and benchmarks that compare two runs byte for byte, and
    never for people's data: anyone with the seed can derive every key (and so undo an
    erasure)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed.to_bytes(16, "big", signed=True)
        self._counter = 0

    def new_key(self) -> bytes:
        """The next 32-byte key derived from the seed and a counter."""
        self._counter += 1
        return hashlib.sha256(
            b"lineage-seeded-key" + self._seed + self._counter.to_bytes(8, "big")
        ).digest()


class IdentityWriter(Protocol):
    """Where new subject keys and raw-id bindings are written: an append session, so
    that they are committed with the statements made of them, or not at all."""

    def save_identities(
        self,
        subjects: list[tuple[bytes, bytes]],
        identities: list[tuple[bytes, bytes]],
        sealed: list[tuple[bytes, bytes, bytes]] | None = None,
    ) -> dict[bytes, bytes]:
        """Insert new subjects (lookup, key) unless present, identity rows (lookup,
        subject lookup) and sealed raw ids (lookup, subject lookup, sealed bytes); return
        every given subject's stored key."""
        ...


class IdentityStore(Protocol):
    """The key tables a store keeps outside the hashed ledger."""

    def index_key(self) -> bytes:
        """The store's secret key for raw-id lookups."""
        ...

    def subject_key(self, lookup: bytes) -> bytes | None:
        """The key of the subject with this lookup, if it exists."""
        ...

    def identity_owner(self, lookup: bytes) -> tuple[bytes, bytes] | None:
        """(subject lookup, subject key) of the subject a raw-id lookup is bound to."""
        ...

    def iter_subjects(self) -> Iterator[tuple[bytes, bytes]]:
        """Every subject as (lookup, key), in lookup order."""
        ...

    def iter_bindings(self) -> Iterator[tuple[bytes, bytes]]:
        """Every raw-id binding as (lookup, subject lookup), in lookup order."""
        ...

    def iter_subject_nodes(self) -> Iterator[tuple[bytes, bytes, str]]:
        """Every subject as (lookup, key, the node id stored beside them), in lookup order."""
        ...

    def dangling_bindings(self) -> int:
        """How many raw-id bindings point at no subject."""
        ...

    def erase_subject(self, lookup: bytes) -> bool:
        """Delete the subject's key and every raw-id binding to it, leaving no copy in
        the store's files that the store can remove; False if there was no such subject."""
        ...

    def scrub(self) -> None:
        """Remove from the store's files what deleted rows may have left (SQLite: the
        write-ahead log's copies); erasure calls it even when nothing is left to delete."""
        ...

    def live_subjects(self, nodes: Iterable[str]) -> set[str]:
        """The subject node ids among ``nodes`` whose key still exists."""
        ...

    def subject_of_node(self, node: str) -> tuple[bytes, bytes] | None:
        """(lookup, key) of the subject whose graph id is ``node``, if it exists."""
        ...

    def sealed_of(self, subject_lookup: bytes) -> list[tuple[bytes, bytes]]:
        """The subject's sealed raw ids as (lookup, sealed bytes): its author id (under
        the subject's own lookup) and its posts' ids."""
        ...

    def iter_sealed(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Every sealed raw id as (lookup, subject lookup, sealed bytes), in lookup order."""
        ...


@dataclass(frozen=True)
class Subject:
    """A person's subject: its lookup and key, which derive all their pseudonyms."""

    lookup: bytes
    key: bytes

    def _mac(self, label: bytes, value: str | bytes, size: int) -> str:
        data = value.encode() if isinstance(value, str) else value
        return hmac.digest(self.key, label + b"\0" + data, "sha256")[:size].hex()

    @property
    def node_id(self) -> str:
        """The subject's graph id (``subject:…``)."""
        return subject_node_id(self.key)

    def post_id(self, raw: str) -> str:
        """The pseudonymous graph id (``post:…``) of this subject's post ``raw``."""
        return "post:" + self._mac(b"post", raw, ID_BYTES)

    def record_id(self, raw: str) -> str:
        """The pseudonymous graph id (``rec:…``) of this subject's record ``raw``."""
        return "rec:" + self._mac(b"record", raw, ID_BYTES)

    def author_binding(self, author: str) -> str:
        """A keyed check value binding this subject's key to the raw author id: recorded
        with the subject node, it lets anyone holding the key and the id confirm that a
        key-table row really belongs to that author (and no one else's key is erased)."""
        return self._mac(b"author", author, ID_BYTES)

    def content_digest(self, sha256_hex: str) -> str:
        """The keyed pseudonym of a content SHA-256 (hex) of this subject's data."""
        return self._mac(b"content", sha256_hex, DIGEST_BYTES)

    def _sealing(self) -> ChaCha20Poly1305:
        return _sealer(self.key)

    def seal(self, raw: str, lookup: bytes) -> bytes:
        """``raw`` encrypted under this subject's key, bound to its ``lookup`` row."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._sealing().encrypt(nonce, raw.encode(), lookup)

    def unseal(self, sealed: bytes, lookup: bytes) -> str:
        """The raw id ``sealed`` holds; :class:`VerificationError` if it was not sealed
        under this key for ``lookup`` (a row moved or altered)."""
        try:
            plain = self._sealing().decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], lookup)
        except (InvalidTag, ValueError) as error:
            raise VerificationError(
                "a sealed raw id does not open under its subject's key"
            ) from error
        return plain.decode()


@lru_cache(maxsize=4096)
def _sealer(key: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(hmac.digest(key, b"seal\0", "sha256"))


@lru_cache(maxsize=4096)
def subject_node_id(key: bytes) -> str:
    """The graph id of the subject with this key (only the key links it to the person)."""
    return "subject:" + hmac.digest(key, b"subject\0", "sha256")[:ID_BYTES].hex()


def _check_raw(raw: str, what: str) -> str:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_RAW_ID:
        raise InputError(f"{what} id must be a string of 1-{MAX_RAW_ID} characters")
    return raw


@dataclass(frozen=True)
class PendingIdentities:
    """New subjects and id bindings not yet written to the key tables."""

    subjects: list[Subject]
    bindings: list[tuple[bytes, bytes]]
    sealed: list[tuple[bytes, bytes, bytes]] = field(default_factory=list)

    def save(self, store: IdentityWriter) -> None:
        """Write them; fails if another writer chose other keys for the same subjects."""
        stored = store.save_identities(
            [(s.lookup, s.key) for s in self.subjects], self.bindings, self.sealed
        )
        for subject in self.subjects:
            if stored[subject.lookup] != subject.key:
                raise StoreError(
                    "another writer created keys for the same subjects at the"
                    " same time; run the ingest again"
                )


class Identities:
    """Pseudonymisation for one store: creates subjects on first sight, resolves raw ids.

    New subjects and bindings stay in memory from their first sight until the append
    that writes them with the statements made of them (:meth:`take_pending`, then
    :meth:`confirm`, or :meth:`restore` if that append failed); every lookup sees them
    meanwhile.
    """

    def __init__(self, store: IdentityStore, keys: KeySource | None = None) -> None:
        self._store = store
        self._keys = keys or SystemKeySource()
        self._index_key = store.index_key()
        self._subjects: OrderedDict[bytes, Subject] = OrderedDict()
        self._unwritten: dict[bytes, Subject] = {}
        self._pending_subjects: list[Subject] = []
        self._pending_ids: dict[bytes, bytes] = {}
        self._pending_sealed: dict[bytes, tuple[bytes, bytes]] = {}
        self._id_cache: OrderedDict[bytes, bytes] = OrderedDict()

    def lookup(self, kind: str, raw: str) -> bytes:
        """The lookup key of raw id ``raw`` of ``kind``: an HMAC under the store's index key."""
        return hmac.digest(self._index_key, kind.encode() + b"\0" + raw.encode(), "sha256")

    def _remember(self, subject: Subject) -> Subject:
        self._subjects[subject.lookup] = subject
        self._subjects.move_to_end(subject.lookup)
        if len(self._subjects) > _CACHE_SIZE:
            self._subjects.popitem(last=False)
        return subject

    def _known(self, lookup: bytes) -> Subject | None:
        return self._subjects.get(lookup) or self._unwritten.get(lookup)

    def subject(self, author: str, *, create: bool = True) -> Subject | None:
        """The subject for a platform author id (e.g. ``fb:user:42``)."""
        lookup = self.lookup("author", _check_raw(author, "author"))
        cached = self._known(lookup)
        if cached is not None:
            return cached
        stored = self._store.subject_key(lookup)
        if stored is not None:
            return self._remember(Subject(lookup, stored))
        if not create:
            return None
        subject = Subject(lookup, self._keys.new_key())
        self._unwritten[lookup] = subject
        self._pending_subjects.append(subject)
        self._pending_sealed[lookup] = (lookup, subject.seal(author, lookup))
        return subject

    def bind(self, kind: str, raw: str, subject: Subject) -> None:
        """Remember that raw id ``raw`` (a post or record) belongs to ``subject``."""
        lookup = self.lookup(kind, _check_raw(raw, kind))
        if self._id_cache.get(lookup) == subject.lookup:
            return
        self._pending_ids[lookup] = subject.lookup
        if kind == POST_ID:
            self._pending_sealed[lookup] = (subject.lookup, subject.seal(raw, lookup))
        self._cache_id(lookup, subject.lookup)

    def _cache_id(self, lookup: bytes, subject_lookup: bytes) -> None:
        self._id_cache[lookup] = subject_lookup
        if len(self._id_cache) > _CACHE_SIZE:
            self._id_cache.popitem(last=False)

    def owner(self, kind: str, raw: str) -> Subject | None:
        """The subject a raw post or record id was bound to, if it still exists."""
        lookup = self.lookup(kind, _check_raw(raw, kind))
        subject_lookup = self._id_cache.get(lookup)
        if subject_lookup is not None:
            cached = self._known(subject_lookup)
            if cached is not None:
                return cached
        owner = self._store.identity_owner(lookup)
        if owner is None:
            return None
        self._cache_id(lookup, owner[0])
        return self._remember(Subject(owner[0], owner[1]))

    def resolve(self, kind: str, raw: str) -> tuple[Subject, str] | None:
        """The subject and graph id of a raw platform id: ``kind`` is ``author``, ``post``
        or ``record``. None if the ledger holds no such id (or its author was erased)."""
        if kind == AUTHOR:
            subject = self.subject(raw, create=False)
            return (subject, subject.node_id) if subject is not None else None
        owner = self.owner(kind, raw)
        if owner is None:
            return None
        return owner, owner.post_id(raw) if kind == POST_ID else owner.record_id(raw)

    def take_pending(self) -> PendingIdentities | None:
        """Hand over what is not written yet; it stays visible until :meth:`confirm`."""
        if not self._pending_subjects and not self._pending_ids:
            return None
        sealed = [(lookup, owner, box) for lookup, (owner, box) in self._pending_sealed.items()]
        pending = PendingIdentities(self._pending_subjects, list(self._pending_ids.items()), sealed)
        self._pending_subjects, self._pending_ids, self._pending_sealed = [], {}, {}
        return pending

    def restore(self, pending: PendingIdentities | None) -> None:
        """``pending`` was not written (its append failed): keep it for the next one."""
        if pending is None:
            return
        self._pending_subjects[:0] = pending.subjects
        for lookup, subject in pending.bindings:
            self._pending_ids.setdefault(lookup, subject)
        for lookup, owner, box in pending.sealed:
            self._pending_sealed.setdefault(lookup, (owner, box))

    def confirm(self, pending: PendingIdentities) -> None:
        """``pending`` is committed: its subjects move to the ordinary cache."""
        for subject in pending.subjects:
            self._unwritten.pop(subject.lookup, None)
            self._remember(subject)
