"""Everything downstream of a post, record or author: the records, shards, datasets and
models it reached, the drops on the way, and the requests about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.errors import InputError
from lineage.model.graph import DATASET, MODEL, POST, RECORD, SHARD, SUBJECT
from lineage.model.rows import DropRow, RequestRow
from lineage.model.times import format_us
from lineage.query.nodes import erased_nodes, require_node
from lineage.query.trace import Trace
from lineage.store.base import Store


def request_json(row: RequestRow) -> dict[str, Any]:
    """A request row as a JSON object (times in RFC 3339)."""
    return {
        "kind": row.kind,
        "target": row.target,
        "at": format_us(row.at_us),
        "recorded": format_us(row.time_us),
        "entry": row.entry,
    }


@dataclass
class Impact:
    """What lies downstream of a start node: nodes by kind, drops and requests."""

    start: str
    nodes: dict[str, list[str]] = field(default_factory=dict)
    drops: list[DropRow] = field(default_factory=list)
    requests: list[RequestRow] = field(default_factory=list)
    """Deletions, objections and erasure requests about the start or its posts."""
    erased: bool = False
    """The start is an erased subject, or a post or record of one."""

    def to_json(self) -> dict[str, Any]:
        """The impact as a JSON object (the body of ``lineage impact --json``)."""
        return {
            "start": self.start,
            "erased": self.erased,
            "counts": {kind: len(ids) for kind, ids in self.nodes.items()},
            "nodes": self.nodes,
            "dropped": [{"node": d.node, "reason": d.reason, "entry": d.entry} for d in self.drops],
            "requests": [request_json(r) for r in self.requests],
        }


def impact(store: Store, start: str, as_of_us: int | None = None) -> Impact:
    """Everything downstream of a post, record or subject: records, shards, datasets, models."""
    root = require_node(store, start, as_of_us)
    if root.kind not in (POST, RECORD, SUBJECT, SHARD, DATASET, MODEL):
        raise InputError(f"impact starts from a post, record or author, not a {root.kind}")
    result = Impact(start)
    for kind in (POST, RECORD, SHARD, DATASET, MODEL):
        result.nodes[kind] = []
    droppable = [start] if root.kind in (POST, RECORD) else []
    for row in store.walk(start, upstream=False, as_of_us=as_of_us):
        if row.id == start or row.kind not in result.nodes:
            continue
        result.nodes[row.kind].append(row.id)
        if row.kind in (POST, RECORD):
            droppable.append(row.id)
    result.drops = store.drops_of(droppable, as_of_us) if droppable else []
    for ids in result.nodes.values():
        ids.sort()
    result.requests = store.requests_of([start, *result.nodes[POST]], as_of_us)
    concerned = [start] if root.kind in (SUBJECT, POST) else []
    if root.kind == RECORD:
        concerned = [row.id for row in Trace(store, start, as_of_us).origins()]
    result.erased = bool(concerned) and bool(erased_nodes(store, concerned))
    return result
