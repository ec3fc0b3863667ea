"""Rows of the graph projection as stores keep them; every row names its ledger entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

RowKey = tuple[str | int, ...]


class ProjectionRow(Protocol):
    @property
    def entry(self) -> int: ...

    def key(self) -> Any: ...


def attrs_json(attrs: dict[str, Any]) -> str:
    if not attrs:
        return "{}"
    return json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class NodeRow:
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    kind: str
    attrs: str
    """Attributes as compact JSON with sorted keys."""
    entry: int
    time_us: int

    def attributes(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.attrs)
        return value

    def key(self) -> tuple[str]:
        return (self.id,)


@dataclass(frozen=True)
class EdgeRow:
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("down", "up", "kind")
    up: str
    down: str
    kind: str
    entry: int
    time_us: int

    def key(self) -> tuple[str, str, str]:
        return (self.down, self.up, self.kind)


@dataclass(frozen=True)
class DropRow:
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("node", "entry")
    node: str
    reason: str
    entry: int
    time_us: int

    def key(self) -> tuple[str, int]:
        return (self.node, self.entry)


@dataclass(frozen=True)
class StatementRow:
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("entry",)
    entry: int
    predicate_type: str
    step: str
    version: str
    run: str
    keyid: str
    time_us: int

    def key(self) -> tuple[int]:
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
        return cls([], [], [], [], [])

    def size(self) -> int:
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
        return int(self.path.rsplit(" ", 1)[-1])

    def key(self) -> tuple[str, str]:
        return (self.record, self.origin)
