"""The SQLite store's subject key tables, kept outside the hashed ledger (crypto-shredding)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager

from lineage.faults import reached
from lineage.model.identity import subject_node_id
from lineage.store.sqlite._chunks import rows_in

_SUBJECT_KEY = "SELECT key FROM subject_keys WHERE lookup = ?"
_IDENTITY_OWNER = (
    "SELECT s.lookup, s.key FROM identities i JOIN subject_keys s ON s.handle = i.subject"
    " WHERE i.lookup = ?"
)
_SAVE_SUBJECTS = "INSERT OR IGNORE INTO subject_keys (lookup, key, node) VALUES (?, ?, ?)"
_SAVE_BINDINGS = (
    "INSERT OR REPLACE INTO identities (lookup, subject)"
    " SELECT ?, handle FROM subject_keys WHERE lookup = ?"
)
_SUBJECTS = "SELECT lookup, key FROM subject_keys ORDER BY lookup"
_SUBJECT_NODES = "SELECT lookup, key, node FROM subject_keys ORDER BY lookup"
_DANGLING = (
    "SELECT COUNT(*) FROM identities i LEFT JOIN subject_keys s ON s.handle = i.subject"
    " WHERE s.handle IS NULL"
)
_BINDINGS = (
    "SELECT i.lookup, s.lookup FROM identities i JOIN subject_keys s ON s.handle = i.subject"
    " ORDER BY i.lookup"
)
_LIVE = "SELECT node FROM subject_keys WHERE node IN ({marks})"
_SAVE_SEALED = (
    "INSERT OR REPLACE INTO sealed_ids (lookup, subject, sealed)"
    " SELECT ?, handle, ? FROM subject_keys WHERE lookup = ?"
)
_SUBJECT_OF_NODE = "SELECT lookup, key FROM subject_keys WHERE node = ?"
_SEALED_OF = (
    "SELECT i.lookup, i.sealed FROM sealed_ids i JOIN subject_keys s ON s.handle = i.subject"
    " WHERE s.lookup = ? ORDER BY i.lookup"
)
_ALL_SEALED = (
    "SELECT i.lookup, s.lookup, i.sealed FROM sealed_ids i"
    " JOIN subject_keys s ON s.handle = i.subject ORDER BY i.lookup"
)


def has_sealed_ids(db: sqlite3.Connection) -> bool:
    """Whether the store keeps sealed raw ids (ledgers made before it do not, until they
    are opened for writing)."""
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sealed_ids'"
    ).fetchone()
    return row is not None


def save_identity_rows(
    db: sqlite3.Connection,
    subjects: list[tuple[bytes, bytes]],
    bindings: list[tuple[bytes, bytes]],
    sealed: list[tuple[bytes, bytes, bytes]] | None = None,
) -> dict[bytes, bytes]:
    """Insert new subjects, bindings and sealed raw ids in the current transaction;
    every given subject's stored key (another writer's, if it was first)."""
    db.executemany(
        _SAVE_SUBJECTS, [(lookup, key, subject_node_id(key)) for lookup, key in subjects]
    )
    db.executemany(_SAVE_BINDINGS, bindings)
    if sealed:
        db.executemany(_SAVE_SEALED, [(lookup, box, owner) for lookup, owner, box in sealed])
    stored: dict[bytes, bytes] = {}
    for lookup, _ in subjects:
        row = db.execute(_SUBJECT_KEY, (lookup,)).fetchone()
        if row is not None:
            stored[lookup] = bytes(row[0])
    return stored


def _pairs(cursor: sqlite3.Cursor) -> Iterator[tuple[bytes, bytes]]:
    while rows := cursor.fetchmany(1000):
        for first, second in rows:
            yield bytes(first), bytes(second)


class SqliteIdentities:
    """The subject key tables of one SQLite store (:class:`lineage.model.identity.IdentityStore`).

    Writes run in their own transactions (``transaction``); an erasure is followed by
    ``after_erasure``, which empties the write-ahead log so no copy of the key remains.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        transaction: Callable[[], AbstractContextManager[None]],
        after_erasure: Callable[[], None],
    ) -> None:
        self._db = db
        self._transaction = transaction
        self._after_erasure = after_erasure

    def index_key(self) -> bytes:
        """The store's key of raw-id lookups."""
        row = self._db.execute("SELECT value FROM key_secrets WHERE name = 'index'").fetchone()
        return bytes(row[0])

    def subject_key(self, lookup: bytes) -> bytes | None:
        """The key of the subject with this lookup, if it exists."""
        row = self._db.execute(_SUBJECT_KEY, (lookup,)).fetchone()
        return bytes(row[0]) if row else None

    def identity_owner(self, lookup: bytes) -> tuple[bytes, bytes] | None:
        """(subject lookup, subject key) of the subject a raw-id lookup is bound to."""
        row = self._db.execute(_IDENTITY_OWNER, (lookup,)).fetchone()
        return (bytes(row[0]), bytes(row[1])) if row else None

    def iter_subjects(self) -> Iterator[tuple[bytes, bytes]]:
        """Every subject as (lookup, key), in lookup order."""
        return _pairs(self._db.execute(_SUBJECTS))

    def iter_bindings(self) -> Iterator[tuple[bytes, bytes]]:
        """Every raw-id binding as (lookup, subject lookup), in lookup order."""
        return _pairs(self._db.execute(_BINDINGS))

    def iter_subject_nodes(self) -> Iterator[tuple[bytes, bytes, str]]:
        """Every subject as (lookup, key, stored node id), in lookup order."""
        cursor = self._db.execute(_SUBJECT_NODES)
        while rows := cursor.fetchmany(1000):
            for lookup, key, node in rows:
                yield bytes(lookup), bytes(key), str(node)

    def dangling_bindings(self) -> int:
        """How many raw-id bindings point at no subject."""
        return int(self._db.execute(_DANGLING).fetchone()[0])

    def erase_subject(self, lookup: bytes) -> bool:
        """Deleted rows are overwritten in place (the store runs with ``secure_delete``)
        and the write-ahead log is then checkpointed and truncated, so neither file keeps
        a copy."""
        with self._transaction():
            row = self._db.execute(
                "SELECT handle FROM subject_keys WHERE lookup = ?", (lookup,)
            ).fetchone()
            if row is not None:
                if has_sealed_ids(self._db):
                    self._db.execute("DELETE FROM sealed_ids WHERE subject = ?", (row[0],))
                self._db.execute("DELETE FROM identities WHERE subject = ?", (row[0],))
                self._db.execute("DELETE FROM subject_keys WHERE handle = ?", (row[0],))
        if row is None:
            return False
        reached("erase.after-key-deletion")
        self._after_erasure()
        return True

    def scrub(self) -> None:
        """Checkpoint and truncate the write-ahead log (no copy of a deleted key stays)."""
        self._after_erasure()

    def live_subjects(self, nodes: Iterable[str]) -> set[str]:
        """The subject node ids among ``nodes`` whose key still exists."""
        return {r[0] for r in rows_in(self._db, _LIVE, sorted(set(nodes)))}

    def subject_of_node(self, node: str) -> tuple[bytes, bytes] | None:
        """(lookup, key) of the subject whose graph id is ``node``, if it exists."""
        row = self._db.execute(_SUBJECT_OF_NODE, (node,)).fetchone()
        return (bytes(row[0]), bytes(row[1])) if row else None

    def sealed_of(self, subject_lookup: bytes) -> list[tuple[bytes, bytes]]:
        """The subject's sealed raw ids as (lookup, sealed bytes)."""
        if not has_sealed_ids(self._db):
            return []
        return list(_pairs(self._db.execute(_SEALED_OF, (subject_lookup,))))

    def iter_sealed(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Every sealed raw id as (lookup, subject lookup, sealed bytes), in lookup order."""
        if not has_sealed_ids(self._db):
            return
        cursor = self._db.execute(_ALL_SEALED)
        while rows := cursor.fetchmany(1000):
            for lookup, subject, sealed in rows:
                yield bytes(lookup), bytes(subject), bytes(sealed)
