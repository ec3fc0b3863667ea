"""``lineage demo``: the whole product on a synthetic corpus, with nothing to start."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from lineage.demo.run import DemoReport, run_demo
from lineage.demo.simulate import MAX_POSTS
from lineage.demo.stages import LEAKS
from lineage_cli.common import (
    EXIT_FAILED,
    JsonOption,
    handle_errors,
    print_json,
    progress_bar,
    stdout,
)

MAX_SEED = 2**32 - 1


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command(name="demo")(demo)


@handle_errors
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the store, keys and shard files go.")
    ] = Path("lineage-demo"),
    store: Annotated[
        str,
        typer.Option(
            help="The store the demo creates in DIR: sqlite (DIR/lineage.db) or lake"
            " (DIR/lake: the columnar store).",
            metavar="KIND",
        ),
    ] = "sqlite",
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Store URL [default: sqlite:///DIR/lineage.db, or lake:///DIR/lake with"
            " --store lake].",
        ),
    ] = None,
    posts: Annotated[
        int, typer.Option(help="Posts in the synthetic corpus.", min=1, max=MAX_POSTS, metavar="N")
    ] = 10_000,
    seed: Annotated[
        int,
        typer.Option(
            help="Seed of the corpus: same seed, same ledger.", min=0, max=MAX_SEED, metavar="N"
        ),
    ] = 1,
    leak: Annotated[
        str | None,
        typer.Option(help=f"Make one stage misbehave: {', '.join(LEAKS)}.", metavar="STAGE"),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Run the demo: a realistic pipeline over a synthetic corpus.

    The pipeline's statements go into a ledger, which is then verified; the command shows
    what happened and what to try next."""
    progress = partial(progress_bar, enabled=not json_out)
    report = run_demo(
        directory, url=db, posts=posts, seed=seed, leak=leak, store=store, progress=progress
    )
    if json_out:
        print_json(report.to_json())
    else:
        _print(report)
    if not report.verify.ok:
        raise typer.Exit(EXIT_FAILED)


def _print(report: DemoReport) -> None:
    run, result = report.run, report.to_json()
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
    stdout.print(f"keys: {result['keys']} (where commands on this ledger look for them)")
    stdout.print("try next:")
    for command in result["next"]:
        stdout.print(f"  {command}")
