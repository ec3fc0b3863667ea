"""The store contract: what every backend (SQLite, Neo4j) provides to the ledger.

A store keeps the log entries, the hash of every complete subtree, the signed
checkpoints, the signer registry projected from the entries, and small
metadata. Writes happen only inside :meth:`Store.append_session`, which commits
everything it was given at once or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from lineage.crypto.merkle.nodes import NodeId
from lineage.model.identity import IdentityStore
from lineage.model.rows import (
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    OriginRow,
    ProjectionRow,
    RequestRow,
    StatementRow,
)
from lineage.model.signer import Signer

SCHEMA_VERSION = "3"
ENTRIES_PAGE = 64
"""Entries a store reads at a time when iterating: a statement of a thousand edges is
about 100 kB, so pages are counted in tens, not thousands."""


class ReadView(Protocol):
    """Reads shared by a store and an open append session."""

    def size(self) -> int:
        """Number of entries in the log."""
        ...

    def get_nodes(self, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Stored hashes of the requested complete subtrees (absent ones are left out)."""
        ...

    def signers(self) -> list[Signer]: ...


class AppendSession(ReadView, Protocol):
    """One atomic append: everything added is committed together, or nothing is."""

    def existing_leaves(self, leaf_hashes: Sequence[bytes]) -> set[bytes]:
        """Which of these leaf hashes are already entries of the log."""
        ...

    def add_entries(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Rows of (index, leaf hash, entry bytes)."""
        ...

    def add_nodes(self, rows: Sequence[tuple[NodeId, bytes]]) -> None: ...

    def put_signer(self, signer: Signer) -> None: ...

    def add_checkpoint(self, size: int, note: str) -> None: ...

    def existing_nodes(self, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(kind, attributes JSON, entry) of those graph nodes that are already stored."""
        ...

    def add_graph(self, batch: GraphBatch) -> None:
        """Write projection rows; nodes, edges and drops already stored are kept as they are.

        Raises :class:`lineage.errors.NodeConflictError` if a node is already stored (or
        appears earlier in the batch) with another kind or other attributes.
        """
        ...


class Store(ReadView, Protocol):
    url: str
    """Names the store in messages; never carries a password."""
    open_url: str
    """Opens the store again (another process); may carry credentials: never print it."""

    def is_initialized(self) -> bool: ...

    def initialize(self, meta: dict[str, str], index_key: bytes | None = None) -> None:
        """Create the schema and record ``meta``; refuses an initialised store.

        ``index_key`` keys the raw-id lookups (random unless a copy brings its own)."""
        ...

    def meta(self) -> dict[str, str]: ...

    def append_session(self) -> AbstractContextManager[AppendSession]:
        """Serialised with every other writer; commits on success, rolls back on error."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """A consistent read view for the duration of the block."""
        ...

    def entry(self, index: int) -> tuple[bytes, bytes] | None:
        """(leaf hash, entry bytes) of entry ``index``."""
        ...

    def find_leaf(self, leaf_hash: bytes) -> int | None: ...

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes, bytes]]:
        """(index, leaf hash, entry bytes) in index order."""
        ...

    def iter_tree_nodes(self) -> Iterator[tuple[NodeId, bytes]]:
        """Every stored complete-subtree hash, in the order of :func:`node_key`."""
        ...

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        """(size, signed note) in size order."""
        ...

    def latest_checkpoint(self) -> tuple[int, str] | None: ...

    def checkpoint_at(self, size: int) -> str | None: ...

    # -- graph projection ---------------------------------------------------------

    def node(self, node_id: str) -> NodeRow | None: ...

    def edges_of(
        self,
        node_id: str,
        as_of_us: int | None = None,
        *,
        downstream_only: bool = False,
        limit: int = 1_000_000,
    ) -> list[EdgeRow]:
        """Up to ``limit`` edges with ``node_id`` at either end (or only those leading
        downstream from it), asserted by ``as_of_us``."""
        ...

    def drops_of(self, node_id: str, as_of_us: int | None = None) -> list[DropRow]: ...

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        """Every node reachable from ``root`` against (upstream) or with the data flow."""
        ...

    def statements(self, entries: Iterable[int]) -> dict[int, StatementRow]: ...

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        """(entry, reason, count) over all drops."""
        ...

    def requests_of(self, targets: Iterable[str], as_of_us: int | None = None) -> list[RequestRow]:
        """Requests about any of ``targets`` recorded by ``as_of_us``, in key order."""
        ...

    def shard_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[OriginRow]:
        """Every record packed into each shard by ``as_of_us``, once per post it derives
        from (origin None: no complete path to a post). Path entries and origin rows
        are not bounded by ``as_of_us``: callers compare their entries' times."""
        ...

    derived_tables: tuple[str, ...]
    """Tables the store derives from the projection for speed (SQLite: ``ancestry``);
    ``verify`` recomputes and compares them like the projection's own."""

    def iter_rows(self, table: str) -> Iterator[ProjectionRow]:
        """Rows of one of :data:`PROJECTION_TABLES` in key order."""
        ...

    def identities(self) -> IdentityStore:
        """The subject key tables, kept outside the hashed ledger."""
        ...

    def integrity_problems(self) -> list[str]:
        """Problems the backend itself finds in its files (indexes, pages); empty if none."""
        ...

    def close(self) -> None: ...
