"""Everything upstream of an artifact: its origins (streamed as found, with erased marks),
a summary by platform, surface and jurisdiction, the drops of the steps involved, and the
path from one origin with the step and signer of each hop."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lineage.errors import InputError
from lineage.model.graph import DATASET, MODEL, POST, RECORD, SHARD
from lineage.model.rows import EdgeRow, NodeRow
from lineage.query.nodes import Hop, describe, erased_nodes, require_node
from lineage.store.base import Store

MAX_PATH_NODES = 100_000
_LARGEST_MARK_BATCH = 512


@dataclass
class TraceSummary:
    """A summary of an artifact's origins: counts by platform, surface and jurisdiction."""

    artifact: str
    kind: str
    origins: int = 0
    by_platform: Counter[str] = field(default_factory=Counter)
    by_surface: Counter[str] = field(default_factory=Counter)
    by_jurisdiction: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    drops: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON object (the ``summary`` of ``lineage trace --json``)."""
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

    def __init__(
        self,
        store: Store,
        artifact: str,
        as_of_us: int | None = None,
        observe: Callable[[NodeRow], None] | None = None,
    ) -> None:
        """``observe`` sees every upstream node (the artifact itself included) as the
        walk finds it, for a caller that summarises more than the origins."""
        self.store = store
        self.observe = observe
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
            if self.observe is not None:
                self.observe(row)
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

    def listed_origins(self, limit: int = 0) -> Iterator[ListedOrigin]:
        """The first ``limit`` origins (0: all) with their erased marks, as they are found
        (in batches that grow from one, so the first arrives at once); the rest are
        still counted in the summary."""
        batch: list[NodeRow] = []
        size = listed = 0
        for row in self.origins():
            if limit and listed >= limit:
                continue
            batch.append(row)
            listed += 1
            if len(batch) > size:
                yield from self._marked(batch)
                batch, size = [], min(size * 2 + 1, _LARGEST_MARK_BATCH)
        yield from self._marked(batch)

    def first_origins(self, limit: int = 0) -> list[ListedOrigin]:
        """The first ``limit`` origins (0: all) in id order, with their erased marks: the
        same list whichever store holds the ledger (``listed_origins`` streams them in
        the order the store finds them instead). Walks all of them for the summary."""
        kept: list[NodeRow] = []
        for row in self.origins():
            kept.append(row)
            if limit and len(kept) >= 2 * limit:
                kept.sort(key=lambda r: r.id)
                del kept[limit:]
        kept.sort(key=lambda r: r.id)
        if limit:
            del kept[limit:]
        return list(self._marked(kept))

    def _marked(self, rows: list[NodeRow]) -> Iterator[ListedOrigin]:
        gone = erased_nodes(self.store, [row.id for row in rows]) if rows else set()
        for row in rows:
            yield ListedOrigin(row, row.id in gone)

    def finish(self) -> TraceSummary:
        """Consume the remaining origins (if any) and return the summary."""
        if not self._done:
            for _ in self.origins():
                pass
        return self.summary

    def _drops(self, entries: set[int]) -> list[dict[str, Any]]:
        """Drops made by the step runs that recorded this artifact's upstream nodes."""
        return [
            d.to_json() for d in run_drops(self.store, runs_of(self.store, entries), self.as_of_us)
        ]


RunKey = tuple[str, str, str]
"""A step run: (step, version, run)."""


@dataclass(frozen=True)
class RunDrop:
    """The items one step run dropped for one reason, and the entries that dropped them."""

    step: str
    version: str
    run: str
    reason: str
    count: int
    entries: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """As ``lineage trace --json`` lists it (without the entries)."""
        return {
            "step": self.step,
            "version": self.version,
            "run": self.run,
            "reason": self.reason,
            "count": self.count,
        }


def runs_of(store: Store, entries: Iterable[int]) -> set[RunKey]:
    """The step runs whose statements are ``entries``."""
    return {(row.step, row.version, row.run) for row in store.statements(entries).values()}


def run_drops(store: Store, runs: set[RunKey] | None, as_of_us: int | None = None) -> list[RunDrop]:
    """The drops made by step runs ``runs`` (None: every run), by run and reason."""
    counts = store.drop_counts(as_of_us)
    infos = store.statements(entry for entry, _, _ in counts)
    totals: Counter[tuple[str, str, str, str]] = Counter()
    by: dict[tuple[str, str, str, str], set[int]] = {}
    for entry, reason, count in counts:
        info = infos.get(entry)
        if info is not None and (runs is None or (info.step, info.version, info.run) in runs):
            key = (info.step, info.version, info.run, reason)
            totals[key] += count
            by.setdefault(key, set()).add(entry)
    return [
        RunDrop(s, v, r, reason, n, tuple(sorted(by[(s, v, r, reason)])))
        for (s, v, r, reason), n in sorted(totals.items())
    ]


@dataclass(frozen=True)
class ListedOrigin:
    """An origin of a trace, and whether its author has been erased."""

    row: NodeRow
    erased: bool

    def to_json(self) -> dict[str, Any]:
        """The origin's id, attributes, entry and erased mark as one JSON object."""
        return {
            "id": self.row.id,
            **self.row.attributes(),
            "entry": self.row.entry,
            "erased": self.erased,
        }


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
    return describe(store, hops)
