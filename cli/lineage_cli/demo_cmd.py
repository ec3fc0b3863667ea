"""``lineage demo``: the whole product on a synthetic corpus, with nothing to start."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lineage.crypto.keys import KeyDirectory
from lineage.demo.simulate import DemoRun, simulate
from lineage.demo.stages import LEAKS
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.identity import Identities
from lineage.policy import reference_policy_path
from lineage.policy.cel_env import Evaluator
from lineage.policy.check import check
from lineage.policy.document import read_policy
from lineage.policy.registry import register_policy
from lineage.store import open_store
from lineage_cli.common import (
    EXIT_FAILED,
    JsonOption,
    handle_errors,
    print_json,
    progress_bar,
    stdout,
)


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)


def _ledger_at(url: str, keys: KeyDirectory) -> None:
    """Create the demo's ledger (and its admin key) unless the store holds one."""
    store = open_store(url, create=True)
    try:
        initialised = store.is_initialized()
    finally:
        store.close()
    if not initialised:
        admin = keys.load("admin") if keys.exists("admin") else keys.create("admin")
        Ledger.create(url, admin).close()


def _post_id(identities: Identities, raw: str) -> str:
    owner = identities.owner("post", raw) if raw else None
    return owner.post_id(raw) if owner else ""


@handle_errors
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the store, keys and shard files go.")
    ] = Path("lineage-demo"),
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL [default: sqlite:///DIR/lineage.db].")
    ] = None,
    posts: Annotated[int, typer.Option(help="Posts in the synthetic corpus.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the corpus: same seed, same ledger.")] = 1,
    leak: Annotated[
        str | None,
        typer.Option(help=f"Make one stage misbehave: {', '.join(LEAKS)}.", metavar="STAGE"),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Run a realistic pipeline over a synthetic corpus into a ledger, verify it, and
    show what happened and what to try next."""
    url = db or f"sqlite:///{directory / 'lineage.db'}"
    keys_dir = directory / "keys"
    keys = KeyDirectory(keys_dir)
    started = time.perf_counter()
    _ledger_at(url, keys)
    with progress_bar("simulating", posts, not json_out) as tick:
        run = simulate(url, keys_dir, directory, posts=posts, seed=seed, leak=leak, progress=tick)
    result = run.to_json()
    ledger = Ledger.open(url)
    try:
        result["compliance"] = _compliance(ledger, keys, run)
        with progress_bar("verifying", ledger.size(), not json_out) as tick:
            report = verify_ledger(ledger.store, progress=tick)
        identities = Identities(ledger.store.identities())
        result["kept_post_id"] = _post_id(identities, run.kept_post)
        result["dropped_post_id"] = _post_id(identities, run.dropped_post)
    finally:
        ledger.close()
    result["store"] = ledger.store.url
    result["verify"] = {"ok": report.ok, "size": report.size, "problems": report.problems[:20]}
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["next"] = _next_commands(run, url)
    if json_out:
        print_json(result)
    else:
        _print(run, result)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _compliance(ledger: Ledger, keys: KeyDirectory, run: DemoRun) -> dict[str, Any]:
    """Register the reference policy and check the model and its fine-tune against it."""
    policy = read_policy(reference_policy_path())
    registration = register_policy(ledger, keys.load(ledger.log_key_name), policy)
    results: dict[str, Any] = {"policy": {**policy.to_json(), "entry": registration.entry}}
    evaluator = Evaluator(policy)
    for artifact in (run.model, run.finetune):
        report = check(ledger.store, artifact, evaluator, registered_entry=registration.entry)
        results[artifact] = {
            "ok": report.ok,
            "origins": report.origins,
            "violations": report.violations,
            "notices": report.notices,
            "failed": {r.id: r.failed for r in report.failures() if r.level == "violation"},
            "noticed": {r.id: r.failed for r in report.failures() if r.level != "violation"},
        }
    return results


def _next_commands(run: DemoRun, url: str) -> list[str]:
    db = f"--db {shlex.quote(url)}"
    policy = shlex.quote(str(reference_policy_path()))
    commands = [
        f"lineage trace {run.model} {db}",
        f"lineage trace {run.model} --path {shlex.quote(run.kept_post)} {db}",
        f"lineage impact --post {shlex.quote(run.kept_post)} {db}",
        f"lineage impact --author {shlex.quote(run.kept_post_author)} {db}",
        (
            f"lineage impact --post {shlex.quote(run.deleted_after_training[0])} {db}"
            if run.deleted_after_training
            else ""
        ),
        f"lineage show {run.shards[0].id} {db}" if run.shards else "",
        f"lineage check {run.model} --policy {policy} {db}",
        f"lineage check {run.finetune} --policy {policy} --as-of 2024-08-20T00:00:00Z {db}",
        f"lineage verify {db}",
    ]
    return [c for c in commands if c]


def _print(run: DemoRun, result: dict[str, Any]) -> None:
    leak = f", leak: {LEAKS[run.leak]}" if run.leak else ""
    stdout.print(f"demo: {run.posts:,} synthetic posts, seed {run.seed}{leak}")
    stdout.print(f"{'stage':<14} {'in':>9} {'kept':>9} {'dropped':>9}")
    for count in run.stages.values():
        stdout.print(f"{count.name:<14} {count.seen:>9,} {count.kept:>9,} {count.dropped:>9,}")
    stdout.print("dropped, by stage and reason:")
    for (stage, reason), n in sorted(run.drops.items()):
        stdout.print(f"  {stage:<14} {reason:<28} {n:>9,}")
    packed = sum(s.records for s in run.shards)
    stdout.print(
        f"{len(run.shards)} shards ({packed:,} records) in {run.directory / 'shards'};"
        f" dataset {run.dataset}; model {run.model}; fine-tune {run.finetune}"
    )
    if run.leak:
        stdout.print(f"leaked into the shards (ground truth): {len(run.leaked):,} posts")
    recorded = ", ".join(
        f"{n:,} {kind}s {when}" for (kind, when), n in sorted(run.requests.items())
    )
    stdout.print(f"requests recorded: {recorded or 'none'}")
    stdout.print(
        f"after training, {len(run.deleted_after_training):,} posts in the shards were deleted"
        f" and {len(run.objected_after_training):,} of their authors objected"
    )
    compliance = result["compliance"]
    policy = compliance["policy"]
    stdout.print(f"compliance with {policy['id']} {policy['version']} (entry {policy['entry']}):")
    for artifact in (run.model, run.finetune):
        found = compliance[artifact]
        failed = ", ".join(
            f"{rule} {n:,}" for rule, n in {**found["failed"], **found["noticed"]}.items()
        )
        stdout.print(
            f"  {artifact}: {'PASS' if found['ok'] else 'FAIL'}, {found['origins']:,} origins,"
            f" {found['violations']:,} violations, {found['notices']:,} notices"
            + (f" ({failed})" if failed else "")
        )
    verify = result["verify"]
    verdict = "ok" if verify["ok"] else f"FAILED ({len(verify['problems'])} problems)"
    stdout.print(f"verify: {verdict}, {verify['size']:,} entries ({result['seconds']} s in all)")
    stdout.print("try next:")
    for command in result["next"]:
        stdout.print(f"  {command}")
