"""``lineage copy``: move a whole ledger between stores."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage.ledger.copy import copy_ledger
from lineage.ledger.verify import verify_ledger
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
    app.command(name="copy")(copy)


@handle_errors
def copy(
    source_url: Annotated[
        str, typer.Option("--from", help="Store URL to copy from.", metavar="URL")
    ],
    target_url: Annotated[
        str, typer.Option("--to", help="Empty store URL to copy into.", metavar="URL")
    ],
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Verify the copy afterwards.")
    ] = True,
    json_out: JsonOption = False,
) -> None:
    """Copy a whole ledger (entries, tree, checkpoints, graph, key tables) into an empty store."""
    source = open_store(source_url)
    try:
        target = open_store(target_url, create=True)
        try:
            size = source.size() if source.is_initialized() else 0
            with progress_bar("copying", None, not json_out) as tick:
                result = copy_ledger(source, target, tick)
            report = None
            if verify:
                with progress_bar("verifying the copy", size, not json_out) as tick:
                    report = verify_ledger(target, progress=tick)
            target_name = target.url
        finally:
            target.close()
    finally:
        source.close()
    ok = report is None or report.ok
    if json_out:
        print_json(
            {
                "from": source.url,
                "to": target_name,
                **result.to_json(),
                "verified": None if report is None else report.ok,
                "problems": [] if report is None else report.problems,
            }
        )
    else:
        stdout.print(
            f"copied {result.entries} entries, {result.checkpoints} checkpoints,"
            f" {result.graph_rows} graph rows and {result.subjects} subject keys"
            f" from {source.url} to {target_name}"
        )
        if report is not None and report.ok:
            stdout.print(f"verified the copy: root {report.root.hex()} at size {report.size}")
        elif report is not None:
            for problem in report.problems:
                typer.echo(f"FAIL {problem}", err=True)
            typer.echo(f"the copy does not verify: {len(report.problems)} problem(s)", err=True)
    if not ok:
        raise typer.Exit(EXIT_FAILED)
