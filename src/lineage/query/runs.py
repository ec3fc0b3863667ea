"""Step runs behind ledger entries, and the lineage edges leading into a walk's nodes.

A step run is one (step, version, run) of the statements that declared nodes; it is what
a report draws as a box and what a PROV export calls an activity. Reports and exports
read both through these functions, so they name the same runs and count the same edges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
from lineage.model.rows import EdgeRow
from lineage.store.base import Store

EDGES_INTO: dict[str, tuple[str, ...]] = {
    RECORD: (DERIVED_FROM,),
    SHARD: (PACKED_INTO,),
    DATASET: (PART_OF,),
    MODEL: (TRAINED_ON, FINETUNED_FROM),
}
"""The edge kinds whose downstream end is a node of each kind (posts have only their
authors upstream, who are not made by a step)."""
EDGE_BATCH = 100_000
"""Ids per edge read: each read costs the lake a scan of its parts (0.4 s at 10^6 posts,
whatever the batch), SQLite and Neo4j chunk it themselves."""
UNKNOWN_RUN = ("?", "", "")
"""The (step, version, run) of an entry the store has no statement row for."""


@dataclass
class StepRun:
    """One run of a step that declared nodes upstream of an artifact."""

    step: str
    version: str
    run: str
    signers: set[str] = field(default_factory=set)
    """Names of the keys that signed its statements."""
    keyids: set[str] = field(default_factory=set)
    entries: set[int] = field(default_factory=set)
    first_us: int | None = None
    """Time of its earliest statement (None: no statement row)."""
    last_us: int | None = None
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


def step_runs(store: Store, entries: Iterable[int]) -> tuple[list[StepRun], dict[int, int]]:
    """The step runs whose statements are ``entries``, in the order of their first entry,
    each with its signers (by key name, or the key id's start for a key the registry does
    not name) and statement times; and the index of each entry's run."""
    wanted = sorted(set(entries))
    statements = store.statements(wanted)
    signer_names = {s.keyid: s.name for s in store.signers()}
    index: dict[tuple[str, str, str], int] = {}
    runs: list[StepRun] = []
    run_of_entry: dict[int, int] = {}
    for entry in wanted:
        info = statements.get(entry)
        key = (info.step, info.version, info.run) if info is not None else UNKNOWN_RUN
        if key not in index:
            index[key] = len(runs)
            runs.append(StepRun(*key))
        run = runs[index[key]]
        run.entries.add(entry)
        if info is not None:
            run.signers.add(signer_names.get(info.keyid, info.keyid[:16]))
            run.keyids.add(info.keyid)
            at = info.time_us
            run.first_us = at if run.first_us is None else min(run.first_us, at)
            run.last_us = at if run.last_us is None else max(run.last_us, at)
        run_of_entry[entry] = index[key]
    return runs, run_of_entry


def edges_into_nodes(
    store: Store, nodes_by_kind: Mapping[str, Sequence[str]], as_of_us: int | None = None
) -> Iterator[tuple[str, list[EdgeRow]]]:
    """Every lineage edge asserted by ``as_of_us`` whose downstream end is one of the
    nodes (listed by their kind), as ``(edge kind, edges)`` batches."""
    for down_kind, edge_kinds in EDGES_INTO.items():
        ids = nodes_by_kind.get(down_kind, ())
        for start in range(0, len(ids), EDGE_BATCH):
            batch = ids[start : start + EDGE_BATCH]
            for edge_kind in edge_kinds:
                edges = store.edges_into(batch, edge_kind, as_of_us)
                if edges:
                    yield edge_kind, edges
