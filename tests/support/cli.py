"""The CLI, run in-process."""

from __future__ import annotations


def run_cli(*args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    """Run the CLI in-process (Typer's CliRunner); returns the click Result."""
    from typer.testing import CliRunner

    from lineage_cli.main import app

    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
