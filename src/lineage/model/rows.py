"""Rows of the graph projection as stores keep them; every row names its ledger entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

RowKey = tuple[str | int, ...]


class ProjectionRow(Protocol):
    """Any row of a projection table: it names its entry and has a sort key."""

    @property
    def entry(self) -> int:
        """The ledger entry that asserted the row."""
        ...

    def key(self) -> Any:
        """The row's key: stores give rows in this order, and rows are compared by it."""
        ...


def attrs_json(attrs: dict[str, Any]) -> str:
    """Node attributes as compact JSON with sorted keys, as stored and compared."""
    if not attrs:
        return "{}"
    return json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class NodeRow:
    """A graph node: its id, kind and attributes, and the entry that declared it."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    kind: str
    attrs: str
    """Attributes as compact JSON with sorted keys."""
    entry: int
    time_us: int

    def attributes(self) -> dict[str, Any]:
        """The attributes, parsed from JSON."""
        value: dict[str, Any] = json.loads(self.attrs)
        return value

    def key(self) -> tuple[str]:
        """The row's key: the node id."""
        return (self.id,)


@dataclass(frozen=True)
class EdgeRow:
    """A graph edge from upstream ``up`` to downstream ``down``, with its asserting entry."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("down", "up", "kind")
    up: str
    down: str
    kind: str
    entry: int
    time_us: int

    def key(self) -> tuple[str, str, str]:
        """The row's key: (downstream, upstream, kind)."""
        return (self.down, self.up, self.kind)


@dataclass(frozen=True)
class DropRow:
    """A drop: item ``node`` stopped, for ``reason``, in entry ``entry``."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("node", "entry")
    node: str
    reason: str
    entry: int
    time_us: int

    def key(self) -> tuple[str, int]:
        """The row's key: (node, entry)."""
        return (self.node, self.entry)


@dataclass(frozen=True)
class StatementRow:
    """A statement's step, predicate type, signing key and time, by entry."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("entry",)
    entry: int
    predicate_type: str
    step: str
    version: str
    run: str
    keyid: str
    time_us: int

    def key(self) -> tuple[int]:
        """The row's key: the entry."""
        return (self.entry,)


@dataclass(frozen=True)
class RequestRow:
    """A deletion, objection or erasure request about ``target``, made at ``at_us``."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("target", "kind", "entry")

    target: str
    kind: str
    at_us: int
    entry: int
    time_us: int

    def key(self) -> tuple[str, str, int]:
        """The row's key: (target, kind, entry)."""
        return (self.target, self.kind, self.entry)


PROJECTION_TABLES = ("statements", "nodes", "edges", "drops", "requests")
"""The projection's tables; :class:`GraphBatch` has a field of rows for each."""


@dataclass
class GraphBatch:
    """What one append adds to the projection."""

    nodes: list[NodeRow]
    edges: list[EdgeRow]
    drops: list[DropRow]
    statements: list[StatementRow]
    requests: list[RequestRow]

    @classmethod
    def empty(cls) -> GraphBatch:
        """A batch with no rows."""
        return cls([], [], [], [], [])

    def size(self) -> int:
        """The number of node, edge, drop and request rows (statements not counted)."""
        return len(self.nodes) + len(self.edges) + len(self.drops) + len(self.requests)


class PackedOrigin(NamedTuple):
    """A record packed into a shard and one post it derives from (``origin`` None: no
    complete path back to any post — a lineage gap). A named tuple: checks read one per
    record, millions of them."""

    shard: str
    record: str
    packed_entry: int
    packed_time_us: int
    origin: str | None
    path: tuple[int, ...]
    """Entries of the ``DERIVED_FROM`` edges from the origin down to the record."""


@dataclass(frozen=True)
class AncestryRow:
    """A row of the embedded store's ancestry index (see ``lineage.store.sqlite.ancestry``)."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("record", "origin")

    record: str
    origin: str
    path: str

    @property
    def entry(self) -> int:
        """The entry of the record's own ``DERIVED_FROM`` edge: the path's last hop."""
        return int(self.path.rsplit(" ", 1)[-1])

    def key(self) -> tuple[str, str]:
        """The row's key: (record, origin)."""
        return (self.record, self.origin)
