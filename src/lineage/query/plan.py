"""Remediation plans: what to rebuild and retrain when a post is deleted or a person
objects or is erased.

From everything downstream of a post, record or author (:func:`lineage.query.impact.impact`):
each affected shard with the records to remove and the digest of the file that must be
rebuilt; the dataset versions that contain such a shard (superseded); every model
trained on an affected dataset or shard, with which of its shards are affected (with
sharded, SISA-style training only those sub-models are retrained); and the fine-tunes
of affected models. A shard or dataset version that ``lineage remediate`` already rebuilt
names its new versions (which the post does not reach); its models stay listed until they
are retrained. The same ledger state gives the same plan: every list is sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.model.graph import DATASET, FINETUNED_FROM, MODEL, PACKED_INTO, PART_OF, RECORD, SHARD
from lineage.query.impact import Impact, impact
from lineage.query.versions import versions
from lineage.store.base import Store

MAX_LISTED_RECORDS = 100_000
"""Records listed per shard (all are counted)."""


@dataclass
class ShardFix:
    """An affected shard: the file to rebuild (by SHA-256) and the records to remove."""

    shard: str
    sha256: str
    records: int
    remove: list[str] = field(default_factory=list)
    remediated_by: list[str] = field(default_factory=list)
    """New versions of the shard already recorded (``lineage remediate``)."""

    def to_json(self) -> dict[str, Any]:
        """The fix as a JSON object (at most MAX_LISTED_RECORDS records listed)."""
        return {
            "shard": self.shard,
            "rebuild_from_sha256": self.sha256,
            "records": self.records,
            "remove_count": len(self.remove),
            "remove": self.remove[:MAX_LISTED_RECORDS],
            "remediated_by": self.remediated_by,
        }


@dataclass
class ModelFix:
    """A model to retrain (or fine-tune to refit) and which of its shards are affected."""

    model: str
    shards: int
    """Shards the model was trained on (through its datasets or directly)."""
    affected_shards: list[str]
    finetuned_from: str | None

    def to_json(self) -> dict[str, Any]:
        """The fix as a JSON object."""
        return {
            "model": self.model,
            "shards": self.shards,
            "affected_shards": self.affected_shards,
            "finetuned_from": self.finetuned_from,
        }


@dataclass
class Plan:
    """A remediation plan: shards to rebuild, datasets superseded, models to retrain."""

    impact: Impact
    shards: list[ShardFix]
    datasets: list[dict[str, Any]]
    models: list[ModelFix]
    finetunes: list[ModelFix]

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON object (the ``plan`` field of ``lineage impact --json``)."""
        return {
            "start": self.impact.start,
            "shards": [s.to_json() for s in self.shards],
            "superseded_datasets": self.datasets,
            "retrain": [m.to_json() for m in self.models],
            "refit_finetunes": [m.to_json() for m in self.finetunes],
        }


def _upstream(store: Store, node: str, kind: str, as_of: int | None) -> list[str]:
    return [edge.up for edge in store.edges_into([node], kind, as_of)]


def _downstream(store: Store, node: str, kind: str, as_of: int | None) -> list[str]:
    return sorted(
        e.down
        for e in store.edges_of(node, as_of, downstream_only=True)
        if e.kind == kind and e.up == node
    )


def _shards_of_model(store: Store, model: str, as_of: int | None) -> list[str]:
    shards: set[str] = set()
    for edge in store.edges_of(model, as_of):
        if edge.down != model or edge.kind == FINETUNED_FROM:
            continue
        if edge.up.startswith("ds:"):
            shards.update(_upstream(store, edge.up, PART_OF, as_of))
        else:
            shards.add(edge.up)
    return sorted(shards)


def remediation_plan(store: Store, start: str, as_of_us: int | None = None) -> Plan:
    """The plan for ``start`` (a post, record or author), as the ledger stood at ``as_of_us``."""
    affected = impact(store, start, as_of_us)
    shard_ids = set(affected.nodes[SHARD])
    fixes: dict[str, ShardFix] = {}
    known = versions(store, as_of_us=as_of_us) if shard_ids else None
    for shard in sorted(shard_ids):
        row = store.node(shard)
        attrs = row.attributes() if row else {}
        fixes[shard] = ShardFix(shard, str(attrs.get("sha256", "")), int(attrs.get("records", 0)))
        if known is not None:
            fixes[shard].remediated_by = list(known.superseded_by.get(shard, []))
    for record in affected.nodes[RECORD]:
        for shard in _downstream(store, record, PACKED_INTO, as_of_us):
            if shard in fixes:
                fixes[shard].remove.append(record)
    datasets = []
    for dataset in affected.nodes[DATASET]:
        row = store.node(dataset)
        version = row.attributes().get("version", "") if row and row.kind == DATASET else ""
        contained = _upstream(store, dataset, PART_OF, as_of_us)
        datasets.append(
            {
                "dataset": dataset,
                "version": version,
                "shards": len(contained),
                "affected_shards": [s for s in contained if s in shard_ids],
                "superseded_by": list(known.superseded_by.get(dataset, [])) if known else [],
            }
        )
    trained: list[ModelFix] = []
    finetunes: list[ModelFix] = []
    for model in affected.nodes[MODEL]:
        row = store.node(model)
        if row is None or row.kind != MODEL:
            continue
        own = _shards_of_model(store, model, as_of_us)
        bases = _upstream(store, model, FINETUNED_FROM, as_of_us)
        fix = ModelFix(
            model, len(own), [s for s in own if s in shard_ids], bases[0] if bases else None
        )
        (trained if fix.affected_shards else finetunes).append(fix)
    return Plan(affected, list(fixes.values()), datasets, trained, finetunes)
