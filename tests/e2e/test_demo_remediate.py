"""The demo, remediated from the command line: ``lineage demo``, ``lineage impact --json``
for every post deleted after training, one ``lineage remediate`` of all the plans, then
the new shard files and a model trained on the new dataset, checked with ``lineage
check`` against the demo's policy."""

from __future__ import annotations

import json
from pathlib import Path

from lineage.demo.run import run_demo
from lineage.policy import reference_policy_path
from lineage.policy.document import read_policy

from support.cli import run_cli
from support.remediation import shard_file_records, train_on_dataset


def _findings_about(result: str, posts: set[str]) -> dict[str, set[str]]:
    """The rules of ``lineage check --json`` that found anything about ``posts``."""
    report = json.loads(result)
    found: dict[str, set[str]] = {}
    for finding in [*report["findings"], *report["notice_findings"]]:
        if finding["origin"] in posts:
            found.setdefault(finding["rule"], set()).add(finding["origin"])
    return found


def test_the_demos_deleted_posts_are_gone_from_the_new_versions(tmp_path: Path) -> None:
    """Every post deleted after training is in no line of the new shard files (read from
    the files), ``check`` of a model trained on the new dataset finds nothing about them
    (no deleted-after-use notice), and the demo's model still has those notices."""
    report = run_demo(tmp_path, posts=800)
    url = report.store
    raws = report.run.deleted_after_training
    assert len(raws) >= 2
    plans, posts, removed = [], set(), set()
    for n, raw in enumerate(raws):
        impact = run_cli("impact", "--post", raw, "--db", url, "--json")
        assert impact.exit_code == 0, impact.output
        answer = json.loads(impact.stdout)
        posts.add(answer["start"])
        removed.update(r for fix in answer["plan"]["shards"] for r in fix["remove"])
        (tmp_path / f"plan-{n}.json").write_text(impact.stdout)
        plans.append(str(tmp_path / f"plan-{n}.json"))
    done = run_cli("remediate", *plans, "--dir", str(tmp_path), "--db", url, "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    shards_holding = {s for shards in report.run.late_shards.values() for s in shards}
    assert {s["old"] for s in result["shards"]} == shards_holding
    for shard in result["shards"]:
        records = shard_file_records(Path(shard["path"]))
        assert records and not set(records) & removed
    [dataset] = result["datasets"]
    assert dataset["old"] == report.run.dataset
    model = train_on_dataset(url, report.keys_dir, dataset["new"], "demo-1-retrained")
    policy = read_policy(reference_policy_path()).id
    retrained = run_cli("check", model, "--policy", policy, "--db", url, "--json")
    assert retrained.exit_code in (0, 1), retrained.output
    assert _findings_about(retrained.stdout, posts) == {}
    old = run_cli("check", report.run.model, "--policy", policy, "--db", url, "--json")
    assert _findings_about(old.stdout, posts) == {"deleted-after-use": posts}
