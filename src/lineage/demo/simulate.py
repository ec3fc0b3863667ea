"""The demo pipeline, end to end, through the public pipeline API only (its columnar
calls: a chunk of posts at a time).

collect → visibility → jurisdiction → objection → minor → deletion → pii-redact →
dedup → pack (real JSONL.gz shard files) → dataset → train → fine-tune, each stage
signing with its own registered key. With ``leak`` one filter runs its bug, and the
simulator keeps the ground truth of exactly which posts leaked into the shards.

The privacy team's requests are recorded too, by a ``privacy-requests`` step with its
own key: the deletions and objections made before the training run (recorded when it
starts) and those made after it (recorded at the end of the year). The later ones are
what deletion impact is about; the simulator keeps their ground truth as well.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lineage.crypto.keys import KeyDirectory
from lineage.demo.corpus import (
    COLLECTED_AT,
    CORPUS_START,
    FINETUNED_AT,
    LATER,
    TRAINED_AT,
    Post,
    generate,
)
from lineage.demo.stages import FILTERS, LEAKS, drop_reason, near_key, redact
from lineage.errors import InputError
from lineage.ingest.columns import Refs
from lineage.ingest.pipeline import Lineage, Ref, Step
from lineage.ledger.log import Ledger
from lineage.model.graph import POST, RECORD, SUBJECT
from lineage.model.identity import KeySource
from lineage.model.requests import DELETION, OBJECTION

STAGES = ("collect", *FILTERS, "pii-redact", "dedup", "pack", "dataset", "train", "finetune")
REQUESTS_STAGE = "privacy-requests"
REQUESTS_RECORDED = {"before-training": TRAINED_AT, "after-training": LATER + timedelta(days=1)}
RECORDS_PER_SHARD = 500
FINETUNE_SHARDS = 2
"""The fine-tune's data mix: the records of the first shards still usable when it runs."""
MAX_POSTS = 5_000_000
CHUNK_POSTS = 5000
"""Posts the pipeline records a column at a time."""
Progress = Callable[[int], None]


@dataclass
class StageCount:
    """How many items a demo stage saw and how many it kept."""

    name: str
    seen: int = 0
    kept: int = 0

    @property
    def dropped(self) -> int:
        """The items the stage saw but did not keep."""
        return self.seen - self.kept


@dataclass
class ShardFile:
    """A shard file the demo wrote: its id, path, SHA-256, size in bytes and record count."""

    id: str
    path: Path
    sha256: str
    size: int
    records: int


@dataclass
class DemoRun:
    """What a demo run did: its settings, stage counts, artifacts and the ground truth."""

    url: str
    directory: Path
    posts: int
    seed: int
    leak: str | None
    stages: dict[str, StageCount] = field(default_factory=dict)
    drops: Counter[tuple[str, str]] = field(default_factory=Counter)
    shards: list[ShardFile] = field(default_factory=list)
    finetune_shard: ShardFile | None = None
    """The fine-tune's data mix (records also packed into the first shards)."""
    dataset: str = ""
    model: str = ""
    finetune: str = ""
    kept_post: str = ""
    kept_post_author: str = ""
    dropped_post: str = ""
    leaked: list[str] = field(default_factory=list)
    """Raw ids of the posts the leaking stage let into the shards."""
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Requests recorded, by (kind, ``before-training`` or ``after-training``)."""
    deleted_after_training: list[str] = field(default_factory=list)
    """Raw ids of posts in the shards that their authors deleted after the training run."""
    objected_after_training: list[str] = field(default_factory=list)
    """Raw ids of authors with posts in the shards who objected after the training run."""
    late_shards: dict[str, list[str]] = field(default_factory=dict)
    """For each of those posts and authors: the shards holding their records."""

    def to_json(self) -> dict[str, Any]:
        """The run as a JSON object (the core of ``lineage demo --json``)."""
        return {
            "store": self.url,
            "directory": str(self.directory),
            "posts": self.posts,
            "seed": self.seed,
            "leak": self.leak,
            "stages": [
                {"stage": c.name, "in": c.seen, "kept": c.kept, "dropped": c.dropped}
                for c in self.stages.values()
            ],
            "dropped": [
                {"stage": stage, "reason": reason, "count": count}
                for (stage, reason), count in sorted(self.drops.items())
            ],
            "shards": [
                {"id": s.id, "path": str(s.path), "sha256": s.sha256, "records": s.records}
                for s in self.shards
            ],
            "dataset": self.dataset,
            "model": self.model,
            "finetune": self.finetune,
            "shard": self.shards[0].id if self.shards else None,
            "finetune_shard": self.finetune_shard.id if self.finetune_shard else None,
            "kept_post": self.kept_post,
            "kept_post_author": self.kept_post_author,
            "dropped_post": self.dropped_post,
            "leaked": self.leaked,
            "requests": [
                {"kind": kind, "recorded": when, "count": count}
                for (kind, when), count in sorted(self.requests.items())
            ],
            "deleted_after_training": len(self.deleted_after_training),
            "objected_after_training": len(self.objected_after_training),
            "late_deleted_post": next(iter(self.deleted_after_training), None),
            "late_objector": next(iter(self.objected_after_training), None),
        }


def shard_bytes(lines: list[str]) -> bytes:
    """A gzip file whose bytes depend only on its lines (no name, no time)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write("".join(lines).encode())
    return buffer.getvalue()


class _Pipeline:
    def __init__(self, lineage: Lineage, run: DemoRun, keys: dict[str, str]) -> None:
        self.run = run
        self.steps: dict[str, Step] = {}
        for offset, name in enumerate(STAGES):
            when = COLLECTED_AT + timedelta(hours=offset)
            if name == "train":
                when = TRAINED_AT
            elif name == "finetune":
                when = FINETUNED_AT
            version = "1.1-bug" if name == run.leak else "1.0"
            self.steps[name] = lineage.step(
                name, version=version, run=f"demo-{run.seed}", key=keys[name], time=when
            )
            run.stages[name] = StageCount(name)
        self.seen_text: set[str] = set()
        self.seen_near: set[str] = set()
        self.dropped_here: list[Post] = []
        """The posts of the chunk being fed that a stage dropped."""
        self.packed: list[tuple[Ref, str]] = []
        self.finetune_mix: list[tuple[Ref, str]] = []
        """Records of the first shards still usable when the fine-tune runs."""
        self.shard_refs: list[Ref] = []
        self.deletions: list[tuple[Ref, datetime]] = []
        self.objections: dict[str, tuple[Ref, datetime]] = {}
        self.requests = {
            when: lineage.step(
                REQUESTS_STAGE, run=f"demo-{run.seed}-{when}", key=keys[REQUESTS_STAGE], time=at
            )
            for when, at in REQUESTS_RECORDED.items()
        }

    def count(self, stage: str, kept: bool, items: int = 1) -> None:
        counter = self.run.stages[stage]
        counter.seen += items
        counter.kept += items if kept else 0

    def drop(self, stage: str, items: Refs, posts: list[Post], reasons: list[str]) -> None:
        """``items`` (of ``posts``) stop at ``stage``, each for its reason."""
        if not posts:
            return
        self.steps[stage].drops(items, reasons)
        self.count(stage, False, len(posts))
        self.run.drops.update((stage, reason) for reason in reasons)
        self.dropped_here.extend(posts)

    def split(
        self, stage: str, items: Refs, posts: list[Post], reasons: list[str | None]
    ) -> tuple[Refs, list[Post]]:
        """Drop the items with a reason at ``stage``, keep the others: the kept records
        and their posts."""
        dropped = [n for n, reason in enumerate(reasons) if reason is not None]
        kept = [n for n, reason in enumerate(reasons) if reason is None]
        why = [reason for reason in reasons if reason is not None]
        self.drop(stage, items.take(dropped), [posts[n] for n in dropped], why)
        records = self.steps[stage].keeps(items.take(kept))
        self.steps[stage].flush()
        self.count(stage, True, len(kept))
        return records, [posts[n] for n in kept]

    def feed(self, posts: list[Post]) -> None:
        """Run a chunk of posts through the pipeline, a column at a time."""
        steps = self.steps
        order = {post.id: n for n, post in enumerate(posts)}
        self.dropped_here = []
        items = steps["collect"].origins(
            {
                "post_id": [p.id for p in posts],
                "platform": [p.platform for p in posts],
                "surface": [p.surface for p in posts],
                "visibility": [p.visibility for p in posts],
                "created": [p.created for p in posts],
                "jurisdiction": [p.jurisdiction for p in posts],
                "author": [p.author.id for p in posts],
                "author_age": [p.author.age for p in posts],
                "content_sha256": [hashlib.sha256(p.text.encode()).hexdigest() for p in posts],
            }
        )
        steps["collect"].flush()
        self.count("collect", True, len(posts))
        for post, item in zip(posts, items, strict=True):
            self.note_requests(post, Ref(item[0], POST, item[1]))
        for stage in FILTERS:
            leak = stage == self.run.leak
            reasons = [drop_reason(stage, post, leak=leak) for post in posts]
            items, posts = self.split(stage, items, posts, reasons)
        texts = [redact(post.text) for post in posts]
        digests = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        items = steps["pii-redact"].transforms(items, content_sha256=digests)
        steps["pii-redact"].flush()
        self.count("pii-redact", True, len(posts))
        duplicates: list[str | None] = []
        for text in texts:
            near = near_key(text)
            if text in self.seen_text or near in self.seen_near:
                duplicates.append("duplicate" if text in self.seen_text else "near-duplicate")
                continue
            duplicates.append(None)
            self.seen_text.add(text)
            self.seen_near.add(near)
        unique = [n for n, reason in enumerate(duplicates) if reason is None]
        items, posts = self.split("dedup", items, posts, duplicates)
        for (record, subject), post, n in zip(items, posts, unique, strict=True):
            self.packed_one(Ref(record, RECORD, subject), texts[n], post)
        if self.dropped_here and not self.run.dropped_post:
            self.run.dropped_post = min(self.dropped_here, key=lambda p: order[p.id]).id

    def packed_one(self, item: Ref, text: str, post: Post) -> None:
        """A record that passed every stage: into the next shard (and the fine-tune's)."""
        self.packed.append((item, text))
        shards = [f"shard:demo-{self.run.seed}-{len(self.run.shards):05d}"]
        if len(self.run.shards) < FINETUNE_SHARDS and _usable(post, FINETUNED_AT):
            self.finetune_mix.append((item, text))
            shards.append(f"shard:demo-{self.run.seed}-finetune")
        late = self.run.late_shards
        if post.deleted_at is not None and post.deleted_at > TRAINED_AT:
            self.run.deleted_after_training.append(post.id)
            late.setdefault(post.id, []).extend(shards)
        objected = post.author.objected_at
        if objected is not None and objected > TRAINED_AT:
            if post.author.id not in late:
                self.run.objected_after_training.append(post.author.id)
            late.setdefault(post.author.id, []).extend(shards)
        if self.run.leak in FILTERS and drop_reason(self.run.leak, post) is not None:
            self.run.leaked.append(post.id)
        if not self.run.kept_post:
            self.run.kept_post, self.run.kept_post_author = post.id, post.author.id
        if len(self.packed) == RECORDS_PER_SHARD:
            self.pack()

    def note_requests(self, post: Post, item: Ref) -> None:
        if post.deleted_at is not None:
            self.deletions.append((item, post.deleted_at))
        author = post.author
        if author.objected_at is not None and author.id not in self.objections:
            assert item.subject is not None
            subject = Ref(item.subject.node_id, SUBJECT, item.subject)
            self.objections[author.id] = (subject, author.objected_at)

    def record_requests(self) -> None:
        """The requests, each recorded by the step run of its time."""
        made = [(DELETION, *d) for d in self.deletions]
        made += [(OBJECTION, *o) for o in self.objections.values()]
        for kind, target, at in made:
            when = "before-training" if at <= TRAINED_AT else "after-training"
            self.requests[when].request(kind, target, at)
            self.run.requests[(kind, when)] += 1

    def pack(self) -> None:
        if not self.packed:
            return
        number = len(self.run.shards)
        shard, written = self.write_shard(f"demo-{self.run.seed}-{number:05d}", self.packed, number)
        self.count("pack", True, len(self.packed))
        self.run.shards.append(written)
        self.shard_refs.append(shard)
        self.packed = []

    def write_shard(
        self, name: str, packed: list[tuple[Ref, str]], number: int
    ) -> tuple[Ref, ShardFile]:
        lines = [
            json.dumps({"n": number * RECORDS_PER_SHARD + i, "record": ref.id, "text": text}) + "\n"
            for i, (ref, text) in enumerate(packed)
        ]
        data = shard_bytes(lines)
        path = self.run.directory / "shards" / f"{name}.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        records = [ref for ref, _ in packed]
        refs = Refs(RECORD, [r.id for r in records], [r.subject for r in records])
        shard = self.steps["pack"].shard(
            name, sha256=digest, size=len(data), records=refs, uri=path.name
        )
        return shard, ShardFile(shard.id, path, digest, len(data), len(records))

    def finish(self) -> None:
        self.pack()
        steps, run = self.steps, self.run
        dataset = steps["dataset"].dataset(f"demo-{run.seed}", shards=self.shard_refs, version="1")
        self.count("dataset", True)
        model = steps["train"].model(
            f"demo-{run.seed}-base", trained_on=[dataset], description="base model"
        )
        self.count("train", True)
        mix, run.finetune_shard = self.write_shard(
            f"demo-{run.seed}-finetune", self.finetune_mix, len(run.shards)
        )
        tuned = steps["finetune"].model(
            f"demo-{run.seed}-chat",
            trained_on=[mix],
            finetuned_from=model,
            description="fine-tuned on the first shards' records still usable then",
        )
        self.count("finetune", True)
        run.dataset, run.model, run.finetune = dataset.id, model.id, tuned.id
        self.record_requests()


def _usable(post: Post, at: datetime) -> bool:
    """Neither deleted nor objected to by ``at``: what the fine-tune's data mix keeps."""
    deleted, objected = post.deleted_at, post.author.objected_at
    return (deleted is None or deleted > at) and (objected is None or objected > at)


def register_stage_keys(url: str, keys: KeyDirectory, admin_name: str) -> dict[str, str]:
    """A key per stage (created if missing), registered for that stage alone."""
    ledger = Ledger.open(url)
    try:
        admin = keys.load(admin_name)
        registered = {signer.name for signer in ledger.store.signers()}
        names = {}
        for stage in (*STAGES, REQUESTS_STAGE):
            name = f"demo-{stage}"
            key = keys.load(name) if keys.exists(name) else keys.create(name)
            if name not in registered:
                ledger.register_key(admin, name, key.public, [stage], valid_from=CORPUS_START)
            names[stage] = name
        return names
    finally:
        ledger.close()


def simulate(
    url: str,
    keys_dir: Path,
    directory: Path,
    *,
    posts: int = 10_000,
    seed: int = 1,
    leak: str | None = None,
    progress: Progress | None = None,
    key_source: KeySource | None = None,
) -> DemoRun:
    """Run the demo pipeline over a fresh corpus into the ledger at ``url``.

    The corpus, the pipeline's decisions and the shard files follow from ``seed``; the
    subject keys do not: they are random (``key_source`` may give reproducible ones to a
    test that compares two runs byte for byte), so an erased demo author cannot be
    linked again by anyone who knows the seed."""
    if not 1 <= posts <= MAX_POSTS:
        raise InputError(f"posts must be between 1 and {MAX_POSTS:,}")
    if leak is not None and leak not in LEAKS:
        raise InputError(f"no stage {leak!r} can leak (choose from {', '.join(LEAKS)})")
    keys = KeyDirectory(keys_dir)
    ledger = Ledger.open(url)
    admin_name = ledger.log_key_name
    ledger.close()
    stage_keys = register_stage_keys(url, keys, admin_name)
    run = DemoRun(url, directory, posts, seed, leak)
    with Lineage.open(
        url,
        keys_dir=keys_dir,
        statements_per_append=20,
        background=True,
        key_source=key_source,
    ) as lineage:
        pipeline = _Pipeline(lineage, run, stage_keys)
        chunk: list[Post] = []
        for post in generate(posts, seed):
            chunk.append(post)
            if len(chunk) == CHUNK_POSTS:
                pipeline.feed(chunk)
                if progress is not None:
                    progress(len(chunk))
                chunk = []
        pipeline.feed(chunk)
        pipeline.finish()
        if progress is not None:
            progress(len(chunk))
    return run
