"""What an artifact used: its shards, when and by which run, and every gap in that lineage.

A model uses the shards of the datasets (and the shards) it was trained on, at its
training run; what it inherits from a base model it was fine-tuned from is used at the
base model's run. A shard or dataset uses its shards when it was recorded.

A check must not pass what it cannot see, so each gap is a finding of its own:
``incomplete-lineage`` for an input the ledger does not hold (a dataset, shard or base
model named by an edge but declared by no entry, or declared only after the time
checked), a model with no recorded training data, a dataset with no shards, and a shard
whose declared record count differs from the records packed into it; ``cycle`` for a
model that is, through its base models, fine-tuned from itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lineage.errors import InputError
from lineage.model.graph import (
    DATASET,
    FINETUNED_FROM,
    ID_PREFIX,
    MODEL,
    PACKED_INTO,
    PART_OF,
    SHARD,
    TRAINED_ON,
)
from lineage.model.rows import NodeRow
from lineage.store.base import Store

INCOMPLETE, CYCLE = "incomplete-lineage", "cycle"
DATASET_PREFIX = ID_PREFIX[DATASET]


@dataclass(frozen=True)
class Use:
    """A shard used at ``time_us`` by ``run`` (the artifact, or the model trained on it),
    reached through the edges of ``entries``."""

    time_us: int
    run: str
    entries: tuple[int, ...]


@dataclass(frozen=True)
class Gap:
    """Something the artifact's lineage names but the ledger does not show."""

    rule: str
    """:data:`INCOMPLETE` or :data:`CYCLE`."""
    node: str
    """The node whose lineage has the gap."""
    run: str
    used: int
    detail: str
    entries: tuple[int, ...]


@dataclass
class Uses:
    """The shards an artifact used (shard -> its uses) and the gaps found on the way."""

    shards: dict[str, list[Use]] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)

    def add(self, shard: str, use: Use) -> None:
        """Record that ``shard`` was used (once per time of use)."""
        known = self.shards.setdefault(shard, [])
        if all(u.time_us != use.time_us for u in known):
            known.append(use)


class _Resolver:
    def __init__(self, store: Store, as_of: int) -> None:
        self.store = store
        self.as_of = as_of
        self.uses = Uses()
        self.nodes: dict[str, NodeRow | None] = {}
        """Nodes read so far (a dataset's shards are read in one lookup)."""

    def read(self, ids: Sequence[str]) -> None:
        """Read these nodes in one lookup, for :meth:`node` to answer."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self.nodes]
        found = self.store.nodes(wanted)
        self.nodes.update({node_id: found.get(node_id) for node_id in wanted})

    def node(self, node_id: str) -> NodeRow | None:
        """The node, if an entry declared it."""
        if node_id not in self.nodes:
            self.nodes[node_id] = self.store.node(node_id)
        return self.nodes[node_id]

    def declared(self, node_id: str) -> NodeRow | None:
        """The node if an entry declared it by the time checked."""
        row = self.node(node_id)
        return row if row is not None and row.time_us <= self.as_of else None

    def gap(self, rule: str, node: str, use: Use, detail: str, entries: tuple[int, ...]) -> None:
        self.uses.gaps.append(Gap(rule, node, use.run, use.time_us, detail, entries))

    def missing(self, node: str, use: Use, what: str, named: str, entries: tuple[int, ...]) -> None:
        """``node`` names ``named`` (``what``), which the ledger does not hold."""
        stored = self.node(named)
        why = "no entry declares it" if stored is None else "it was recorded only later"
        self.gap(INCOMPLETE, node, use, f"{node} {what} {named}, but {why}", entries)

    def shard(self, shard: str, use: Use) -> None:
        if self.declared(shard) is None:
            self.missing(use.run, use, "uses shard", shard, use.entries)
        else:
            self.uses.add(shard, use)

    def dataset(self, dataset: str, use: Use) -> None:
        if self.declared(dataset) is None:
            self.missing(use.run, use, "uses dataset", dataset, use.entries)
            return
        edges = self.store.edges_into([dataset], PART_OF, self.as_of)
        self.read([edge.up for edge in edges])
        if not edges:
            self.gap(INCOMPLETE, dataset, use, f"dataset {dataset} has no shards", use.entries)
        for edge in edges:
            self.shard(edge.up, Use(use.time_us, use.run, (*use.entries, edge.entry)))

    def model(self, root: NodeRow) -> None:
        """Walk the model and its base models (depth first, a path at a time)."""
        pending: list[tuple[NodeRow, tuple[int, ...], tuple[str, ...]]] = [(root, (), ())]
        done: set[str] = set()
        while pending:
            model, via, path = pending.pop()
            if model.id in done:
                continue
            done.add(model.id)
            here = (*path, model.id)
            trained = self.store.edges_into([model.id], TRAINED_ON, self.as_of)
            bases = self.store.edges_into([model.id], FINETUNED_FROM, self.as_of)
            self.read([edge.up for edge in (*trained, *bases)])
            own = Use(model.time_us, model.id, via)
            if not trained and not bases:
                self.gap(INCOMPLETE, model.id, own, f"{model.id} records no training data", via)
            for edge in trained:
                use = Use(model.time_us, model.id, (*via, edge.entry))
                if edge.up.startswith(DATASET_PREFIX):
                    self.dataset(edge.up, use)
                else:
                    self.shard(edge.up, use)
            for edge in bases:
                entries = (*via, edge.entry)
                if edge.up in here:
                    loop = " -> ".join((*here[here.index(edge.up) :], edge.up))
                    detail = f"a model is fine-tuned from itself: {loop}"
                    self.gap(
                        CYCLE, model.id, Use(model.time_us, model.id, entries), detail, entries
                    )
                    continue
                base = self.declared(edge.up)
                if base is None:
                    use = Use(model.time_us, model.id, entries)
                    self.missing(model.id, use, "is fine-tuned from", edge.up, entries)
                else:
                    pending.append((base, entries, here))


def resolve_uses(store: Store, root: NodeRow, as_of: int) -> Uses:
    """The shards ``root`` used, each with when and by which run, and the gaps found."""
    resolver = _Resolver(store, as_of)
    if root.kind == SHARD:
        resolver.uses.add(root.id, Use(root.time_us, root.id, ()))
    elif root.kind == DATASET:
        resolver.dataset(root.id, Use(root.time_us, root.id, ()))
    elif root.kind == MODEL:
        resolver.model(root)
    else:
        raise InputError(f"check takes a shard, dataset or model, not a {root.kind}")
    _check_record_counts(store, resolver, as_of)
    return resolver.uses


def _check_record_counts(store: Store, resolver: _Resolver, as_of: int) -> None:
    """Every shard used must hold the records it declares: a shard that says 500 and has
    none packed is lineage the ledger does not have."""
    shards = sorted(resolver.uses.shards)
    packed = store.count_into(shards, PACKED_INTO, as_of)
    resolver.read(shards)
    for shard in shards:
        row = resolver.node(shard)
        if row is None:
            continue
        declared = row.attributes().get("records")
        found = packed.get(shard, 0)
        if isinstance(declared, int) and declared != found:
            first = resolver.uses.shards[shard][0]
            detail = f"shard {shard} declares {declared} records but {found} are packed into it"
            resolver.gap(INCOMPLETE, shard, first, detail, (*first.entries, row.entry))
