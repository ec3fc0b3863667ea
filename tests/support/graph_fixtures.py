"""A small hand-built pipeline as JSON Lines events, and helpers to set one up."""

from __future__ import annotations

import json
from pathlib import Path

from lineage.crypto.keys import KeyDirectory
from lineage.ingest.events import ingest
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger
from lineage.model.identity import Identities

from support.ledgers import T0, LedgerEnv, registration_envelope

SIGNERS = {
    "collector": ["collect"],
    "filter": ["visibility"],
    "cleaner": ["pii"],
    "deduper": ["dedup"],
    "packer": ["pack", "dataset"],
    "trainer": ["train", "finetune"],
    "privacy": ["privacy-requests"],
}
STEPS = [
    ("c", "collect", "collector", "2024-05-02T00:00:00Z"),
    ("v", "visibility", "filter", "2024-05-03T00:00:00Z"),
    ("p", "pii", "cleaner", "2024-05-04T00:00:00Z"),
    ("d", "dedup", "deduper", "2024-05-05T00:00:00Z"),
    ("k", "pack", "packer", "2024-05-06T00:00:00Z"),
    ("s", "dataset", "packer", "2024-05-07T00:00:00Z"),
    ("t", "train", "trainer", "2024-05-08T00:00:00Z"),
    ("f", "finetune", "trainer", "2024-05-09T00:00:00Z"),
    ("r", "privacy-requests", "privacy", "2024-06-01T00:00:00Z"),
]
REQUESTS = [
    # kind, post or author, at: after every model was trained
    ("deletion", "ig:3", "2024-05-20T00:00:00Z"),
    ("objection", "ig:user:C", "2024-05-25T00:00:00Z"),
]
POSTS = [
    # post, author, platform, surface, visibility, jurisdiction
    ("fb:1", "fb:user:A", "facebook", "feed", "public", "US"),
    ("fb:2", "fb:user:A", "facebook", "feed", "friends", "US"),
    ("ig:3", "ig:user:B", "instagram", "reel", "public", "BR"),
    ("ig:4", "ig:user:C", "instagram", "photo", "public", "US"),
    ("fb:5", "ig:user:C", "facebook", "comment", "public", "GB"),
]
SHA = "ab" * 32


def events() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for step_id, name, key, time in STEPS:
        out.append(
            {
                "event": "step",
                "id": step_id,
                "name": name,
                "version": "1.0",
                "run": "run-1",
                "key": key,
                "time": time,
            }
        )
    for post, author, platform, surface, visibility, jurisdiction in POSTS:
        out.append(
            {
                "event": "origin",
                "step": "c",
                "post": post,
                "platform": platform,
                "surface": surface,
                "visibility": visibility,
                "created": "2024-05-01T10:00:00Z",
                "jurisdiction": jurisdiction,
                "author": author,
                "author_age": "adult",
                "content_sha256": SHA,
            }
        )
    out.append({"event": "drop", "step": "v", "post": "fb:2", "reason": "not-public"})
    for post in ("fb:1", "ig:3", "ig:4", "fb:5"):
        out.append({"event": "keep", "step": "v", "from_post": post, "record": f"{post}/v"})
        out.append(
            {
                "event": "transform",
                "step": "p",
                "from_record": f"{post}/v",
                "record": f"{post}/p",
                "content_sha256": "cd" * 32,
            }
        )
    out.append({"event": "drop", "step": "d", "record": "fb:5/p", "reason": "duplicate"})
    for post in ("fb:1", "ig:3", "ig:4"):
        out.append(
            {"event": "keep", "step": "d", "from_record": f"{post}/p", "record": f"{post}/d"}
        )
    out.append(
        {
            "event": "shard",
            "step": "k",
            "shard": "shard-a",
            "sha256": "01" * 32,
            "size": 100,
            "records": 2,
        }
    )
    out.append(
        {
            "event": "shard",
            "step": "k",
            "shard": "shard-b",
            "sha256": "02" * 32,
            "size": 50,
            "records": 1,
        }
    )
    out.append({"event": "pack", "step": "k", "record": "fb:1/d", "shard": "shard-a"})
    out.append({"event": "pack", "step": "k", "record": "ig:3/d", "shard": "shard-a"})
    out.append({"event": "pack", "step": "k", "record": "ig:4/d", "shard": "shard-b"})
    out.append(
        {"event": "dataset", "step": "s", "dataset": "ds-v1", "version": "1", "shards": ["shard-a"]}
    )
    out.append(
        {
            "event": "dataset",
            "step": "s",
            "dataset": "ds-v2",
            "version": "2",
            "shards": ["shard-a", "shard-b"],
        }
    )
    out.append({"event": "model", "step": "t", "model": "model-a", "datasets": ["ds-v1"]})
    out.append({"event": "model", "step": "t", "model": "model-b", "datasets": ["ds-v2"]})
    out.append(
        {
            "event": "model",
            "step": "f",
            "model": "model-a-ft",
            "finetuned_from": "model-a",
            "shards": ["shard-b"],
        }
    )
    for kind, target, at in REQUESTS:
        named = "post" if kind == "deletion" else "author"
        out.append({"event": "request", "step": "r", "kind": kind, named: target, "at": at})
    return out


def write_events(path: Path) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events()))
    return path


def setup_signers(url: str, keys: KeyDirectory) -> None:
    """Create and register the pipeline's signer keys in an initialised ledger."""
    ledger = Ledger.open(url)
    admin = keys.load("admin")
    try:
        for name, steps in SIGNERS.items():
            if keys.exists(name):
                continue
            key = keys.create(name)
            ledger.append([(name, registration_envelope(admin, key, steps, T0))], admin)
    finally:
        ledger.close()


def ingest_hand_built_pipeline(env: LedgerEnv) -> LedgerEnv:
    """Ingest the hand-built pipeline into ``env``'s ledger."""
    env.ledger.close()
    setup_signers(env.url, env.keys)
    events = write_events(env.root / "events.jsonl")
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage, events.open("rb") as f:
        ingest(lineage, f, "events.jsonl")
    env.ledger = Ledger.open(env.url)
    return env


def ids(env: LedgerEnv) -> dict[str, str]:
    """Pseudonymous node ids of the fixture's raw ids."""
    identities = Identities(env.ledger.store.identities())
    out = {}
    for post in ("fb:1", "fb:2", "ig:3", "ig:4", "fb:5"):
        owner = identities.owner("post", post)
        assert owner is not None
        out[post] = owner.post_id(post)
    for author in ("fb:user:A", "ig:user:B", "ig:user:C"):
        subject = identities.subject(author, create=False)
        assert subject is not None
        out[author] = subject.node_id
    return out
