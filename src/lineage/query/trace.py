"""Auditors' questions as pure functions over the store contract: trace, impact, show."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lineage.errors import InputError
from lineage.ledger.log import InclusionProof, Ledger
from lineage.model.graph import AUTHORED, DATASET, MODEL, POST, RECORD, SHARD, SUBJECT, kind_of
from lineage.model.rows import DropRow, EdgeRow, NodeRow, RequestRow, StatementRow
from lineage.model.times import format_us
from lineage.store.base import Store

MAX_PATH_NODES = 100_000


def edges_into(store: Store, node: str, kind: str, as_of_us: int | None = None) -> list[EdgeRow]:
    """The ``kind`` edges whose downstream end is ``node``, ordered by their upstream end."""
    found = [e for e in store.edges_of(node, as_of_us) if e.kind == kind and e.down == node]
    return sorted(found, key=lambda edge: edge.up)


def authors(store: Store, posts: list[str]) -> dict[str, str]:
    """post -> the subject that authored it (as the graph says)."""
    found = {}
    for post in posts:
        for edge in edges_into(store, post, AUTHORED):
            found[post] = edge.up
    return found


def erased(store: Store, nodes: list[str]) -> set[str]:
    """The subjects among ``nodes``, and the posts among them whose author, that have been
    erased: their key is gone, so nothing links their pseudonyms to a person any more."""
    posts = [n for n in nodes if n.startswith("post:")]
    by_post = authors(store, posts)
    subjects = {n for n in nodes if n.startswith("subject:")} | set(by_post.values())
    gone = subjects - store.identities().live_subjects(subjects)
    return {n for n in nodes if n in gone or by_post.get(n) in gone}


def require_node(store: Store, node_id: str, as_of_us: int | None = None) -> NodeRow:
    kind_of(node_id)
    row = store.node(node_id)
    if row is None or (as_of_us is not None and row.time_us > as_of_us):
        raise InputError(
            f"no node {node_id} in the ledger" + (" at that time" if row is not None else "")
        )
    return row


@dataclass
class TraceSummary:
    artifact: str
    kind: str
    origins: int = 0
    by_platform: Counter[str] = field(default_factory=Counter)
    by_surface: Counter[str] = field(default_factory=Counter)
    by_jurisdiction: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    drops: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "kind": self.kind,
            "origins": self.origins,
            "by_platform": dict(sorted(self.by_platform.items())),
            "by_surface": dict(sorted(self.by_surface.items())),
            "by_jurisdiction": dict(sorted(self.by_jurisdiction.items())),
            "upstream_nodes": dict(sorted(self.counts.items())),
            "dropped": self.drops,
        }


class Trace:
    """Everything upstream of an artifact; origins stream first, the summary follows."""

    def __init__(self, store: Store, artifact: str, as_of_us: int | None = None) -> None:
        self.store = store
        self.root = require_node(store, artifact, as_of_us)
        if self.root.kind not in (SHARD, DATASET, MODEL, RECORD):
            raise InputError(
                f"trace starts from a shard, dataset, model or record, not a {self.root.kind}"
            )
        self.as_of_us = as_of_us
        self.summary = TraceSummary(artifact, self.root.kind)
        self._done = False

    def origins(self) -> Iterator[NodeRow]:
        """The posts upstream of the artifact, as they are found (depth first)."""
        summary = self.summary
        entries: set[int] = set()
        for row in self.store.walk(self.root.id, upstream=True, as_of_us=self.as_of_us):
            entries.add(row.entry)
            if row.id == self.root.id:
                continue
            summary.counts[row.kind or "unknown"] += 1
            if row.kind == POST:
                attrs = row.attributes()
                summary.origins += 1
                summary.by_platform[attrs.get("platform", "?")] += 1
                summary.by_surface[attrs.get("surface", "?")] += 1
                summary.by_jurisdiction[attrs.get("jurisdiction", "?")] += 1
                yield row
        summary.drops = self._drops(entries)
        self._done = True

    def finish(self) -> TraceSummary:
        """Consume the remaining origins (if any) and return the summary."""
        if not self._done:
            for _ in self.origins():
                pass
        return self.summary

    def _drops(self, entries: set[int]) -> list[dict[str, Any]]:
        """Drops made by the step runs that recorded this artifact's upstream nodes."""
        runs = set()
        for involved in self.store.statements(entries).values():
            runs.add((involved.step, involved.version, involved.run))
        counts = self.store.drop_counts(self.as_of_us)
        infos = self.store.statements(entry for entry, _, _ in counts)
        totals: Counter[tuple[str, str, str, str]] = Counter()
        for entry, reason, count in counts:
            info = infos.get(entry)
            if info is not None and (info.step, info.version, info.run) in runs:
                totals[(info.step, info.version, info.run, reason)] += count
        return [
            {"step": s, "version": v, "run": r, "reason": reason, "count": n}
            for (s, v, r, reason), n in sorted(totals.items())
        ]


@dataclass(frozen=True)
class Hop:
    edge: EdgeRow
    step: str
    version: str
    run: str
    signer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.edge.kind,
            "upstream": self.edge.up,
            "downstream": self.edge.down,
            "step": self.step,
            "version": self.version,
            "run": self.run,
            "signer": self.signer,
            "entry": self.edge.entry,
        }


def _describe(store: Store, edges: list[EdgeRow]) -> list[Hop]:
    infos = store.statements(e.entry for e in edges)
    names = {s.keyid: s.name for s in store.signers()}
    hops = []
    for edge in edges:
        info = infos.get(edge.entry)
        hops.append(
            Hop(
                edge,
                info.step if info else "?",
                info.version if info else "",
                info.run if info else "",
                names.get(info.keyid, "?") if info else "?",
            )
        )
    return hops


def path(store: Store, origin: str, artifact: str, as_of_us: int | None = None) -> list[Hop]:
    """The hops from ``origin`` down to ``artifact``, each with its step and signer."""
    require_node(store, origin, as_of_us)
    require_node(store, artifact, as_of_us)
    parent: dict[str, EdgeRow] = {}
    queue, seen = deque([origin]), {origin}
    while queue and artifact not in seen:
        current = queue.popleft()
        for edge in store.edges_of(current, as_of_us, downstream_only=True):
            if edge.down not in seen:
                seen.add(edge.down)
                parent[edge.down] = edge
                queue.append(edge.down)
        if len(seen) > MAX_PATH_NODES:
            raise InputError(f"{origin} reaches more than {MAX_PATH_NODES} nodes; no path shown")
    if artifact not in seen:
        raise InputError(f"{artifact} does not derive from {origin}")
    hops: list[EdgeRow] = []
    node = artifact
    while node != origin:
        edge = parent[node]
        hops.append(edge)
        node = edge.up
    hops.reverse()
    return _describe(store, hops)


def request_json(row: RequestRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "target": row.target,
        "at": format_us(row.at_us),
        "recorded": format_us(row.time_us),
        "entry": row.entry,
    }


@dataclass
class Impact:
    start: str
    nodes: dict[str, list[str]] = field(default_factory=dict)
    drops: list[DropRow] = field(default_factory=list)
    requests: list[RequestRow] = field(default_factory=list)
    """Deletions, objections and erasure requests about the start or its posts."""
    erased: bool = False
    """The start is an erased subject, or a post or record of one."""

    def to_json(self) -> dict[str, Any]:
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
    for row in store.walk(start, upstream=False, as_of_us=as_of_us):
        if row.id == start or row.kind not in result.nodes:
            continue
        result.nodes[row.kind].append(row.id)
        if row.kind in (POST, RECORD):
            result.drops.extend(store.drops_of(row.id, as_of_us))
    if root.kind in (POST, RECORD):
        result.drops[:0] = store.drops_of(start, as_of_us)
    for ids in result.nodes.values():
        ids.sort()
    result.requests = store.requests_of([start, *result.nodes[POST]], as_of_us)
    concerned = [start] if root.kind in (SUBJECT, POST) else []
    if root.kind == RECORD:
        concerned = [row.id for row in Trace(store, start, as_of_us).origins()]
    result.erased = bool(concerned) and bool(erased(store, concerned))
    return result


@dataclass
class Shown:
    node: NodeRow
    edges: list[Hop]
    drops: list[DropRow]
    requests: list[RequestRow]
    entries: dict[int, StatementRow]
    proofs: dict[int, InclusionProof]
    erased: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.node.id,
            "kind": self.node.kind,
            "attributes": self.node.attributes(),
            "erased": self.erased,
            "asserted_by": self.node.entry,
            "edges": [h.to_json() for h in self.edges],
            "dropped": [{"reason": d.reason, "entry": d.entry} for d in self.drops],
            "requests": [request_json(r) for r in self.requests],
            "entries": {
                str(entry): {
                    "step": s.step,
                    "version": s.version,
                    "run": s.run,
                    "keyid": s.keyid,
                    "proof": self.proofs[entry].to_json(),
                }
                for entry, s in sorted(self.entries.items())
            },
        }


def show(ledger: Ledger, node_id: str, max_edges: int = 1000) -> Shown:
    """A node, its edges and drops, and the entries asserting them with inclusion proofs."""
    store = ledger.store
    row = require_node(store, node_id)
    edges = store.edges_of(node_id, limit=max_edges)
    drops = store.drops_of(node_id)
    requests = store.requests_of([node_id])
    entries = {row.entry, *(e.entry for e in edges), *(d.entry for d in drops)}
    entries.update(r.entry for r in requests)
    infos = store.statements(entries)
    proofs = {entry: ledger.inclusion_proof(entry) for entry in sorted(entries)}
    gone = bool(erased(store, [node_id])) if row.kind in (SUBJECT, POST) else False
    return Shown(row, _describe(store, edges), drops, requests, infos, proofs, gone)
