"""The store contract: what every backend (SQLite, Neo4j) provides to the ledger and the
queries.

A store keeps the log entries, the hash of every complete subtree, the signed
checkpoints, the signer registry projected from the entries, the graph projection, and
small metadata. Writes happen only inside :meth:`Store.append_session`, which commits
everything it was given at once or nothing.

The graph reads (:class:`GraphReads`) are primitives: nodes, edges, drops, requests,
reachability, and the origins of packed records. Questions such as "the origins of a
shard with their attributes" are composed from them in :mod:`lineage.query` and
:mod:`lineage.policy`, once for every store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeVar, cast

from lineage.crypto.merkle.nodes import NodeId
from lineage.errors import StoreError
from lineage.model.identity import IdentityStore
from lineage.model.rows import (
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    PackedOrigin,
    ProjectionRow,
    RequestRow,
    StatementRow,
)
from lineage.model.signer import Signer

SCHEMA_VERSION = "3"
ENTRIES_PAGE = 64
"""Entries a store reads at a time when iterating: a statement of a thousand edges is
about 100 kB, so pages are counted in tens, not thousands."""
MAX_EDGES_LISTED = 1_000_000
"""The default bound of :meth:`GraphReads.edges_of`."""


@dataclass(frozen=True)
class RowDifference:
    """A row of a projection table that the store holds otherwise than the entries
    assert: ``missing`` (``row`` is the asserted one), ``extra`` (``row`` is stored, no
    entry asserts it) or ``differs`` (``row`` is the asserted one)."""

    kind: Literal["missing", "extra", "differs"]
    row: ProjectionRow


class LogReads(Protocol):
    """Reads of the log shared by a store and an open append session."""

    def size(self) -> int:
        """Number of entries in the log."""
        ...

    def get_nodes(self, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Stored hashes of the requested complete subtrees (absent ones are left out)."""
        ...

    def signers(self) -> list[Signer]:
        """The signer registry as the store keeps it, in registration order."""
        ...


class AppendSession(LogReads, Protocol):
    """One atomic append: everything added is committed together, or nothing is."""

    def existing_leaves(self, leaf_hashes: Sequence[bytes]) -> set[bytes]:
        """Which of these leaf hashes are already entries of the log."""
        ...

    def add_entries(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Rows of (index, leaf hash, entry bytes)."""
        ...

    def add_batches(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Rows of (entry index, batch items) for Lineage/v2 entries of this append."""
        ...

    def add_nodes(self, rows: Sequence[tuple[NodeId, bytes]]) -> None:
        """Store the hashes of newly completed subtrees."""
        ...

    def put_signer(self, signer: Signer) -> None:
        """Store a signer's registry row, replacing the one with the same key id."""
        ...

    def add_checkpoint(self, size: int, note: str) -> None:
        """Store the signed checkpoint note of the tree of ``size`` entries."""
        ...

    def cosign_checkpoint(self, size: int, lines: dict[str, str]) -> None:
        """Add witness cosignature lines (by witness name) to the stored note of the
        checkpoint of ``size`` (:func:`lineage.crypto.note.with_signature_lines`)."""
        ...

    def existing_nodes(self, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(kind, attributes JSON, entry) of those graph nodes that are already stored."""
        ...

    def meta_value(self, key: str) -> str | None:
        """One metadata value, read in this append's transaction."""
        ...

    def put_meta(self, key: str, value: str) -> None:
        """Set one metadata value (the signer registry's seal)."""
        ...

    def save_identities(
        self,
        subjects: list[tuple[bytes, bytes]],
        bindings: list[tuple[bytes, bytes]],
        sealed: list[tuple[bytes, bytes, bytes]] | None = None,
    ) -> dict[bytes, bytes]:
        """Insert new subjects (lookup, key) unless present, raw-id bindings (lookup,
        subject lookup) and sealed raw ids (lookup, subject lookup, sealed bytes) with
        this append; every given subject's stored key."""
        ...

    def add_graph(self, batch: GraphBatch) -> None:
        """Write projection rows; nodes, edges and drops already stored are kept as they are.

        Raises :class:`lineage.errors.NodeConflictError` if a node is already stored (or
        appears earlier in the batch) with another kind or other attributes.
        """
        ...


class GraphReads(Protocol):
    """The graph projection's primitives; every store implements them, and everything
    above the store composes them."""

    def node(self, node_id: str) -> NodeRow | None:
        """The node with this id, if an entry declared it."""
        ...

    def nodes(self, ids: Sequence[str]) -> dict[str, NodeRow]:
        """The declared nodes among ``ids``, by id."""
        ...

    def edges_of(
        self,
        node_id: str,
        as_of_us: int | None = None,
        *,
        downstream_only: bool = False,
        limit: int = MAX_EDGES_LISTED,
    ) -> list[EdgeRow]:
        """Up to ``limit`` edges with ``node_id`` at either end (or only those leading
        downstream from it), asserted by ``as_of_us``."""
        ...

    def nodes_of_kind(self, kind: str, limit: int) -> tuple[int, list[NodeRow]]:
        """How many nodes of ``kind`` entries declared, and the first ``limit`` of them
        in (entry, id) order."""
        ...

    def find_nodes(self, text: str, limit: int) -> list[NodeRow]:
        """Up to ``limit`` declared nodes whose id contains ``text`` (ignoring case), in
        id order."""
        ...

    def edges_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> list[EdgeRow]:
        """The ``kind`` edges whose downstream end is one of ``nodes``, asserted by
        ``as_of_us``, ordered by (downstream, upstream)."""
        ...

    def count_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> dict[str, int]:
        """How many ``kind`` edges asserted by ``as_of_us`` lead into each of ``nodes``
        (those with none are left out)."""
        ...

    def count_out_of(self, nodes: Sequence[str], kind: str) -> dict[str, int]:
        """How many ``kind`` edges lead out of (downstream from) each of ``nodes``
        (those with none are left out)."""
        ...

    def drops_of(self, nodes: Sequence[str], as_of_us: int | None = None) -> list[DropRow]:
        """The drops recorded against any of ``nodes`` by ``as_of_us``, in (entry, node)
        order."""
        ...

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        """Every node reachable from ``root`` against (upstream) or with the data flow,
        ``root`` included, each once; a node an edge names but no entry declares comes
        with kind ``""``."""
        ...

    def statements(self, entries: Iterable[int]) -> dict[int, StatementRow]:
        """The statement rows of these entries, by entry."""
        ...

    def entries_of_type(self, predicate_types: Sequence[str]) -> list[int]:
        """The entries whose statements are of these predicate types, in order."""
        ...

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        """(entry, reason, count) over all drops."""
        ...

    def requests_of(self, targets: Iterable[str], as_of_us: int | None = None) -> list[RequestRow]:
        """Requests about any of ``targets`` recorded by ``as_of_us``, in key order."""
        ...

    def packed_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[PackedOrigin]:
        """Every record packed into each shard by ``as_of_us``, once per post it derives
        from (origin None: no complete path to a post). The path entries are not bounded
        by ``as_of_us``: callers compare their entries' times."""
        ...


class DerivedRebuild(Protocol):
    """A derived table being recomputed from the projection's rows."""

    def add(self, batch: GraphBatch) -> None:
        """Feed the rows of the next entries (in entry order)."""
        ...

    def rows(self) -> Iterator[ProjectionRow]:
        """The recomputed rows, in the order :meth:`Store.iter_rows` gives the stored ones."""
        ...


class DerivedTable(Protocol):
    """A table a store derives from the projection for speed (SQLite's ancestry index);
    ``verify`` recomputes it with the store's own code and compares it row by row."""

    name: str
    """The table's name for :meth:`Store.iter_rows`."""
    label: str
    """What a row is, in problem reports."""

    def rebuild(self) -> AbstractContextManager[DerivedRebuild]:
        """A scratch recomputation, discarded at the end of the block."""
        ...


class Store(LogReads, GraphReads, Protocol):
    """The contract every backend implements: log, tree, checkpoints, projection and keys."""

    url: str
    """Names the store in messages; never carries a password."""
    open_url: str
    """Opens the store again (another process); may carry credentials: never print it."""

    def is_initialized(self) -> bool:
        """Whether the store already holds a ledger (its schema and metadata)."""
        ...

    def initialize(self, meta: dict[str, str], index_key: bytes | None = None) -> None:
        """Create the schema and record ``meta``; refuses an initialised store.

        ``index_key`` keys the raw-id lookups (random unless a copy brings its own)."""
        ...

    def is_empty(self) -> bool:
        """Whether the store holds nothing at all (a copy goes only into such a store)."""
        ...

    def create_session(
        self, meta: dict[str, str], index_key: bytes | None = None
    ) -> AbstractContextManager[AppendSession]:
        """Create a ledger in an empty store and write into it, all in one transaction:
        a crash leaves the store as empty as it was. Refuses a store holding anything."""
        ...

    def meta(self) -> dict[str, str]:
        """The ledger's metadata (origin, log key); refuses a store of another schema version."""
        ...

    def meta_value(self, key: str) -> str | None:
        """One metadata value, or None."""
        ...

    def append_session(self) -> AbstractContextManager[AppendSession]:
        """Serialised with every other writer; commits on success, rolls back on error."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """A consistent read view for the duration of the block."""
        ...

    def entry(self, index: int) -> tuple[bytes, bytes] | None:
        """(leaf hash, entry bytes) of entry ``index``."""
        ...

    def batch(self, index: int) -> bytes | None:
        """The batch items stored beside entry ``index`` (None for an entry without)."""
        ...

    def iter_batches(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """(entry index, batch items) of every entry that has them, in index order."""
        ...

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The index of the entry with this leaf hash, or None if it is not in the log."""
        ...

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes, bytes]]:
        """(index, leaf hash, entry bytes) in index order."""
        ...

    def iter_tree_nodes(self) -> Iterator[tuple[NodeId, bytes]]:
        """Every stored complete-subtree hash, in the order of :func:`node_key`."""
        ...

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        """(size, signed note) in size order."""
        ...

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the newest checkpoint, or None if there is none."""
        ...

    def checkpoint_at(self, size: int) -> str | None:
        """The signed checkpoint note of the tree of ``size`` entries, or None."""
        ...

    def derived_tables(self) -> Sequence[DerivedTable]:
        """Tables the store derives from the projection for speed (none on Neo4j)."""
        ...

    def iter_rows(self, table: str) -> Iterator[ProjectionRow]:
        """Rows of one of :data:`PROJECTION_TABLES` in key order."""
        ...

    def compare_rows(
        self, table: str, expected: Callable[[], Path]
    ) -> Iterator[RowDifference] | None:
        """The rows of ``table`` that differ from those the entries assert, in key order;
        None if this store compares row by row instead (through :meth:`iter_rows`).
        ``expected()`` writes the asserted rows to a Parquet file (first of each key, in
        key order, the row type's fields as columns) and returns its path."""
        ...

    def identities(self) -> IdentityStore:
        """The subject key tables, kept outside the hashed ledger."""
        ...

    def integrity_problems(self) -> list[str]:
        """Problems the backend itself finds in its files (indexes, pages); empty if none."""
        ...

    def close(self) -> None:
        """Close the store's connections."""
        ...


R = TypeVar("R", NodeRow, EdgeRow, DropRow, StatementRow, RequestRow)
_TABLE_OF: dict[type[ProjectionRow], str] = {
    StatementRow: "statements",
    NodeRow: "nodes",
    EdgeRow: "edges",
    DropRow: "drops",
    RequestRow: "requests",
}


def table_rows(store: Store, row_type: type[R]) -> Iterator[R]:
    """Every row of the projection table of ``row_type``, in key order, typed."""
    return cast(Iterator[R], store.iter_rows(_TABLE_OF[row_type]))


def stored_items(value: object) -> bytes:
    """A batch's stored items as bytes, whichever backend held them: text written from
    outside lineage is read as its UTF-8 bytes (for verify to report); any other type is
    a :class:`StoreError` (a number is not turned into that many zero bytes)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode(errors="replace")
    raise StoreError(f"a batch's items are stored as a {type(value).__name__}, not bytes")
