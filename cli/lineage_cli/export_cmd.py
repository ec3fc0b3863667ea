"""``lineage export``: an artifact's lineage in formats other tools read (W3C PROV,
OpenLineage), one command per format, each in its own module."""

from __future__ import annotations

import typer

from lineage_cli import export_openlineage_cmd, export_prov_cmd

export_app = typer.Typer(
    help="Write an artifact's lineage in formats other tools read: W3C PROV, OpenLineage.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add the ``export`` group to ``app``."""
    app.add_typer(export_app, name="export")
    export_app.command("prov")(export_prov_cmd.prov)
    export_app.command("openlineage")(export_openlineage_cmd.openlineage)
