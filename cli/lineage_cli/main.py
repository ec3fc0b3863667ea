"""The ``lineage`` Typer application."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage import __version__
from lineage_cli import (
    copy_cmd,
    demo_cmd,
    graph_cmd,
    keys_cmd,
    log_cmd,
    policy_cmd,
    privacy_cmd,
)

app = typer.Typer(
    name="lineage",
    help="Signed data-lineage and audit ledger for AI training data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lineage {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Signed data-lineage and audit ledger for AI training data."""


log_cmd.register(app)
graph_cmd.register(app)
copy_cmd.register(app)
demo_cmd.register(app)
policy_cmd.register(app)
privacy_cmd.register(app)
app.add_typer(keys_cmd.app, name="keys")


def main() -> None:
    """Entry point of the ``lineage`` console script."""
    app()
