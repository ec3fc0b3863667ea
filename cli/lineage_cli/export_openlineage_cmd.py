"""``lineage export openlineage``: OpenLineage RunEvents of the step runs behind an artifact."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from lineage import __version__
from lineage.errors import InputError
from lineage.model.openlineage_facet import MAX_TIMEOUT
from lineage.model.times import parse_time
from lineage_cli.common import (
    DbOption,
    JsonOption,
    handle_errors,
    open_ledger,
    print_json,
    progress_bar,
    stdout,
    suggesting_nodes,
    write_file_whole,
)

API_KEY_ENV = "OPENLINEAGE_API_KEY"


@handle_errors
def openlineage(
    artifact: Annotated[
        str | None,
        typer.Argument(help="shard:…, ds:… or model:… ID [default: every step run in the ledger]."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the events here, one per line.", metavar="FILE"),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="Send each event to this OpenLineage endpoint (POST URL/api/v1/lineage; an API"
            f" key as Bearer token from ${API_KEY_ENV}, if set).",
            metavar="URL",
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            help="Namespace of the jobs and datasets [default: lineage://LOG-ORIGIN].",
            metavar="NS",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="TIME", help="The ledger as it stood at this time (RFC 3339)."
        ),
    ] = None,
    records: Annotated[
        bool,
        typer.Option(
            "--records",
            help="Carry record-level lineage in the lineage_run facet (posts, records,"
            " drops, packings, requests), enough to ingest into another ledger.",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(help="Seconds to wait for the endpoint.", min=0.1, max=MAX_TIMEOUT),
    ] = 10.0,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """OpenLineage RunEvents of every step run upstream of an artifact (or in the ledger).

    One COMPLETE event per step run (a run with more record-level items than one event
    holds is split, its earlier parts RUNNING events), written to -o and/or sent to --url.
    See docs/exports.md, "OpenLineage"."""
    if output is None and url is None:
        raise InputError("give -o FILE, --url URL or both", field="-o")
    from lineage.export.openlineage import ExportOptions, event_line, openlineage_events
    from lineage.export.openlineage_send import check_url, send_events, shown_url

    if url is not None:
        check_url(url)
    options = ExportOptions(
        namespace=namespace,
        as_of=parse_time(as_of, "--as-of") if as_of else None,
        records=records,
        version=__version__,
    )
    with open_ledger(db, read_only=True) as ledger, suggesting_nodes(ledger):
        events = openlineage_events(ledger, artifact, options)
    if output is not None:
        write_file_whole(output, b"".join(event_line(event) for event in events))
    if url is not None:
        with progress_bar("sending", len(events), not json_out) as advance:
            send_events(
                events, url, timeout=timeout, api_key=os.environ.get(API_KEY_ENV), progress=advance
            )
    runs = sum(
        1 for event in events if event.eventType is not None and event.eventType.value == "COMPLETE"
    )
    result = {
        "events": len(events),
        "step_runs": runs,
        "output": str(output) if output is not None else None,
        "sent_to": shown_url(url) if url is not None else None,
    }
    if json_out:
        print_json(result)
        return
    shown = shown_url(url) if url is not None else ""
    where = " and ".join(w for w in (str(output) if output else "", shown) if w)
    stdout.print(f"{len(events)} OpenLineage events ({runs} step runs) to {where}")
