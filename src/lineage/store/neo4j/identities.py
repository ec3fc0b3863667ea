"""The Neo4j store's subject key tables, kept outside the hashed ledger (crypto-shredding):
``(:SubjectKey {lookup, key, node})``, ``(:IdentityBinding {lookup, subject})``,
``(:SealedId {lookup, subject, sealed})`` and the index key ``(:KeySecret {name:
'index'})``; lookups are kept as hex strings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager

from lineage.errors import StoreError
from lineage.faults import reached
from lineage.model.identity import subject_node_id
from lineage.store.neo4j._cypher import Run, in_chunks, pages

_INDEX_KEY = "MATCH (k:KeySecret {name: 'index'}) RETURN k.value"
_SUBJECT_KEY = "MATCH (s:SubjectKey {lookup: $lookup}) RETURN s.key"
_IDENTITY_OWNER = (
    "MATCH (i:IdentityBinding {lookup: $lookup}) MATCH (s:SubjectKey {lookup: i.subject})"
    " RETURN s.lookup, s.key"
)
_SAVE_SUBJECTS = (
    "UNWIND $rows AS r MERGE (s:SubjectKey {lookup: r[0]})"
    " ON CREATE SET s.key = r[1], s.node = r[2]"
)
_ERASE_SUBJECT = (
    "MATCH (s:SubjectKey {lookup: $lookup})"
    " OPTIONAL MATCH (i:IdentityBinding {subject: $lookup})"
    " WITH s, collect(i) AS bindings FOREACH (b IN bindings | DELETE b)"
    " WITH s OPTIONAL MATCH (x:SealedId {subject: $lookup})"
    " WITH s, collect(x) AS sealed FOREACH (x IN sealed | DELETE x)"
    " DELETE s RETURN count(s)"
)
_SAVE_SEALED = (
    "UNWIND $rows AS r MATCH (:SubjectKey {lookup: r[1]})"
    " MERGE (x:SealedId {lookup: r[0]}) SET x.subject = r[1], x.sealed = r[2]"
)
_SUBJECT_OF_NODE = "MATCH (s:SubjectKey {node: $node}) RETURN s.lookup, s.key"
_SEALED_OF = "MATCH (x:SealedId {subject: $subject}) RETURN x.lookup, x.sealed ORDER BY x.lookup"
_SEALED_PAGE = (
    "MATCH (x:SealedId) WHERE x.lookup > $after MATCH (s:SubjectKey {lookup: x.subject})"
    " RETURN x.lookup, s.lookup, x.sealed ORDER BY x.lookup LIMIT $page"
)
_LIVE_SUBJECTS = "UNWIND $nodes AS n MATCH (s:SubjectKey {node: n}) RETURN s.node"
_SAVE_BINDINGS = (
    "UNWIND $rows AS r MATCH (s:SubjectKey {lookup: r[1]})"
    " MERGE (i:IdentityBinding {lookup: r[0]}) SET i.subject = r[1]"
)
_STORED_SUBJECTS = "UNWIND $lookups AS l MATCH (s:SubjectKey {lookup: l}) RETURN s.lookup, s.key"
_SUBJECTS_PAGE = (
    "MATCH (s:SubjectKey) WHERE s.lookup > $after RETURN s.lookup, s.key"
    " ORDER BY s.lookup LIMIT $page"
)
_SUBJECT_NODES_PAGE = (
    "MATCH (s:SubjectKey) WHERE s.lookup > $after RETURN s.lookup, s.key, s.node"
    " ORDER BY s.lookup LIMIT $page"
)
_DANGLING = (
    "MATCH (i:IdentityBinding) WHERE NOT EXISTS { MATCH (:SubjectKey {lookup: i.subject}) }"
    " RETURN count(i)"
)
_BINDINGS_PAGE = (
    "MATCH (i:IdentityBinding) WHERE i.lookup > $after MATCH (s:SubjectKey {lookup: i.subject})"
    " RETURN i.lookup, s.lookup ORDER BY i.lookup LIMIT $page"
)


def save_identity_rows(
    run: Run,
    subjects: list[tuple[bytes, bytes]],
    bindings: list[tuple[bytes, bytes]],
    sealed: list[tuple[bytes, bytes, bytes]] | None = None,
) -> dict[bytes, bytes]:
    """Insert new subjects, bindings and sealed raw ids in the transaction ``run`` runs
    in; every given subject's stored key (another writer's, if it was first)."""
    subject_rows = [[lookup.hex(), key, subject_node_id(key)] for lookup, key in subjects]
    binding_rows = [[lookup.hex(), subject.hex()] for lookup, subject in bindings]
    in_chunks(run, _SAVE_SUBJECTS, subject_rows)
    in_chunks(run, _SAVE_BINDINGS, binding_rows)
    if sealed:
        sealed_rows = [[lookup.hex(), owner.hex(), box] for lookup, owner, box in sealed]
        in_chunks(run, _SAVE_SEALED, sealed_rows)
    lookups = [row[0] for row in subject_rows]
    rows = in_chunks(run, _STORED_SUBJECTS, lookups, name="lookups")
    return {bytes.fromhex(r[0]): bytes(r[1]) for r in rows}


class Neo4jIdentities:
    """The subject key tables of one Neo4j store (lookups kept as hex strings)."""

    def __init__(
        self, display: str, read: Run, locked_write: Callable[[], AbstractContextManager[Run]]
    ) -> None:
        self._display = display
        self._read = read
        self._locked_write = locked_write

    def index_key(self) -> bytes:
        """The store's key of raw-id lookups."""
        rows = self._read(_INDEX_KEY, {})
        if not rows:
            raise StoreError(f"{self._display}: the identity index key is missing")
        return bytes(rows[0][0])

    def subject_key(self, lookup: bytes) -> bytes | None:
        """The key of the subject with this lookup, if it exists."""
        rows = self._read(_SUBJECT_KEY, {"lookup": lookup.hex()})
        return bytes(rows[0][0]) if rows else None

    def identity_owner(self, lookup: bytes) -> tuple[bytes, bytes] | None:
        """(subject lookup, subject key) of the subject a raw-id lookup is bound to."""
        rows = self._read(_IDENTITY_OWNER, {"lookup": lookup.hex()})
        return (bytes.fromhex(rows[0][0]), bytes(rows[0][1])) if rows else None

    def iter_subjects(self) -> Iterator[tuple[bytes, bytes]]:
        """Every subject as (lookup, key), in lookup order."""
        for lookup, key in pages(self._read, _SUBJECTS_PAGE, ""):
            yield bytes.fromhex(lookup), bytes(key)

    def iter_bindings(self) -> Iterator[tuple[bytes, bytes]]:
        """Every raw-id binding as (lookup, subject lookup), in lookup order."""
        for lookup, subject in pages(self._read, _BINDINGS_PAGE, ""):
            yield bytes.fromhex(lookup), bytes.fromhex(subject)

    def iter_subject_nodes(self) -> Iterator[tuple[bytes, bytes, str]]:
        """Every subject as (lookup, key, stored node id), in lookup order."""
        for lookup, key, node in pages(self._read, _SUBJECT_NODES_PAGE, ""):
            yield bytes.fromhex(lookup), bytes(key), str(node)

    def dangling_bindings(self) -> int:
        """How many raw-id bindings point at no subject."""
        rows = self._read(_DANGLING, {})
        return int(rows[0][0]) if rows else 0

    def erase_subject(self, lookup: bytes) -> bool:
        """Deletes the nodes; Neo4j reuses their space in its store files later (compact
        them, e.g. with ``neo4j-admin database copy``, to be sure no copy remains)."""
        with self._locked_write() as run:
            rows = run(_ERASE_SUBJECT, {"lookup": lookup.hex()})
        erased = bool(rows and rows[0][0])
        if erased:
            reached("erase.after-key-deletion")
        return erased

    def scrub(self) -> None:
        """Nothing to do from here: Neo4j reuses freed space in its store files later
        (compact them, e.g. with ``neo4j-admin database copy``, to be sure)."""

    def live_subjects(self, nodes: Iterable[str]) -> set[str]:
        """The subject node ids among ``nodes`` whose key still exists."""
        wanted = sorted(set(nodes))
        rows = in_chunks(self._read, _LIVE_SUBJECTS, wanted, name="nodes")
        return {r[0] for r in rows}

    def subject_of_node(self, node: str) -> tuple[bytes, bytes] | None:
        """(lookup, key) of the subject whose graph id is ``node``, if it exists."""
        rows = self._read(_SUBJECT_OF_NODE, {"node": node})
        return (bytes.fromhex(rows[0][0]), bytes(rows[0][1])) if rows else None

    def sealed_of(self, subject_lookup: bytes) -> list[tuple[bytes, bytes]]:
        """The subject's sealed raw ids as (lookup, sealed bytes)."""
        rows = self._read(_SEALED_OF, {"subject": subject_lookup.hex()})
        return [(bytes.fromhex(lookup), bytes(box)) for lookup, box in rows]

    def iter_sealed(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Every sealed raw id as (lookup, subject lookup, sealed bytes), in lookup order."""
        for lookup, subject, box in pages(self._read, _SEALED_PAGE, ""):
            yield bytes.fromhex(lookup), bytes.fromhex(subject), bytes(box)
