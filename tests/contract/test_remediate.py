"""Remediation on each store: a demo run's plans for its posts deleted after training are
carried out (new shard files and versions, signed), and the ledger afterwards answers
as a privacy team relies on: the posts do not reach the new versions, the old models
still need retraining, a model trained on the new dataset holds none of the posts, and
the evidence verifies (also with the independent Go verifier and after a copy)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.keys import KeyDirectory
from lineage.demo.remediate import read_plan, remediate
from lineage.evidence.build import check_bundle
from lineage.ledger.copy import copy_ledger
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.graph import DATASET, MODEL, PACKED_INTO, SHARD, SUPERSEDES
from lineage.policy import reference_policy_path
from lineage.policy.check import check
from lineage.policy.document import read_policy
from lineage.policy.registry import register_policy
from lineage.query.plan import remediation_plan
from lineage.query.show import show
from lineage.store import open_store

from support.demo import run_demo
from support.remediation import (
    late_deleted_posts_of,
    remediated_demo,
    shard_file_records,
    train_on_dataset,
    write_plans,
)
from support.stores import STORES, fresh_store_url


def test_new_shard_files_lack_the_deleted_posts_and_match_the_ledger(
    store_url: str, tmp_path: Path
) -> None:
    """Each rebuilt file holds the old file's records minus the plans' (read from the
    files), the ledger packs exactly those records into the new shard, the old files are
    untouched, and the ledger verifies, here and in a copy on another store."""
    case = remediated_demo(store_url, tmp_path)
    assert case.done.shards and case.done.datasets == [(case.run.dataset, "ds:demo-7-r1")]
    old_files = {s.id: s for s in [*case.run.shards, case.run.finetune_shard] if s}
    ledger = Ledger.open(store_url)
    try:
        store = ledger.store
        for rebuilt in case.done.shards:
            old = old_files[rebuilt.old]
            assert hashlib.sha256(old.path.read_bytes()).hexdigest() == old.sha256
            before, after = shard_file_records(old.path), shard_file_records(rebuilt.path)
            assert not set(after) & case.removed
            assert after == [r for r in before if r not in case.removed]
            assert rebuilt.removed == len(before) - len(after) > 0
            assert {e.up for e in store.edges_into([rebuilt.new], PACKED_INTO)} == set(after)
            node = store.node(rebuilt.new)
            assert node is not None
            attrs = node.attributes()
            assert attrs[SUPERSEDES] == rebuilt.old and attrs["records"] == len(after)
            assert attrs["sha256"] == hashlib.sha256(rebuilt.path.read_bytes()).hexdigest()
        assert verify_ledger(store).ok
        other = next(kind for kind in STORES if not store_url.startswith(kind))
        target = open_store(fresh_store_url(other, tmp_path / "copy"), create=True)
        try:
            copy_ledger(store, target)
            assert verify_ledger(target).ok
            copied = target.node(case.done.shards[0].new)
            assert copied is not None and copied.attributes()[SUPERSEDES] == case.done.shards[0].old
        finally:
            target.close()
    finally:
        ledger.close()


def test_impact_afterwards_reaches_old_versions_only_and_names_the_new(
    store_url: str, tmp_path: Path
) -> None:
    """After remediation a deleted post still reaches its old shards, dataset and
    models (they still need retraining), not the new versions; the plan and ``show``
    name the new versions, and ``show`` of a new one the version it supersedes."""
    case = remediated_demo(store_url, tmp_path)
    new_of = {s.old: s.new for s in case.done.shards}
    new_dataset = case.done.datasets[0][1]
    ledger = Ledger.open(store_url)
    try:
        for post in case.posts:
            plan = remediation_plan(ledger.store, post)
            reached = set(plan.impact.nodes[SHARD]) | set(plan.impact.nodes[DATASET])
            assert not reached & {*new_of.values(), new_dataset}
            assert case.run.model in plan.impact.nodes[MODEL]
            assert case.run.model in {m.model for m in plan.models}
            assert plan.shards and all(f.remediated_by == [new_of[f.shard]] for f in plan.shards)
            assert plan.to_json()["superseded_datasets"][0]["superseded_by"] == [new_dataset]
        old_shard, new_shard = next(iter(new_of.items()))
        assert show(ledger, old_shard).to_json()["superseded_by"] == [new_shard]
        shown = show(ledger, new_shard).to_json()
        assert shown["attributes"][SUPERSEDES] == old_shard and shown["superseded_by"] == []
        assert show(ledger, case.run.dataset).superseded_by == [new_dataset]
    finally:
        ledger.close()


def test_a_model_trained_on_the_new_dataset_holds_none_of_the_deleted_posts(
    store_url: str, tmp_path: Path, go_verifier: Path
) -> None:
    """``check`` of a model trained on the new dataset finds nothing about the deleted
    posts (no deleted-after-use notice, no violation), where the same training on the
    old dataset does; its complete check bundle, which carries the remediation's
    statement, verifies with the independent Go verifier."""
    case = remediated_demo(store_url, tmp_path)
    new_dataset = case.done.datasets[0][1]
    keys = tmp_path / "keys"
    retrained = train_on_dataset(store_url, keys, new_dataset, "demo-7-retrained")
    control = train_on_dataset(store_url, keys, case.run.dataset, "demo-7-control")
    policy = read_policy(reference_policy_path())
    ledger = Ledger.open(store_url)
    try:
        store = ledger.store
        deleted = set(case.posts)

        def about_deleted(model: str) -> dict[str, set[str]]:
            report = check(store, model, policy)
            found: dict[str, set[str]] = {}
            for finding in [*report.findings, *report.notice_findings]:
                if finding.origin in deleted:
                    found.setdefault(finding.rule, set()).add(finding.origin)
            return found

        assert about_deleted(case.run.model).get("deleted-after-use") == deleted
        assert about_deleted(control).get("deleted-before-use") == deleted
        assert about_deleted(retrained) == {}
        register_policy(ledger, KeyDirectory(keys).load("admin"), policy)
        _, bundle = check_bundle(
            ledger, retrained, policy, reference_policy_path().read_bytes(), complete=True
        )
        path = tmp_path / "retrained.bundle.json"
        path.write_bytes(canonical_bytes(bundle))
        done = subprocess.run(
            [str(go_verifier), str(path)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        items = [item for batch in bundle["batches"] for item in batch["items"]]
        assert any(f'"{SUPERSEDES}":' in item for item in items)
    finally:
        ledger.close()


def test_a_second_plan_rebuilds_the_newest_version(store_url: str, tmp_path: Path) -> None:
    """Plans carried out one after another: the second rebuilds the first's new version of
    a shard they share (``-r2`` supersedes ``-r1``), the dataset likewise, and neither
    post reaches the newest versions; the first plan again rebuilds nothing."""
    run = run_demo(store_url, tmp_path)
    posts = late_deleted_posts_of(store_url, run)
    by_post = dict(zip(run.deleted_after_training, posts, strict=True))
    shared = f"shard:demo-7-{0:05d}"
    first, second = [raw for raw in by_post if shared in run.late_shards[raw]][:2]
    plans = write_plans(store_url, [by_post[first], by_post[second]], tmp_path)
    keys = tmp_path / "keys"
    once = remediate(store_url, keys, tmp_path, [read_plan(plans[0])])
    twice = remediate(store_url, keys, tmp_path, [read_plan(plans[1])])
    again = remediate(store_url, keys, tmp_path, [read_plan(plans[0])])
    assert (shared, f"{shared}-r1") in {(s.old, s.new) for s in once.shards}
    assert (f"{shared}-r1", f"{shared}-r2") in {(s.old, s.new) for s in twice.shards}
    assert twice.datasets == [(f"{run.dataset}-r1", f"{run.dataset}-r2")]
    assert again.shards == [] and f"{shared}-r2" in again.unchanged
    newest = shard_file_records(tmp_path / "shards" / "demo-7-00000-r2.jsonl.gz")
    ledger = Ledger.open(store_url)
    try:
        removed = set()
        for post in (by_post[first], by_post[second]):
            plan = remediation_plan(ledger.store, post)
            removed.update(r for fix in plan.shards for r in fix.remove)
            assert f"{shared}-r2" not in plan.impact.nodes[SHARD]
            assert f"{run.dataset}-r2" not in plan.impact.nodes[DATASET]
        assert newest and not set(newest) & removed
        assert show(ledger, f"{shared}-r1").superseded_by == [f"{shared}-r2"]
    finally:
        ledger.close()
