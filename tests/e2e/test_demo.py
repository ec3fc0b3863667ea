"""`lineage demo`: the simulator end to end, on each store."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from lineage.demo.corpus import EU_EEA
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.graph import LINEAGE_PREDICATE
from lineage.model.identity import Identities
from lineage.query.impact import impact
from lineage.query.trace import Trace

from support.cli import run_cli
from support.demo import POSTS, post_ids, run_demo
from support.stores import fresh_store_url


def test_every_post_is_dropped_with_a_reason_or_reaches_a_shard(
    store_url: str, tmp_path: Path
) -> None:
    run = run_demo(store_url, tmp_path)
    ledger = Ledger.open(store_url)
    try:
        assert verify_ledger(ledger.store).ok
        posts = [r.id for r in ledger.store.iter_rows("nodes") if r.kind == "Post"]  # type: ignore[attr-defined]
        assert len(posts) == run.stages["collect"].seen == POSTS
        packed = sum(s.records for s in run.shards)
        assert packed == run.stages["dedup"].kept and 0 < packed < POSTS
        reached = dropped = 0
        for post in posts:
            downstream = impact(ledger.store, post)
            if downstream.nodes["Shard"]:
                assert not downstream.drops, post
                reached += 1
            else:
                assert len(downstream.drops) == 1 and downstream.drops[0].reason, post
                dropped += 1
        assert (reached, dropped) == (packed, POSTS - packed)
        assert dropped == sum(run.drops.values())
    finally:
        ledger.close()


def test_shard_files_match_the_ledger(store_url: str, tmp_path: Path) -> None:
    run = run_demo(store_url, tmp_path)
    ledger = Ledger.open(store_url)
    try:
        assert run.finetune_shard is not None
        for shard in [*run.shards, run.finetune_shard]:
            node = ledger.store.node(shard.id)
            assert node is not None
            attrs = node.attributes()
            data = shard.path.read_bytes()
            assert attrs["sha256"] == hashlib.sha256(data).hexdigest() == shard.sha256
            assert attrs["size"] == len(data) and attrs["records"] == shard.records
            assert shard.path.name.endswith(".jsonl.gz")
    finally:
        ledger.close()


def lineage_payloads(url: str) -> list[bytes]:
    ledger = Ledger.open(url)
    try:
        payloads = []
        for _, _, body in ledger.entries():
            payload = base64.b64decode(json.loads(body)["payload"])
            if json.loads(payload)["predicateType"] == LINEAGE_PREDICATE:
                payloads.append(payload)
        return payloads
    finally:
        ledger.close()


def test_the_same_seed_gives_the_same_ledger(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = fresh_store_url("sqlite", tmp_path / "a")
    run_demo(first, tmp_path / "a", same_keys=True)
    run_demo(store_url, tmp_path / "b", same_keys=True)
    assert lineage_payloads(first) == lineage_payloads(store_url)
    shards_a = sorted(p.read_bytes() for p in (tmp_path / "a" / "shards").iterdir())
    shards_b = sorted(p.read_bytes() for p in (tmp_path / "b" / "shards").iterdir())
    assert shards_a == shards_b and shards_a


def test_demo_subject_keys_are_random_whatever_the_seed(tmp_path: Path) -> None:
    """Knowing the seed must not let anyone derive an author's key and so re-link an
    erased author: two runs of the same seed share posts, not pseudonyms."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = (fresh_store_url("sqlite", tmp_path / n) for n in ("a", "b"))
    run = run_demo(first, tmp_path / "a")
    run_demo(second, tmp_path / "b")
    ids = []
    for url in (first, second):
        ledger = Ledger.open(url)
        try:
            ids.append(post_ids(ledger, [run.kept_post]))
        finally:
            ledger.close()
    assert ids[0] != ids[1]


PAUSED = {*EU_EEA, "GB", "BR"}


@pytest.mark.parametrize(
    ("leak", "violates"),
    [
        ("visibility", lambda attrs: attrs["visibility"] != "public"),
        ("jurisdiction", lambda attrs: attrs["jurisdiction"] in PAUSED),
    ],
)
def test_a_leak_run_leaks_exactly_its_ground_truth(
    store_url: str, tmp_path: Path, leak: str, violates: object
) -> None:
    """The posts in the model that break the leaking stage's rule, read back from the
    ledger's own attributes, are exactly the simulator's ground truth."""
    run = run_demo(store_url, tmp_path, leak=leak)
    assert run.leaked
    ledger = Ledger.open(store_url)
    try:
        origins = list(Trace(ledger.store, run.model).origins())
        breaking = {r.id for r in origins if violates(r.attributes())}  # type: ignore[operator]
        assert breaking == post_ids(ledger, run.leaked)
    finally:
        ledger.close()


@pytest.mark.parametrize("leak", ["objection", "minor", "deletion"])
def test_other_leaks_put_their_posts_into_the_shards(tmp_path: Path, leak: str) -> None:
    url = fresh_store_url("sqlite", tmp_path)
    clean_dir, leak_dir = tmp_path / "clean", tmp_path / "leak"
    clean_dir.mkdir()
    leak_dir.mkdir()
    clean = run_demo(fresh_store_url("sqlite", clean_dir), clean_dir)
    leaky = run_demo(url, leak_dir, leak=leak)
    assert not clean.leaked and leaky.leaked
    assert leaky.stages[leak].dropped == 0 < clean.stages[leak].dropped
    packed_more = leaky.stages["dedup"].kept - clean.stages["dedup"].kept
    assert 0 < packed_more <= len(leaky.leaked)


def test_cli_demo_json(tmp_path: Path) -> None:
    result = run_cli("demo", "--dir", str(tmp_path / "d"), "--posts", "300", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verify"]["ok"] and data["store"].startswith("sqlite:///")
    for key in ("model", "dataset", "shard", "kept_post", "kept_post_author", "dropped_post"):
        assert data[key], key
    assert data["kept_post_id"].startswith("post:") and data["leaked"] == []
    assert any(command.startswith("lineage trace model:") for command in data["next"])
    assert any(command.startswith("lineage check model:") for command in data["next"])
    compliance = data["compliance"]
    assert compliance["policy"]["id"] == "public-content-training"
    for model in (data["model"], data["finetune"]):
        assert compliance[model]["ok"] and compliance[model]["violations"] == 0
    leaky = run_cli(
        "demo", "--dir", str(tmp_path / "l"), "--posts", "300", "--leak", "visibility", "--json"
    )
    leaked = json.loads(leaky.stdout)
    assert leaked["leaked"] and leaky.exit_code == 0
    found = leaked["compliance"][leaked["model"]]
    assert found["failed"] == {"public-only": len(leaked["leaked"])} and not found["ok"]
    bad = run_cli("demo", "--dir", str(tmp_path / "x"), "--leak", "nope")
    assert bad.exit_code == 2 and "no stage 'nope' can leak" in bad.output


def test_requests_are_recorded_with_their_ground_truth(store_url: str, tmp_path: Path) -> None:
    from lineage.demo.corpus import TRAINED_AT, generate
    from lineage.ledger.projection import time_us

    run = run_demo(store_url, tmp_path)
    corpus = list(generate(POSTS, 7))
    deleted = {p.id: p.deleted_at for p in corpus if p.deleted_at}
    objected = {p.author.id: p.author.objected_at for p in corpus if p.author.objected_at}
    ledger = Ledger.open(store_url)
    try:
        identities = Identities(ledger.store.identities())
        targets = {}
        for raw, at in deleted.items():
            owner = identities.owner("post", raw)
            assert owner is not None
            targets[owner.post_id(raw)] = ("deletion", at)
        for raw, at in objected.items():
            subject = identities.subject(raw, create=False)
            assert subject is not None
            targets[subject.node_id] = ("objection", at)
        rows = ledger.store.requests_of(targets)
        assert {(r.target, r.kind, r.at_us) for r in rows} == {
            (target, kind, time_us(at)) for target, (kind, at) in targets.items()
        }
        # recorded before the training run only if made before it
        training = time_us(TRAINED_AT)
        assert all((r.time_us <= training) == (r.at_us <= training) for r in rows)
        assert len(ledger.store.requests_of(targets, as_of_us=training)) == sum(
            1 for _, at in targets.values() if at <= TRAINED_AT
        )
        # ground truth of what reached a shard and was deleted afterwards
        in_shards = post_ids(ledger, run.deleted_after_training)
        late = {t for t, (kind, at) in targets.items() if kind == "deletion" and at > TRAINED_AT}
        reached = {t for t in late if impact(ledger.store, t).nodes["Shard"]}
        assert reached == in_shards and in_shards
        assert run.requests[("objection", "after-training")] == sum(
            1 for at in objected.values() if at > TRAINED_AT
        )
        assert run.objected_after_training
    finally:
        ledger.close()
