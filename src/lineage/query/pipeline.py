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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lineage.model.graph import (
    DATASET,
    DERIVED_FROM,
    FINETUNED_FROM,
    MODEL,
    PACKED_INTO,
    PART_OF,
    RECORD,
    SHARD,
    TRAINED_ON,
)
from lineage.model.rows import NodeRow
from lineage.store.base import Store

_EDGES_INTO: dict[str, tuple[str, ...]] = {
    RECORD: (DERIVED_FROM,),
    SHARD: (PACKED_INTO,),
    DATASET: (PART_OF,),
    MODEL: (TRAINED_ON, FINETUNED_FROM),
}
"""The edge kinds whose downstream end is a node of each kind (posts have only their
authors upstream, who are not made by a step)."""
_EDGE_BATCH = 100_000
"""Ids per edge read: each read costs the lake a scan of its parts (0.4 s at 10^6 posts,
whatever the batch), SQLite and Neo4j chunk it themselves."""
UNKNOWN_RUN = ("?", "", "")


@dataclass
class StepRun:
    """One run of a step that declared nodes upstream of the artifact."""

    step: str
    version: str
    run: str
    signers: set[str] = field(default_factory=set)
    entries: set[int] = field(default_factory=set)
    declared: Counter[str] = field(default_factory=Counter)
    """Nodes upstream of the artifact this run declared, by kind."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Items the run dropped, by reason (all its drops, not only this artifact's)."""

    @property
    def key(self) -> tuple[str, str, str]:
        """(step, version, run)."""
        return (self.step, self.version, self.run)

    @property
    def label(self) -> str:
        """``step version (run)``, as the report names it."""
        return f"{self.step} {self.version} ({self.run})".strip()

    def to_json(self) -> dict[str, Any]:
        """The run as a JSON object."""
        return {
            "step": self.step,
            "version": self.version,
            "run": self.run,
            "signers": sorted(self.signers),
            "entries": sorted(self.entries),
            "declared": dict(sorted(self.declared.items())),
            "dropped": dict(sorted(self.dropped.items())),
        }


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
        self._consumers: dict[str, list[str]] = {kind: [] for kind in _EDGES_INTO}

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
        statements = self.store.statements({entry for entry, _ in self._kinds})
        signer_names = {s.keyid: s.name for s in self.store.signers()}
        index: dict[tuple[str, str, str], int] = {}
        runs: list[StepRun] = []
        run_of_entry: dict[int, int] = {}
        for entry in sorted({entry for entry, _ in self._kinds}):
            info = statements.get(entry)
            key = (info.step, info.version, info.run) if info is not None else UNKNOWN_RUN
            if key not in index:
                index[key] = len(runs)
                runs.append(StepRun(*key))
            run = runs[index[key]]
            run.entries.add(entry)
            if info is not None:
                run.signers.add(signer_names.get(info.keyid, info.keyid[:16]))
            run_of_entry[entry] = index[key]
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
        for down_kind, edge_kinds in _EDGES_INTO.items():
            ids = self._consumers[down_kind]
            for start in range(0, len(ids), _EDGE_BATCH):
                batch = ids[start : start + _EDGE_BATCH]
                for edge_kind in edge_kinds:
                    edges = self.store.edges_into(batch, edge_kind, self.as_of_us)
                    if not edges:
                        continue
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
