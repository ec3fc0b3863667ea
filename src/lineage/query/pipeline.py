"""The pipeline behind an artifact, as the ledger records it: the step runs that declared
its upstream nodes, how many of those nodes each run declared (by kind), what each run
dropped (by reason), who signed it, and which runs consumed which runs' outputs.

Links are exact: every edge into an upstream node is read, and its upstream end is
mapped to the run that declared it. Nodes are remembered by their hash (8 bytes) and run
(4 bytes) in sorted arrays, not by id, so a million-post model's pipeline fits in tens
of megabytes; two upstream ids sharing a 64-bit hash (odds about 1 in 10^6 at 10^7
nodes) could add a link that is not there, never drop one.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lineage.model.rows import NodeRow
from lineage.query.runs import EDGES_INTO, StepRun, edges_into_nodes, step_runs
from lineage.store.base import Store


@dataclass(frozen=True)
class RunLink:
    """Run ``up`` made nodes that run ``down`` consumed: ``edges`` edges of ``kind``."""

    up: int
    down: int
    kind: str
    edges: int


@dataclass
class Pipeline:
    """Step runs in the order their first entry was appended, and the links between them."""

    runs: list[StepRun]
    links: list[RunLink]

    def to_json(self) -> dict[str, Any]:
        """The pipeline as a JSON object (runs by index)."""
        return {
            "runs": [run.to_json() for run in self.runs],
            "links": [
                {"up": link.up, "down": link.down, "kind": link.kind, "edges": link.edges}
                for link in self.links
            ],
        }


class PipelineBuilder:
    """Collects the upstream nodes of a walk (pass :meth:`observe` to ``Trace``), then
    reads the edges between them once."""

    def __init__(self, store: Store, as_of_us: int | None = None) -> None:
        self.store = store
        self.as_of_us = as_of_us
        self._hashes = array("q")
        self._entries = array("q")
        self._kinds: Counter[tuple[int, str]] = Counter()
        self._consumers: dict[str, list[str]] = {kind: [] for kind in EDGES_INTO}

    def observe(self, row: NodeRow) -> None:
        """Remember one upstream node: its hash and declaring entry, and (if edges lead
        into it from other nodes a step made) its id. A node an edge names but no entry
        declares belongs to no run."""
        if not row.kind:
            return
        self._hashes.append(hash(row.id))
        self._entries.append(row.entry)
        self._kinds[(row.entry, row.kind)] += 1
        consumers = self._consumers.get(row.kind)
        if consumers is not None:
            consumers.append(row.id)

    def finish(self, drops: Iterable[dict[str, Any]]) -> Pipeline:
        """The step runs and their links; ``drops`` are the trace summary's drops."""
        runs, run_of_entry = step_runs(self.store, (entry for entry, _ in self._kinds))
        index = {run.key: n for n, run in enumerate(runs)}
        for (entry, kind), count in self._kinds.items():
            runs[run_of_entry[entry]].declared[kind] += count
        for drop in drops:
            at = index.get((drop["step"], drop["version"], drop["run"]))
            if at is not None:
                runs[at].dropped[drop["reason"]] += drop["count"]
        return Pipeline(runs, self._links(run_of_entry))

    def _links(self, run_of_entry: dict[int, int]) -> list[RunLink]:
        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        entries = np.frombuffer(self._entries, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        sorted_runs = np.fromiter(
            (run_of_entry[int(e)] for e in entries[order]), dtype=np.int32, count=len(order)
        )
        counted: Counter[tuple[int, int, str]] = Counter()
        for edge_kind, edges in edges_into_nodes(self.store, self._consumers, self.as_of_us):
            ups = self._runs_of([e.up for e in edges], sorted_hashes, sorted_runs)
            downs = self._runs_of([e.down for e in edges], sorted_hashes, sorted_runs)
            for up, down in zip(ups, downs, strict=True):
                if up >= 0 and down >= 0 and up != down:
                    counted[(up, down, edge_kind)] += 1
        return [RunLink(up, down, kind, n) for (up, down, kind), n in sorted(counted.items())]

    @staticmethod
    def _runs_of(
        ids: Sequence[str], sorted_hashes: np.ndarray[Any, Any], sorted_runs: np.ndarray[Any, Any]
    ) -> list[int]:
        """The run that declared each id (-1: not an upstream node of this walk)."""
        wanted = np.fromiter((hash(i) for i in ids), dtype=np.int64, count=len(ids))
        at = np.searchsorted(sorted_hashes, wanted)
        inside = at < len(sorted_hashes)
        found = np.full(len(ids), -1, dtype=np.int64)
        hit = inside.copy()
        hit[inside] = sorted_hashes[at[inside]] == wanted[inside]
        found[hit] = sorted_runs[at[hit]]
        return [int(x) for x in found]
