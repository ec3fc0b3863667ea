"""The step runs an OpenLineage export describes, read from the ledger: every run upstream
of an artifact (the pipeline ``lineage report`` draws, and the runs that recorded requests
about its origins and authors), or every run in the ledger; for each, all its statements'
entries and signers, what it kept and dropped, the artifacts it made and what it consumed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from lineage.ledger.log import Ledger
from lineage.model.graph import (
    DATASET,
    DERIVED_FROM,
    FINETUNED_FROM,
    MODEL,
    PACKED_INTO,
    PART_OF,
    POST,
    RECORD,
    SHARD,
    SUBJECT,
    TRAINED_ON,
)
from lineage.model.predicates import LINEAGE, LINEAGE_V2, REQUEST, REQUEST_V2
from lineage.model.rows import NodeRow, RequestRow, StatementRow
from lineage.query.pipeline import Pipeline, PipelineBuilder
from lineage.query.runs import UNKNOWN_RUN, StepRun
from lineage.query.trace import RunKey, Trace, run_drops
from lineage.store.base import Store, table_rows

STEP_PREDICATES = frozenset({LINEAGE, LINEAGE_V2, REQUEST, REQUEST_V2})
"""Statements a pipeline step makes (not the log's own: keys, policies, checks)."""
ARTIFACT_KINDS = (SHARD, DATASET, MODEL)
_ARTIFACT_INPUTS = (PART_OF, TRAINED_ON, FINETUNED_FROM)


@dataclass
class ConsumedRecords:
    """Posts or records one run consumed from another (``producer``), ``edges`` of them."""

    producer: StepRun
    edges: int = 0


@dataclass
class ExportedRun:
    """One step run as an export describes it."""

    counts: StepRun
    """Step, version, run; what it kept (upstream of the artifact) and dropped."""
    entries: list[int] = field(default_factory=list)
    """Every entry of the run's statements (as of the export's time), ascending."""
    keyids: set[str] = field(default_factory=set)
    first_us: int = 0
    last_us: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    artifacts: list[NodeRow] = field(default_factory=list)
    """The shards, datasets and models it declared (upstream of the artifact)."""
    consumed: list[ConsumedRecords] = field(default_factory=list)
    consumed_artifacts: list[str] = field(default_factory=list)
    """Shards, datasets and models its artifacts were made from."""

    @property
    def key(self) -> RunKey:
        """(step, version, run)."""
        return self.counts.key


class _Collector:
    """Watches the nodes a walk (or a scan) finds: the pipeline builder's input, the
    artifacts, and the posts and authors whose requests matter."""

    def __init__(self, store: Store, as_of_us: int | None) -> None:
        self.builder = PipelineBuilder(store, as_of_us)
        self.artifacts: list[NodeRow] = []
        self.people: list[str] = []

    def observe(self, row: NodeRow) -> None:
        self.builder.observe(row)
        if row.kind in ARTIFACT_KINDS:
            self.artifacts.append(row)
        elif row.kind in (POST, SUBJECT):
            self.people.append(row.id)


def exported_runs(ledger: Ledger, artifact: str | None, as_of_us: int | None) -> list[ExportedRun]:
    """The step runs upstream of ``artifact`` (None: every step run in the ledger) as the
    ledger stood at ``as_of_us``, in the order of their first entry. Read inside one
    snapshot of the store (the caller's)."""
    store = ledger.store
    collector = _Collector(store, as_of_us)
    if artifact is not None:
        summary = Trace(store, artifact, as_of_us, observe=collector.observe).finish()
        pipeline = collector.builder.finish(summary.drops)
        requested = {r.entry for r in store.requests_of(collector.people, as_of_us)}
        wanted: set[RunKey] | None = {run.key for run in pipeline.runs}
    else:
        for row in table_rows(store, NodeRow):
            if as_of_us is None or row.time_us <= as_of_us:
                collector.observe(row)
        pipeline = collector.builder.finish(d.to_json() for d in run_drops(store, None, as_of_us))
        requested, wanted = set(), None
    runs = _runs_of_statements(store, pipeline, wanted, requested, as_of_us)
    _attach_artifacts(runs, collector.artifacts)
    _attach_inputs(store, runs, pipeline, as_of_us)
    return sorted(runs.values(), key=lambda run: run.entries[0])


def _runs_of_statements(
    store: Store,
    pipeline: Pipeline,
    wanted: set[RunKey] | None,
    requested: set[int],
    as_of_us: int | None,
) -> dict[RunKey, ExportedRun]:
    """The runs ``wanted`` (None: all) and those of the ``requested`` entries, each with
    every entry of its statements, their keys, times and requests."""
    known = {run.key: run for run in pipeline.runs if run.key != UNKNOWN_RUN}
    request_counts: dict[int, Counter[str]] = {}
    for request in table_rows(store, RequestRow):
        request_counts.setdefault(request.entry, Counter())[request.kind] += 1
    extra_runs = {(s.step, s.version, s.run) for s in store.statements(requested).values()}
    runs: dict[RunKey, ExportedRun] = {}
    for row in table_rows(store, StatementRow):
        key = (row.step, row.version, row.run)
        if row.predicate_type not in STEP_PREDICATES:
            continue
        if as_of_us is not None and row.time_us > as_of_us:
            continue
        if wanted is not None and key not in wanted and key not in extra_runs:
            continue
        run = runs.get(key)
        if run is None:
            run = runs[key] = ExportedRun(known.get(key) or StepRun(*key))
            run.first_us = row.time_us
        run.entries.append(row.entry)
        run.keyids.add(row.keyid)
        run.first_us, run.last_us = min(run.first_us, row.time_us), max(run.last_us, row.time_us)
        run.requests.update(request_counts.get(row.entry, Counter()))
    if wanted is None:
        for drop in run_drops(store, None, as_of_us):
            key = (drop.step, drop.version, drop.run)
            if key in runs and key not in known:
                runs[key].counts.dropped[drop.reason] += drop.count
    for run in runs.values():
        run.entries.sort()
    return runs


def _attach_artifacts(runs: dict[RunKey, ExportedRun], artifacts: Iterable[NodeRow]) -> None:
    by_entry = {entry: run for run in runs.values() for entry in run.entries}
    for row in sorted(artifacts, key=lambda r: (r.entry, r.id)):
        run = by_entry.get(row.entry)
        if run is not None:
            run.artifacts.append(row)


def _attach_inputs(
    store: Store, runs: dict[RunKey, ExportedRun], pipeline: Pipeline, as_of_us: int | None
) -> None:
    """What each run consumed: other runs' posts and records (the pipeline's links of
    derivation and packing), and the artifacts its own artifacts were made from."""
    for link in pipeline.links:
        if link.kind not in (DERIVED_FROM, PACKED_INTO):
            continue
        down = runs.get(pipeline.runs[link.down].key)
        if down is None:
            continue
        producer = pipeline.runs[link.up]
        found = next((c for c in down.consumed if c.producer is producer), None)
        if found is None:
            found = ConsumedRecords(producer)
            down.consumed.append(found)
        found.edges += link.edges
    for run in runs.values():
        made = [row.id for row in run.artifacts]
        if not made:
            continue
        sources = {
            edge.up for kind in _ARTIFACT_INPUTS for edge in store.edges_into(made, kind, as_of_us)
        }
        run.consumed_artifacts = sorted(sources - set(made))


def kept_records_dataset(run: StepRun) -> str | None:
    """Which of the run's outputs stands for its posts or records: the kind it kept (None:
    it kept neither)."""
    if run.declared.get(RECORD):
        return RECORD
    return POST if run.declared.get(POST) else None
