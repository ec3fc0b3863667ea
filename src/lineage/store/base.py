"""The store contract: what every backend (SQLite, Neo4j) provides to the ledger.

A store keeps the log entries, the hash of every complete subtree, the signed
checkpoints, the signer registry projected from the entries, and small
metadata. Writes happen only inside :meth:`Store.append_session`, which commits
everything it was given at once or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from lineage.merkle.nodes import NodeId
from lineage.trust import Signer

SCHEMA_VERSION = "1"


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


class Store(ReadView, Protocol):
    url: str

    def is_initialized(self) -> bool: ...

    def initialize(self, meta: dict[str, str]) -> None:
        """Create the schema and record ``meta``; refuses an initialised store."""
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

    def iter_level(self, level: int) -> Iterator[tuple[int, bytes]]:
        """(index, hash) of the stored complete subtrees of one level, in index order."""
        ...

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        """(size, signed note) in size order."""
        ...

    def latest_checkpoint(self) -> tuple[int, str] | None: ...

    def checkpoint_at(self, size: int) -> str | None: ...

    def integrity_problems(self) -> list[str]:
        """Problems the backend itself finds in its files (indexes, pages); empty if none."""
        ...

    def close(self) -> None: ...
