"""``lineage export prov``: everything upstream of an artifact as a W3C PROV document."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage.errors import InputError
from lineage.export.prov import prov_export
from lineage.export.prov_formats import FORMATS, check_format, serialize
from lineage.model.times import parse_time
from lineage.query.upstream import LARGEST_UPSTREAM_NODES, MAX_UPSTREAM_NODES
from lineage_cli.common import (
    DbOption,
    EngineOption,
    JsonOption,
    check_output_file,
    handle_errors,
    open_ledger,
    progress_bar,
    stdout,
    suggesting_nodes,
    write_file_whole,
)
from lineage_cli.graph_cmd import AsOfOption


@handle_errors
def prov(
    artifact: Annotated[
        str, typer.Argument(help="shard:…, ds:…, model:… or rec:… ID.", show_default=False)
    ],
    format_name: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="json (PROV-JSON), provn (PROV-N), ttl (PROV-O in Turtle) or xml (PROV-XML).",
        ),
    ] = "json",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write the document to FILE (whole or not at all), not stdout."
        ),
    ] = None,
    as_of: AsOfOption = None,
    max_nodes: Annotated[
        int,
        typer.Option(
            "--max-nodes",
            help="Refuse an artifact with more upstream nodes than this (nothing is cut).",
            min=1,
            max=LARGEST_UPSTREAM_NODES,
            metavar="N",
        ),
    ] = MAX_UPSTREAM_NODES,
    db: DbOption = None,
    engine: EngineOption = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Write everything upstream of an artifact as a W3C PROV document.

    Posts, records, shards, datasets and models are entities (pseudonymous ids, as the
    ledger holds them), step runs are activities, signing keys are agents; every lineage
    edge is a wasDerivedFrom naming the ledger entry that asserts it, and the document
    names the checkpoint it was read against. docs/exports.md has the mapping."""
    check_format(format_name)
    moment = parse_time(as_of, "--as-of") if as_of else None
    if output is not None:
        check_output_file(output)
    elif json_out:
        raise InputError("--json prints a summary of the file written: give -o FILE too")
    with (
        open_ledger(db, read_only=True, engine=engine) as ledger,
        suggesting_nodes(ledger),
        progress_bar("reading the lineage", None, not json_out) as tick,
    ):
        made = prov_export(ledger, artifact, as_of=moment, max_nodes=max_nodes, progress=tick)
    with progress_bar(f"writing {FORMATS[format_name]}", None, not json_out):
        data = serialize(made.document, format_name)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_file_whole(output, data)
    if json_out:
        summary = {"artifact": artifact, "format": format_name, **made.counts()}
        typer.echo(json.dumps({**summary, "file": str(output), "bytes": len(data)}, sort_keys=True))
    else:
        stdout.print(
            f"{FORMATS[format_name]} written: {output} ({len(data):,} bytes; "
            f"{made.entities:,} entities, {made.activities} activities, {made.agents} agents,"
            f" {made.relations:,} relations)"
        )
