"""What a model was trained on (or what a dataset holds), counted exactly from the ledger:
the posts by service and period, the records, shards and datasets, the drops of the step
runs that made them, and the requests about them; each figure with the ledger entries it
was computed from and the command that recomputes it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lineage.errors import InputError
from lineage.ledger.log import Ledger
from lineage.ledger.projection import time_us
from lineage.model.graph import (
    DATASET,
    FINETUNED_FROM,
    MODEL,
    POST,
    RECORD,
    SHARD,
    SUBJECT,
    TRAINED_ON,
)
from lineage.model.rows import NodeRow
from lineage.model.times import format_us, parse_time
from lineage.query.nodes import require_node
from lineage.query.trace import RunDrop, run_drops, runs_of
from lineage.store.base import Store

_REQUEST_BATCH = 10_000


@dataclass(frozen=True)
class Figure:
    """A number the ledger gives, the entries it was computed from, and how to recompute it."""

    value: int
    entries: tuple[int, ...]
    recompute: str

    def to_json(self) -> dict[str, Any]:
        """The figure as the JSON sidecar carries it."""
        return {"value": self.value, "entries": list(self.entries), "recompute": self.recompute}


@dataclass
class Period:
    """The earliest and latest of a set of times (microseconds)."""

    first_us: int | None = None
    last_us: int | None = None

    def add(self, micros: int) -> None:
        """Widen the period to ``micros``."""
        self.first_us = micros if self.first_us is None else min(self.first_us, micros)
        self.last_us = micros if self.last_us is None else max(self.last_us, micros)

    def to_json(self) -> dict[str, str] | None:
        """``{"from": …, "to": …}`` in RFC 3339, or None when empty."""
        if self.first_us is None or self.last_us is None:
            return None
        return {"from": format_us(self.first_us), "to": format_us(self.last_us)}


@dataclass
class Service:
    """The posts of one platform surface in the content: how many, when posted, when
    collected (the time of the statements that recorded them), and those entries."""

    platform: str
    surface: str
    posts: int = 0
    created: Period = field(default_factory=Period)
    collected: Period = field(default_factory=Period)
    entries: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class ContentRun:
    """A step run that recorded part of the content: its signers and the records it made."""

    step: str
    version: str
    run: str
    keyids: tuple[str, ...]
    records: Figure


@dataclass(frozen=True)
class Request:
    """How many requests of a kind arrived before or after training about the content."""

    kind: str
    after_training: bool
    count: int
    entries: tuple[int, ...]


@dataclass
class TrainingContent:
    """Everything the ledger knows about the content behind an artifact."""

    artifact: NodeRow
    as_of_us: int | None
    checkpoint_size: int
    checkpoint: str
    roots: list[NodeRow]
    base_models: list[tuple[str, int]]
    services: list[Service]
    kinds: dict[str, Figure]
    shard_bytes: Figure
    shard_records: Figure
    jurisdictions: dict[str, Figure]
    drops: list[RunDrop]
    requests: list[Request]
    step_runs: list[ContentRun]

    @property
    def posts(self) -> int:
        """How many distinct posts the content came from."""
        return sum(service.posts for service in self.services)

    def created(self) -> Period:
        """When the posts were posted, over all services."""
        return _joined(service.created for service in self.services)

    def collected(self) -> Period:
        """When the posts were collected, over all services."""
        return _joined(service.collected for service in self.services)


def _joined(periods: Iterator[Period]) -> Period:
    joined = Period()
    for period in periods:
        for micros in (period.first_us, period.last_us):
            if micros is not None:
                joined.add(micros)
    return joined


def training_content(
    ledger: Ledger,
    artifact: str,
    as_of: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    kinds: tuple[str, ...] = (MODEL, DATASET, SHARD),
) -> TrainingContent:
    """The content behind ``artifact``: for a model, what it was trained on itself (a
    fine-tune's base model is named, not walked: the base has its own summary); for a
    dataset or shard, what it holds."""
    store = ledger.store
    as_of_us = time_us(as_of) if as_of is not None else None
    node = require_node(store, artifact, as_of_us)
    if node.kind not in kinds:
        wanted = " or ".join(kind.lower() for kind in kinds)
        raise InputError(f"{node.id} is a {node.kind.lower()}: give a {wanted}")
    latest = store.latest_checkpoint()
    if latest is None:
        raise InputError("the ledger has no checkpoint yet")
    roots, bases = [node], []
    if node.kind == MODEL:
        inputs = store.edges_into([node.id], TRAINED_ON, as_of_us)
        bases = [(e.up, e.entry) for e in store.edges_into([node.id], FINETUNED_FROM, as_of_us)]
        found = store.nodes([edge.up for edge in inputs])
        roots = [found[edge.up] for edge in inputs if edge.up in found]
    walk = _Walk(store, as_of_us, progress, several=len(roots) > 1)
    for root in roots:
        walk.add(root)
    shards = f"lineage show SHARD (attributes) for each shard upstream of {_ids(roots)}"
    suffix = f" --as-of {format_us(as_of_us)}" if as_of_us is not None else ""
    return TrainingContent(
        artifact=node,
        as_of_us=as_of_us,
        checkpoint_size=latest[0],
        checkpoint=latest[1],
        roots=roots,
        base_models=sorted(bases),
        services=sorted(walk.services.values(), key=lambda s: (s.platform, s.surface)),
        kinds={
            kind: Figure(count, tuple(sorted(walk.kind_entries[kind])), _trace(roots, suffix))
            for kind, count in sorted(walk.kinds.items())
        },
        shard_bytes=Figure(walk.shard_bytes, tuple(sorted(walk.kind_entries[SHARD])), shards),
        shard_records=Figure(walk.shard_records, tuple(sorted(walk.kind_entries[SHARD])), shards),
        jurisdictions={
            code: Figure(count, tuple(sorted(walk.place_entries[code])), _trace(roots, suffix))
            for code, count in sorted(walk.places.items())
        },
        drops=run_drops(store, runs_of(store, walk.entries), as_of_us),
        requests=_requests(store, walk, node, as_of_us),
        step_runs=_step_runs(store, walk, _trace(roots, suffix)),
    )


def _step_runs(store: Store, walk: _Walk, recompute: str) -> list[ContentRun]:
    """The step runs that wrote the content's nodes, with the records each made."""
    keys: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    made: dict[tuple[str, str, str], int] = defaultdict(int)
    entries: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for entry, row in store.statements(walk.entries).items():
        run = (row.step, row.version, row.run)
        keys[run].add(row.keyid)
        made[run] += walk.records_by_entry.get(entry, 0)
        if entry in walk.records_by_entry:
            entries[run].add(entry)
    return [
        ContentRun(
            *run,
            tuple(sorted(keys[run])),
            Figure(made[run], tuple(sorted(entries[run])), recompute),
        )
        for run in sorted(keys)
    ]


def _trace(roots: list[NodeRow], suffix: str) -> str:
    """The trace commands that recompute a count (over several roots, counting each node
    once: a node upstream of two of them is in both traces)."""
    return "; ".join(f"lineage trace {root.id} --json{suffix}" for root in roots)


def _ids(roots: list[NodeRow]) -> str:
    return ", ".join(root.id for root in roots)


class _Walk:
    """One pass upstream from each root, every node counted once (a store's walk gives
    each node once; over ``several`` roots, the ids seen are kept to skip repeats)."""

    def __init__(
        self,
        store: Store,
        as_of_us: int | None,
        progress: Callable[[int], None] | None,
        several: bool,
    ) -> None:
        self.store, self.as_of_us, self.progress = store, as_of_us, progress
        self.seen: set[str] | None = set() if several else None
        self.entries: set[int] = set()
        self.kinds: Counter[str] = Counter()
        self.kind_entries: dict[str, set[int]] = defaultdict(set)
        self.services: dict[tuple[str, str], Service] = {}
        self.posts: list[str] = []
        self.places: Counter[str] = Counter()
        self.place_entries: dict[str, set[int]] = defaultdict(set)
        self.shard_bytes = self.shard_records = 0
        self.subjects: set[str] = set()
        self.records_by_entry: dict[int, int] = defaultdict(int)

    def add(self, root: NodeRow) -> None:
        """Walk upstream from ``root`` (itself included)."""
        for row in self.store.walk(root.id, upstream=True, as_of_us=self.as_of_us):
            if self.seen is not None:
                if row.id in self.seen:
                    continue
                self.seen.add(row.id)
            self.entries.add(row.entry)
            self.kinds[row.kind or "unknown"] += 1
            self.kind_entries[row.kind or "unknown"].add(row.entry)
            if row.kind == POST:
                self._post(row)
            elif row.kind == SHARD:
                attrs = row.attributes()
                self.shard_bytes += int(attrs.get("size", 0))
                self.shard_records += int(attrs.get("records", 0))
            elif row.kind == RECORD:
                self.records_by_entry[row.entry] += 1
            elif row.kind == SUBJECT:
                self.subjects.add(row.id)
            if self.progress is not None:
                self.progress(1)

    def _post(self, row: NodeRow) -> None:
        attrs = row.attributes()
        key = (str(attrs.get("platform", "?")), str(attrs.get("surface", "?")))
        service = self.services.get(key)
        if service is None:
            service = self.services[key] = Service(*key)
        service.posts += 1
        service.entries.add(row.entry)
        service.collected.add(row.time_us)
        created = attrs.get("created")
        if isinstance(created, str):
            service.created.add(time_us(parse_time(created, "created")))
        self.posts.append(row.id)
        place = str(attrs.get("jurisdiction", "?"))
        self.places[place] += 1
        self.place_entries[place].add(row.entry)


def _requests(store: Store, walk: _Walk, node: NodeRow, as_of_us: int | None) -> list[Request]:
    """Deletion, objection and erasure requests about the content's posts and authors,
    split at the model's training time (a dataset's: its own statement's time)."""
    targets = sorted({*walk.posts, *walk.subjects})
    trained_us = node.time_us
    counted: dict[tuple[str, bool], set[str]] = defaultdict(set)
    entries: dict[tuple[str, bool], set[int]] = defaultdict(set)
    for start in range(0, len(targets), _REQUEST_BATCH):
        for row in store.requests_of(targets[start : start + _REQUEST_BATCH], as_of_us):
            key = (row.kind, row.at_us > trained_us)
            counted[key].add(row.target)
            entries[key].add(row.entry)
    return [
        Request(kind, after, len(ids), tuple(sorted(entries[(kind, after)])))
        for (kind, after), ids in sorted(counted.items())
    ]
