"""``lineage copy``: move a whole ledger between stores."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from lineage.crypto.encoding import b64
from lineage.ledger.copy import copy_between
from lineage_cli.common import (
    EXIT_FAILED,
    JsonOption,
    handle_errors,
    print_json,
    progress_bar,
    stdout,
)


def register(app: typer.Typer) -> None:
    """Add the ``copy`` command to ``app``."""
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
    """Copy a whole ledger into an empty store.

    Everything is copied: entries, tree, checkpoints, graph and the subject key tables."""
    progress = partial(progress_bar, enabled=not json_out)
    outcome = copy_between(source_url, target_url, verify=verify, progress=progress)
    if json_out:
        print_json(outcome.to_json())
    else:
        result, report = outcome.result, outcome.report
        stdout.print(
            f"copied {result.entries} entries, {result.checkpoints} checkpoints,"
            f" {result.graph_rows} graph rows and {result.subjects} subject keys"
            f" from {outcome.source} to {outcome.target}"
        )
        if report is not None and report.ok:
            stdout.print(f"verified the copy: root {b64(report.root)} at size {report.size}")
        elif report is not None:
            for problem in report.problems:
                typer.echo(f"FAIL {problem}", err=True)
            typer.echo(f"the copy does not verify: {len(report.problems)} problem(s)", err=True)
    if not outcome.ok:
        raise typer.Exit(EXIT_FAILED)
