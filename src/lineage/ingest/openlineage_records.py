"""Record-level lineage from a ``lineage_run`` facet, replayed through the pipeline API.

The facet lists what a step run's statements asserted: nodes, edges and requests. Each
is recorded as the pipeline would record it: a post by ``origin`` (its pseudonymous id
and its author's are the raw ids here, so they are keyed again under new subject keys),
a record by ``transform`` from its parent, a drop, a shard and its packings, a dataset
and its shards, a model and what it was trained on, a request. Content digests are keyed
under the exporting ledger's subject keys: they cannot be keyed again and are left out.
Items may refer to what earlier events recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.errors import InputError
from lineage.ingest.pipeline import Lineage, Ref, Step
from lineage.model.graph import (
    AUTHORED,
    DATASET,
    DERIVED_FROM,
    DROPPED,
    FINETUNED_FROM,
    ID_PREFIX,
    MODEL,
    PACKED_INTO,
    PART_OF,
    POST,
    RECORD,
    SHARD,
    SUBJECT,
    SUPERSEDES,
    TRAINED_ON,
    check_edges,
    check_nodes,
    kind_of,
)
from lineage.model.requests import check_requests

_FIELD = "run.facets.lineage_run.records"
MAX_SUBJECT_AGES = 5_000_000
MAX_BUFFERED_ITEMS = 2_000_000
"""Items of one run held until its last part is in."""
_OWNED_BY_DST = frozenset({AUTHORED, PART_OF})
"""Edges recorded with their downstream node as the statement writes them (a post's
author, a dataset's shards); the others with their upstream one."""


def _name(node_id: str) -> str:
    return node_id[len(ID_PREFIX[kind_of(node_id)]) :]


@dataclass
class _Pending:
    """The parts of one run received so far."""

    step: Step
    parts: int
    received: int = 0
    nodes: list[list[Any]] = field(default_factory=list)
    edges: list[list[str]] = field(default_factory=list)
    requests: list[list[str]] = field(default_factory=list)


class RecordReplay:
    """Collects each run's record parts, and replays the run once its last part is in (a
    node and the edges recorded with it may be in different parts); remembers the age of
    every author seen (a post of a later run names its author without declaring it)."""

    def __init__(self, lineage: Lineage) -> None:
        self.lineage = lineage
        self.ages: dict[str, str | None] = {}
        self.pending: dict[str, _Pending] = {}
        self.buffered = 0

    def add(self, run_id: str, step: Step, records: dict[str, Any]) -> None:
        """Take part ``part`` of ``parts`` of a run's items; replay the run after its last."""
        pending = self.pending.setdefault(run_id, _Pending(step, records["parts"]))
        if records["parts"] != pending.parts or records["part"] != pending.received + 1:
            raise InputError(
                f"part {records['part']} of {records['parts']} follows part"
                f" {pending.received} of {pending.parts} of run {run_id}",
                field=f"{_FIELD}.part",
            )
        pending.received += 1
        at = len(pending.nodes)
        nodes = [[n["kind"], n["id"], n["attrs"]] for n in records["nodes"]]
        pending.nodes += check_nodes(nodes, f"{_FIELD}.nodes")
        pending.edges += check_edges(records["edges"], f"{_FIELD}.edges")
        if records["requests"]:
            pending.requests += check_requests(records["requests"], f"{_FIELD}.requests")
        self.buffered += len(pending.nodes) - at + len(records["edges"]) + len(records["requests"])
        if self.buffered > MAX_BUFFERED_ITEMS:
            raise InputError(
                f"a run's parts hold more than {MAX_BUFFERED_ITEMS:,} items", field=_FIELD
            )
        if pending.received == pending.parts:
            del self.pending[run_id]
            self.buffered = 0
            self._replay(pending)

    def unfinished(self) -> str | None:
        """A run whose last part never came, if any."""
        for run_id, pending in self.pending.items():
            return f"run {run_id} has {pending.received} of its {pending.parts} parts"
        return None

    def _replay(self, pending: _Pending) -> None:
        step, nodes, edges = pending.step, pending.nodes, pending.edges
        out: dict[str, dict[str, list[str]]] = {}
        for kind, src, dst in edges:
            out.setdefault(kind, {}).setdefault(src, []).append(dst)
        for kind, node_id, attrs in nodes:
            if kind == SUBJECT:
                if len(self.ages) >= MAX_SUBJECT_AGES:
                    raise InputError(f"more than {MAX_SUBJECT_AGES:,} authors", field=_FIELD)
                self.ages[node_id] = attrs.get("age")
        authors = {
            post: subject for subject, posts in out.get(AUTHORED, {}).items() for post in posts
        }
        for kind, node_id, attrs in nodes:
            self._node(step, kind, node_id, attrs, out, authors)
        self._edges(step, edges, {node_id for _, node_id, _ in nodes})
        for kind, target, at in pending.requests:
            ref = (
                self.lineage.post(target)
                if kind_of(target) == POST
                else self.lineage.author(target)
            )
            step.request(kind, ref, at)

    def _node(
        self,
        step: Step,
        kind: str,
        node_id: str,
        attrs: dict[str, Any],
        out: dict[str, dict[str, list[str]]],
        authors: dict[str, str],
    ) -> None:
        if kind == POST:
            author = authors.get(node_id)
            if author is None:
                raise InputError(f"post {node_id} has no AUTHORED edge in its run", field=_FIELD)
            step.origin(
                node_id,
                platform=attrs["platform"],
                surface=attrs["surface"],
                visibility=attrs["visibility"],
                created=attrs["created"],
                jurisdiction=attrs["jurisdiction"],
                author=author,
                author_age=self.ages.get(author),
            )
        elif kind == RECORD:
            parents = out.get(DERIVED_FROM, {}).get(node_id, [])
            if len(parents) != 1:
                step.dataset_record(_name(node_id), [self._item(p) for p in parents])
            else:
                step.transform(self._item(parents[0]), node_id)
        elif kind == SHARD:
            step.shard(
                _name(node_id),
                sha256=attrs["sha256"],
                size=attrs["size"],
                record_count=attrs["records"],
                uri=attrs.get("uri"),
                supersedes=_ref(attrs[SUPERSEDES]) if SUPERSEDES in attrs else None,
            )
        elif kind == DATASET:
            step.dataset(
                _name(node_id),
                shards=[_ref(s) for s, ds in out.get(PART_OF, {}).items() if node_id in ds],
                version=attrs.get("version", ""),
                manifest_sha256=attrs.get("manifest_sha256"),
                supersedes=_ref(attrs[SUPERSEDES]) if SUPERSEDES in attrs else None,
            )
        elif kind == MODEL:
            bases = out.get(FINETUNED_FROM, {}).get(node_id, [])
            if len(bases) > 1:
                raise InputError(f"model {node_id} is fine-tuned from {len(bases)} models")
            step.model(
                _name(node_id),
                trained_on=[_ref(s) for s in out.get(TRAINED_ON, {}).get(node_id, [])],
                finetuned_from=_ref(bases[0]) if bases else None,
                description=attrs.get("description", ""),
                weights_sha256=attrs.get("checkpoint_sha256"),
            )

    def _edges(self, step: Step, edges: list[list[str]], declared: set[str]) -> None:
        """The edges no node recorded: drops and packings (and refuse any other edge
        whose node the run does not declare: the pipeline API records it with the node)."""
        for kind, src, dst in edges:
            if kind == DROPPED:
                step.drop(self._item(src), dst)
            elif kind == PACKED_INTO:
                step.pack(self._item(src), _ref(dst))
            elif (dst if kind in _OWNED_BY_DST else src) not in declared:
                raise InputError(
                    f"a {kind} edge from {src} to {dst} without its"
                    f" {'downstream' if kind in _OWNED_BY_DST else 'upstream'} node: the"
                    " pipeline API records it with that node, in the same run",
                    field=f"{_FIELD}.edges",
                )

    def _item(self, node_id: str) -> Ref:
        """A post or record recorded earlier, by the id it had in the exported ledger; a
        record standing for a dataset, by its own id."""
        kind = kind_of(node_id)
        if kind == POST:
            return self.lineage.post(node_id)
        if kind != RECORD:
            raise InputError(f"{node_id} is not a post or record")
        found = self.lineage.identities.resolve("record", node_id)
        if found is None:
            return Ref(node_id, RECORD)
        return Ref(found[1], RECORD, found[0])


def _ref(node_id: str) -> Ref:
    return Ref(node_id, kind_of(node_id))
