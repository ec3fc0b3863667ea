"""A demo run remediated for its posts deleted after training: plan files, the run, the
records removed, and a model trained on the new dataset version."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from lineage.demo.remediate import Remediation, read_plan, remediate
from lineage.demo.simulate import DemoRun
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.log import Ledger
from lineage.model.graph import DATASET
from lineage.query.plan import remediation_plan

from support.demo import post_ids, run_demo


@dataclass
class Remediated:
    """A demo run, the remediation of its late-deleted posts, and what it removed."""

    run: DemoRun
    done: Remediation
    posts: list[str]
    """The late-deleted posts' node ids."""
    removed: set[str]
    """Every record the plans said to remove."""
    plans: list[Path]


def write_plans(url: str, posts: list[str], root: Path) -> list[Path]:
    """``lineage impact --json`` of each post, as files in ``root``."""
    ledger = Ledger.open(url)
    try:
        paths = []
        for n, post in enumerate(posts):
            plan = remediation_plan(ledger.store, post)
            path = root / f"plan-{n}.json"
            path.write_text(json.dumps({**plan.impact.to_json(), "plan": plan.to_json()}))
            paths.append(path)
        return paths
    finally:
        ledger.close()


def late_deleted_posts_of(url: str, run: DemoRun) -> list[str]:
    """The node ids of the posts in the shards deleted after training, in the order of
    ``run.deleted_after_training``."""
    ledger = Ledger.open(url)
    try:
        return [next(iter(post_ids(ledger, [raw]))) for raw in run.deleted_after_training]
    finally:
        ledger.close()


def late_deleted_posts(url: str, run: DemoRun) -> list[str]:
    """The node ids of the posts in the shards deleted after training, sorted."""
    return sorted(late_deleted_posts_of(url, run))


def remediated_demo(url: str, root: Path) -> Remediated:
    """A demo run into ``url``, remediated for all its late-deleted posts in one go."""
    run = run_demo(url, root)
    posts = late_deleted_posts(url, run)
    assert posts, "the demo run has no post deleted after training"
    plans = write_plans(url, posts, root)
    read = [read_plan(path) for path in plans]
    removed = {record for plan in read for records in plan.remove.values() for record in records}
    done = remediate(url, root / "keys", root, read)
    return Remediated(run, done, posts, removed, plans)


def shard_file_records(path: Path) -> list[str]:
    """The ledger record each line of a demo shard file names, in order."""
    with gzip.open(path, "rt") as handle:
        return [json.loads(line)["record"] for line in handle]


def train_on_dataset(url: str, keys: Path, dataset: str, name: str) -> str:
    """A model trained on ``dataset`` now, by the demo's train step."""
    with Lineage.open(url, keys_dir=keys) as lineage:
        step = lineage.step("train", run=f"retrain-{name}", key="demo-train")
        model = step.model(name, trained_on=[Ref(dataset, DATASET)], description="retrained")
    return model.id
