"""``lineage remediate``: carry out remediation plans on the demo's shard files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lineage.demo.remediate import MAX_PLANS, read_plan, remediate
from lineage.errors import InputError
from lineage.store import resolve_url
from lineage_cli.common import (
    DbOption,
    JsonOption,
    KeysDirOption,
    handle_errors,
    key_directory,
    print_json,
    stdout,
)


def register(app: typer.Typer) -> None:
    """Add the ``remediate`` command to ``app``."""
    app.command(name="remediate")(remediate_plans)


@handle_errors
def remediate_plans(
    plans: Annotated[
        list[Path],
        typer.Argument(
            help="Plan files: what lineage impact --json prints (or its plan object);"
            " several are carried out together.",
            metavar="PLAN.json",
            show_default=False,
        ),
    ],
    directory: Annotated[
        Path,
        typer.Option("--dir", help="The demo's directory (its shard files are in DIR/shards)."),
    ] = Path("lineage-demo"),
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Rebuild the shards of remediation plans without their records (demo pipelines).

    Writes a new version of each affected shard file beside the old one (never modified)
    without the plans' records, and appends, signed by a remediate step, the new shard
    nodes and new versions of the datasets that held them, each superseding its old
    version. A shard remediated before is rebuilt from its newest version. Models are not
    retrained: lineage impact still lists them."""
    if len(plans) > MAX_PLANS:
        raise InputError(f"give at most {MAX_PLANS} plans")
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory", field="--dir")
    read = [read_plan(path) for path in plans]
    url = resolve_url(db)
    done = remediate(url, key_directory(keys_dir, db).path, directory, read)
    if json_out:
        print_json(done.to_json())
        return
    for shard in done.shards:
        stdout.print(
            f"{shard.new} supersedes {shard.old}: {shard.records:,} records"
            f" ({shard.removed:,} removed), {shard.path}"
        )
    for old, new in done.datasets:
        stdout.print(f"{new} supersedes {old}")
    for unchanged in done.unchanged:
        stdout.print(f"{unchanged}: holds none of the records to remove (nothing to rebuild)")
    if done.shards:
        stdout.print(
            f"recorded by step run {done.run} in {done.appended} entries; models trained on"
            " the old versions still need retraining (lineage impact lists them)"
        )
    else:
        stdout.print("nothing to rebuild")
