"""Rows of the graph projection as stores keep them; every row names its ledger entry.

Rows are named tuples: stores and checks make millions of them, and a named tuple is
built three times faster than a frozen dataclass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

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


class NodeRow(NamedTuple):
    """A graph node: its id, kind and attributes, and the entry that declared it."""

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


class EdgeRow(NamedTuple):
    """A graph edge from upstream ``up`` to downstream ``down``, with its asserting entry."""

    up: str
    down: str
    kind: str
    entry: int
    time_us: int

    def key(self) -> tuple[str, str, str]:
        """The row's key: (downstream, upstream, kind)."""
        return (self.down, self.up, self.kind)


class DropRow(NamedTuple):
    """A drop: item ``node`` stopped, for ``reason``, in entry ``entry``."""

    node: str
    reason: str
    entry: int
    time_us: int

    def key(self) -> tuple[str, int]:
        """The row's key: (node, entry)."""
        return (self.node, self.entry)


class StatementRow(NamedTuple):
    """A statement's step, predicate type, signing key and time, by entry."""

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


class RequestRow(NamedTuple):
    """A deletion, objection or erasure request about ``target``, made at ``at_us``."""

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
class BulkRows:
    """The node, edge and drop rows of one entry as columns (the columnar pipeline's
    batches): a store that writes columns takes them as they are, the others expand them
    into row tuples (:meth:`GraphBatch.expand`)."""

    entry: int
    time_us: int
    node_ids: list[str]
    node_kinds: list[str]
    node_attrs: list[str]
    edge_ups: list[str]
    edge_downs: list[str]
    edge_kinds: list[str]
    drop_nodes: list[str]
    drop_reasons: list[str]

    def size(self) -> int:
        """The number of node, edge and drop rows."""
        return len(self.node_ids) + len(self.edge_ups) + len(self.drop_nodes)

    def node_rows(self) -> list[NodeRow]:
        """The nodes as rows."""
        entry, when = self.entry, self.time_us
        return [
            NodeRow(i, k, a, entry, when)
            for i, k, a in zip(self.node_ids, self.node_kinds, self.node_attrs, strict=True)
        ]

    def edge_rows(self, kinds: frozenset[str] | None = None) -> list[EdgeRow]:
        """The edges as rows (only those of ``kinds``, if given)."""
        entry, when = self.entry, self.time_us
        return [
            EdgeRow(up, down, kind, entry, when)
            for up, down, kind in zip(self.edge_ups, self.edge_downs, self.edge_kinds, strict=True)
            if kinds is None or kind in kinds
        ]

    def drop_rows(self) -> list[DropRow]:
        """The drops as rows."""
        entry, when = self.entry, self.time_us
        return [
            DropRow(n, r, entry, when)
            for n, r in zip(self.drop_nodes, self.drop_reasons, strict=True)
        ]


@dataclass
class GraphBatch:
    """What one append adds to the projection: rows, and entries' rows as columns."""

    nodes: list[NodeRow]
    edges: list[EdgeRow]
    drops: list[DropRow]
    statements: list[StatementRow]
    requests: list[RequestRow]
    bulk: list[BulkRows] = field(default_factory=list)

    @classmethod
    def empty(cls) -> GraphBatch:
        """A batch with no rows."""
        return cls([], [], [], [], [])

    def size(self) -> int:
        """The number of node, edge, drop and request rows (statements not counted)."""
        rows = len(self.nodes) + len(self.edges) + len(self.drops) + len(self.requests)
        return rows + sum(b.size() for b in self.bulk)

    def expand(self) -> GraphBatch:
        """The same rows, every column batch turned into row tuples (in entry order)."""
        if not self.bulk:
            return self
        nodes, edges, drops = [*self.nodes], [*self.edges], [*self.drops]
        for bulk in self.bulk:
            nodes += bulk.node_rows()
            edges += bulk.edge_rows()
            drops += bulk.drop_rows()
        ordered = sorted(nodes, key=_entry), sorted(edges, key=_entry), sorted(drops, key=_entry)
        return GraphBatch(*ordered, self.statements, self.requests)

    def edges_of_kinds(self, kinds: frozenset[str]) -> list[EdgeRow]:
        """The edges of these kinds, rows and column batches alike, in entry order."""
        found = [edge for edge in self.edges if edge.kind in kinds]
        for bulk in self.bulk:
            found += bulk.edge_rows(kinds)
        return sorted(found, key=_entry)


def _entry(row: NodeRow | EdgeRow | DropRow) -> int:
    return row.entry


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


class AncestryRow(NamedTuple):
    """A row of the embedded store's ancestry index (see ``lineage.store.sqlite.ancestry``)."""

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


KEY_FIELDS: dict[type, tuple[str, ...]] = {
    NodeRow: ("id",),
    EdgeRow: ("down", "up", "kind"),
    DropRow: ("node", "entry"),
    StatementRow: ("entry",),
    RequestRow: ("target", "kind", "entry"),
    AncestryRow: ("record", "origin"),
}
"""The fields of each row type's :meth:`key`, in order."""
