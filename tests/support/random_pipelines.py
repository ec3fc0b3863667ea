"""Random pipelines (merges, drops, fan-out, fine-tunes) and a plain reference of the
graph they record, for the property tests of trace and impact and the lake's
differential test."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from lineage.crypto.keys import KeyDirectory
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.log import Ledger

from support.ledgers import T0, registration_envelope

STEPS = ["collect", "clean", "pack", "train"]


class Reference:
    """The graph as plain adjacency lists, walked with a stack."""

    def __init__(self) -> None:
        self.down: dict[str, set[str]] = defaultdict(set)
        self.up: dict[str, set[str]] = defaultdict(set)
        self.kind: dict[str, str] = {}

    def add(self, ref: Ref) -> Ref:
        self.kind[ref.id] = ref.kind
        return ref

    def link(self, up: Ref, down: Ref) -> None:
        self.down[up.id].add(down.id)
        self.up[down.id].add(up.id)

    def reach(self, start: str, upstream: bool) -> set[str]:
        graph = self.up if upstream else self.down
        seen, stack = set(), [start]
        while stack:
            for nxt in graph[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen


def build(rng: random.Random, lineage: Lineage, ref: Reference) -> None:
    collect = lineage.step("collect", key="k", time="2024-06-01T00:00:00Z")
    clean = lineage.step("clean", key="k", time="2024-06-02T00:00:00Z")
    pack = lineage.step("pack", key="k", time="2024-06-03T00:00:00Z")
    train = lineage.step("train", key="k", time="2024-06-04T00:00:00Z")
    ends: list[Ref] = []
    by_author: dict[str, list[Ref]] = defaultdict(list)
    for p in range(rng.randint(1, 25)):
        post = ref.add(
            collect.origin(
                f"fb:{p}",
                platform=rng.choice(["facebook", "instagram"]),
                surface="feed",
                visibility="public",
                created="2024-05-01T00:00:00Z",
                jurisdiction="US",
                author=f"fb:user:{(author := rng.randint(0, 5))}",
            )
        )
        ref.link(Ref(post.subject.node_id, "Subject"), post)  # type: ignore[union-attr]
        frontier = [post]
        for depth in range(rng.randint(0, 3)):
            nxt = []
            for item in frontier:
                if rng.random() < 0.15:
                    clean.drop(item, "random")
                    continue
                for branch in range(1 if rng.random() < 0.8 else 2):
                    record = ref.add(clean.transform(item, f"r:{p}:{depth}:{branch}:{item.id}"))
                    ref.link(item, record)
                    nxt.append(record)
            frontier = nxt
        ends.extend(r for r in frontier if r.kind == "Record")
        by_author[str(author)].extend(frontier)
    # records merging items of several posts by one author (one record id, many parents)
    for author, items in by_author.items():
        if len(items) > 1 and rng.random() < 0.5:
            for item in rng.sample(items, rng.randint(2, len(items))):
                merged = ref.add(clean.transform(item, f"merge:{author}"))
                ref.link(item, merged)
            ends.append(merged)
    shards = [
        ref.add(pack.shard(f"s{i}", sha256="00" * 32, size=1, record_count=0))
        for i in range(rng.randint(1, 4))
    ]
    for record in ends:
        for shard in rng.sample(shards, rng.randint(0, min(2, len(shards)))):
            pack.pack(record, shard)
            ref.link(record, shard)
    datasets = []
    for d in range(rng.randint(1, 3)):
        chosen = rng.sample(shards, rng.randint(1, len(shards)))
        dataset = ref.add(pack.dataset(f"d{d}", shards=chosen))
        for shard in chosen:
            ref.link(shard, dataset)
        datasets.append(dataset)
    models: list[Ref] = []
    for m in range(rng.randint(1, 3)):
        sources = rng.sample(datasets + shards, rng.randint(1, 2))
        base = rng.choice(models) if models and rng.random() < 0.5 else None
        model = ref.add(train.model(f"m{m}", trained_on=sources, finetuned_from=base))
        for source in sources:
            ref.link(source, model)
        if base is not None:
            ref.link(base, model)
        models.append(model)


def random_pipeline(tmp: Path, url: str, rng: random.Random, batch: int) -> Reference:
    """A ledger at ``url`` holding a random pipeline (keys in ``tmp``); its reference."""
    keys = KeyDirectory(tmp / "keys")
    admin, signer = keys.create("admin"), keys.create("k")
    ledger = Ledger.create(url, admin)
    ledger.append([("r", registration_envelope(admin, signer, STEPS, T0))], admin)
    ledger.close()
    reference = Reference()
    with Lineage.open(url, keys_dir=tmp / "keys", batch_size=batch) as lineage:
        build(rng, lineage, reference)
    return reference
