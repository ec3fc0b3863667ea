"""``lineage remediate``: a plan from ``lineage impact --json`` carried out on the demo's
files, then ``show`` and ``impact`` naming the new versions; bad plans and files are
refused with one line naming the file and field, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lineage.demo.simulate import DemoRun
from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.demo import run_demo
from support.remediation import late_deleted_posts


def _setup(url: str, root: Path) -> tuple[DemoRun, list[str], Path]:
    """A demo run, the CLI's store and keys options, and the plan of one late deletion."""
    run = run_demo(url, root)
    post = late_deleted_posts(url, run)[0]
    options = ["--db", url, "--keys-dir", str(root / "keys")]
    impact = run_cli("impact", post, "--db", url, "--json")
    assert impact.exit_code == 0, impact.output
    plan = root / "plan.json"
    plan.write_text(impact.stdout)
    return run, options, plan


def _size(url: str) -> int:
    ledger = Ledger.open(url)
    try:
        return ledger.size()
    finally:
        ledger.close()


def test_remediate_a_plan_then_show_and_impact_name_the_new_versions(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The plan's shards get new versions (files and nodes), ``show`` links old and new
    both ways, ``impact`` notes the shard was remediated, and running the same plan again
    rebuilds nothing."""
    run, options, plan = _setup(sqlite_url, tmp_path)
    done = run_cli("remediate", str(plan), "--dir", str(tmp_path), *options, "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    rebuilt = result["shards"][0]
    assert Path(rebuilt["path"]).is_file() and rebuilt["removed"] == 1
    assert result["datasets"] == [{"old": run.dataset, "new": f"{run.dataset}-r1"}]
    old = run_cli("show", rebuilt["old"], "--db", sqlite_url)
    assert f"superseded by: {rebuilt['new']}" in old.stdout
    new = run_cli("show", rebuilt["new"], "--db", sqlite_url, "--json")
    assert json.loads(new.stdout)["attributes"]["supersedes"] == rebuilt["old"]
    start = json.loads(plan.read_text())["start"]
    after = run_cli("impact", start, "--db", sqlite_url)
    assert f"already remediated: new version {rebuilt['new']}" in after.stdout
    assert f"retrain: {run.model}" in after.stdout
    size = _size(sqlite_url)
    again = run_cli("remediate", str(plan), "--dir", str(tmp_path), *options)
    assert again.exit_code == 0 and "nothing to rebuild" in again.stdout
    assert _size(sqlite_url) == size


def _not_json(plan: Path, root: Path) -> None:
    plan.write_text("{not json")


def _no_shards(plan: Path, root: Path) -> None:
    plan.write_text(json.dumps({"plan": {"start": "post:x"}}))


def _cut_short(plan: Path, root: Path) -> None:
    document = json.loads(plan.read_text())
    document["plan"]["shards"][0]["remove_count"] = 100_001
    plan.write_text(json.dumps(document))


def _another_file(plan: Path, root: Path) -> None:
    document = json.loads(plan.read_text())
    document["plan"]["shards"][0]["rebuild_from_sha256"] = "0" * 64
    plan.write_text(json.dumps(document))


def _file_changed(plan: Path, root: Path) -> None:
    shard = json.loads(plan.read_text())["plan"]["shards"][0]["shard"]
    path = root / "shards" / f"{shard.removeprefix('shard:')}.jsonl.gz"
    path.write_bytes(path.read_bytes() + b"\0")


def _file_in_the_way(plan: Path, root: Path) -> None:
    shard = json.loads(plan.read_text())["plan"]["shards"][0]["shard"]
    (root / "shards" / f"{shard.removeprefix('shard:')}-r1.jsonl.gz").write_bytes(b"other")


def _no_admin_key(plan: Path, root: Path) -> None:
    (root / "keys" / "admin.pem").unlink()


BAD_INPUTS: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "not-json": (_not_json, "plan.json: not a JSON plan"),
    "no-shards": (_no_shards, "plan.json: plan.shards: must be a list"),
    "cut-short": (_cut_short, "plan.json: plan.shards[0].remove_count: is 100001"),
    "another-file": (_another_file, "the plan is for another shard:"),
    "file-changed": (_file_changed, ".jsonl.gz is not the file of shard:"),
    "file-in-the-way": (_file_in_the_way, "-r1.jsonl.gz exists and is not shard:"),
    "no-admin-key": (_no_admin_key, "the ledger's log key 'admin' is not in"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_plans_and_files_are_refused_and_nothing_is_written(
    sqlite_url: str, tmp_path: Path, case: str
) -> None:
    """Each bad plan or shard file, or a key missing after the new files are written:
    exit 2, one line naming what is wrong, no new file, no new ledger entry."""
    _, options, plan = _setup(sqlite_url, tmp_path)
    spoil, message = BAD_INPUTS[case]
    spoil(plan, tmp_path)
    files = sorted((tmp_path / "shards").iterdir())
    size = _size(sqlite_url)
    done = run_cli("remediate", str(plan), "--dir", str(tmp_path), *options)
    assert done.exit_code == 2
    assert message in done.output and len(done.output.strip().splitlines()) == 1, done.output
    assert sorted((tmp_path / "shards").iterdir()) == files
    assert _size(sqlite_url) == size
