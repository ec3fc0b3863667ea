"""Commands over the lineage graph: ingest, trace, impact, show."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.table import Table

from lineage.crypto.encoding import b64
from lineage.errors import InputError
from lineage.ingest.events import ingest as ingest_events
from lineage.ingest.openlineage import ingest_openlineage
from lineage.ingest.pipeline import MAX_BATCH_SIZE, Lineage
from lineage.ledger.projection import time_us
from lineage.model.graph import POST
from lineage.model.times import parse_time
from lineage.query.impact import request_json
from lineage.query.plan import remediation_plan
from lineage.query.resolve import resolve, resolve_post
from lineage.query.show import show as show_node
from lineage.query.trace import ListedOrigin, Trace
from lineage.query.trace import path as path_of
from lineage_cli.common import (
    AllowEmptyOption,
    DbOption,
    EngineOption,
    JsonOption,
    KeysDirOption,
    RevealOption,
    closing_ledger,
    handle_errors,
    open_ledger,
    print_json,
    print_plan,
    print_revealed,
    print_rows,
    progress_bar,
    reveal_nodes,
    stdout,
    suggesting_nodes,
)

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="TIME", help="The graph as the ledger stood at this time (RFC 3339)."
    ),
]
MAX_LIMIT = 10_000_000


class InputFormat(StrEnum):
    """What ``ingest`` reads."""

    JSONL = "jsonl"
    OPENLINEAGE = "openlineage"


def register(app: typer.Typer) -> None:
    """Add the ``ingest``, ``trace``, ``impact`` and ``show`` commands to ``app``."""
    for command in (ingest, trace, impact, show):
        app.command()(command)


def _as_of(value: str | None) -> int | None:
    return time_us(parse_time(value, "--as-of")) if value else None


@handle_errors
def ingest(
    source: Annotated[
        str, typer.Argument(help="JSON Lines events, or - for stdin.", metavar="FILE.jsonl")
    ],
    input_format: Annotated[
        InputFormat,
        typer.Option(
            "--format",
            help="jsonl: lineage's events; openlineage: OpenLineage RunEvents, one per line.",
        ),
    ] = InputFormat.JSONL,
    key: Annotated[
        str | None,
        typer.Option(
            help="--format openlineage: the key that signs every step run of the input"
            " (registered for its jobs' names).",
            metavar="NAME",
        ),
    ] = None,
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    batch_size: Annotated[
        int,
        typer.Option(help="Edges per signed statement.", min=1, max=MAX_BATCH_SIZE, metavar="N"),
    ] = 1000,
    allow_empty: AllowEmptyOption = False,
    json_out: JsonOption = False,
) -> None:
    """Ingest pipeline events as signed statements.

    The events are JSON Lines (schema: src/lineage/ingest/events.schema.json), or with
    --format openlineage OpenLineage RunEvents (docs/exports.md, "OpenLineage"). An input
    with no event is an error unless --allow-empty is given."""
    if input_format is InputFormat.OPENLINEAGE and key is None:
        raise InputError("--format openlineage needs the key that signs its runs", field="--key")
    if input_format is InputFormat.JSONL and key is not None:
        raise InputError("JSON Lines events name their keys themselves", field="--key")
    lineage = Lineage.open(db, keys_dir=keys_dir, batch_size=batch_size, statements_per_append=20)
    with closing_ledger(lineage.ledger):
        if source == "-":
            events = _ingest(lineage, sys.stdin.buffer, "<stdin>", None, allow_empty, json_out, key)
        else:
            path = Path(source)
            with path.open("rb") as handle:
                total = path.stat().st_size
                events = _ingest(lineage, handle, source, total, allow_empty, json_out, key)
        size = lineage.ledger.size()
    result = {"events": events, "statements_added": lineage.appended, "log_size": size}
    if json_out:
        print_json(result)
        return
    stdout.print(f"ingested {events} events in {lineage.appended} new statements; log size {size}")


def _ingest(
    lineage: Lineage,
    stream: BinaryIO,
    name: str,
    total: int | None,
    allow_empty: bool,
    json_out: bool,
    openlineage_key: str | None,
) -> int:
    with progress_bar("ingesting", total, not json_out) as advance:
        if openlineage_key is not None:
            return ingest_openlineage(
                lineage, stream, name, openlineage_key, advance, allow_empty=allow_empty
            )
        return ingest_events(lineage, stream, name, advance, allow_empty=allow_empty)


_IDS_SHOWN = 5
"""Ids of each kind an impact prints (whole; ``--json`` lists every one)."""


def _counter_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title, "count", title=None)
    for key, value in counts.items():
        table.add_row(key, str(value))
    return table


@handle_errors
def trace(
    artifact: Annotated[str, typer.Argument(help="shard:…, ds:… or model:… ID.")],
    db: DbOption = None,
    limit: Annotated[
        int, typer.Option(help="Origins to list (0: all).", min=0, max=MAX_LIMIT, metavar="N")
    ] = 20,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Stream origins as JSON Lines, then the summary.")
    ] = False,
    path: Annotated[
        str | None,
        typer.Option(
            "--path", help="Show the full path from this origin (post:… or a platform post id)."
        ),
    ] = None,
    as_of: AsOfOption = None,
    engine: EngineOption = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Everything upstream of a shard, dataset or model: origins, summary, drops."""
    moment = _as_of(as_of)
    with open_ledger(db, read_only=True, engine=engine) as ledger, suggesting_nodes(ledger):
        store = ledger.store
        if path is not None:
            start = resolve_post(ledger, path)
            hops = path_of(store, start, artifact, moment)
            if json_out:
                print_json(
                    {"origin": start, "artifact": artifact, "hops": [h.to_json() for h in hops]}
                )
                return
            columns = ["upstream", "edge", "downstream", "step", "version", "run", "signer"]
            rows = [
                [
                    hop.edge.up,
                    hop.edge.kind,
                    hop.edge.down,
                    hop.step,
                    hop.version,
                    hop.run,
                    hop.signer,
                    str(hop.edge.entry),
                ]
                for hop in hops
            ]
            print_rows(f"path from {start} to {artifact}", [*columns, "entry"], rows)
            return
        query = Trace(store, artifact, moment)
        listed: list[ListedOrigin] = []
        if jsonl:
            for origin in query.listed_origins(limit):
                typer.echo(json.dumps(origin.to_json(), sort_keys=True))
        else:
            listed = query.first_origins(limit)
        summary = query.finish()
    if jsonl:
        typer.echo(json.dumps({"summary": summary.to_json()}, sort_keys=True))
        return
    if json_out:
        print_json(
            {
                "summary": summary.to_json(),
                "origins": [o.to_json() for o in listed],
                "listed": {"origins": len(listed), "of": summary.origins},
            }
        )
        return
    data = summary.to_json()
    stdout.print(f"{artifact} ({summary.kind}): {summary.origins} origins")
    for title in ("by_platform", "by_surface", "by_jurisdiction", "upstream_nodes"):
        stdout.print(_counter_table(title.replace("_", " "), data[title]))
    drops = Table("step", "version", "run", "reason", "dropped")
    for drop in summary.drops:
        drops.add_row(
            drop["step"], drop["version"], drop["run"], drop["reason"], str(drop["count"])
        )
    stdout.print(drops)
    origins: list[list[str]] = []
    for item in listed:
        attrs = item.row.attributes()
        origins.append(
            [
                item.row.id + (" (author erased)" if item.erased else ""),
                attrs.get("platform", ""),
                attrs.get("surface", ""),
                attrs.get("visibility", ""),
                attrs.get("jurisdiction", ""),
                attrs.get("created", ""),
            ]
        )
    columns = ["origin", "platform", "surface", "visibility", "jurisdiction", "created"]
    print_rows("origins", columns, origins)
    stdout.print(
        f"origins listed: {len(listed):,} of {summary.origins:,}, in id order"
        + (" (--limit 0 for all, --jsonl to stream them)" if len(listed) < summary.origins else "")
    )


@handle_errors
def impact(
    node: Annotated[str | None, typer.Argument(help="post:…, rec:… or subject:… ID.")] = None,
    post: Annotated[str | None, typer.Option(help="A platform post id, e.g. fb:123.")] = None,
    author: Annotated[
        str | None, typer.Option(help="A platform author id, e.g. fb:user:42.")
    ] = None,
    record: Annotated[str | None, typer.Option(help="A pipeline record id.")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    engine: EngineOption = "duckdb",
    reveal: RevealOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Everything downstream of a post, record or author, and the remediation plan.

    The plan lists the shards to rebuild without which records, the dataset versions
    superseded, the models to retrain (and which of their shards are affected) and the
    fine-tunes to refit."""
    moment = _as_of(as_of)
    with open_ledger(db, read_only=True, engine=engine) as ledger, suggesting_nodes(ledger):
        start = resolve(ledger, node, post=post, author=author, record=record)
        plan = remediation_plan(ledger.store, start, moment)
    result = plan.impact
    revealed = None
    if reveal is not None:
        shown = [start] if start.startswith(("post:", "subject:")) else []
        revealed = reveal_nodes(db, keys_dir, [*shown, *result.nodes[POST]], reveal)
    if json_out:
        extra = {"revealed": revealed.to_json()} if revealed else {}
        print_json({**result.to_json(), "plan": plan.to_json(), **extra})
        return
    if revealed is not None:
        print_revealed(revealed)
    stdout.print(
        f"downstream of {start}" + (" (an erased author's)" if result.erased else "") + ":"
    )
    for kind, ids in result.nodes.items():
        stdout.print(f"{kind}: {len(ids):,}")
        for node_id in ids[:_IDS_SHOWN]:
            stdout.print(f"  {node_id}")
        if len(ids) > _IDS_SHOWN:
            stdout.print(f"  and {len(ids) - _IDS_SHOWN:,} more (--json lists all)")
    for drop in result.drops:
        stdout.print(f"dropped {drop.node}: {drop.reason} (entry {drop.entry})")
    for request in map(request_json, result.requests):
        stdout.print(
            f"{request['kind']} of {request['target']} made {request['at']},"
            f" recorded {request['recorded']} (entry {request['entry']})"
        )
    print_plan(plan)


@handle_errors
def show(
    node: Annotated[str | None, typer.Argument(help="Any node ID.")] = None,
    post: Annotated[str | None, typer.Option(help="A platform post id.")] = None,
    author: Annotated[str | None, typer.Option(help="A platform author id.")] = None,
    record: Annotated[str | None, typer.Option(help="A pipeline record id.")] = None,
    db: DbOption = None,
    reveal: RevealOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """A node, its attributes and edges, and the entries asserting them (with proofs)."""
    with open_ledger(db, read_only=True) as ledger, suggesting_nodes(ledger):
        start = resolve(ledger, node, post=post, author=author, record=record)
        shown = show_node(ledger, start)
    revealed = None
    if reveal is not None:
        if not start.startswith(("post:", "subject:")):
            raise InputError(f"{start}: only posts and authors have raw platform ids")
        revealed = reveal_nodes(db, keys_dir, [start], reveal)
    if json_out:
        print_json({**shown.to_json(), **({"revealed": revealed.to_json()} if revealed else {})})
        return
    if revealed is not None:
        print_revealed(revealed)
    data = shown.to_json()
    stdout.print(f"{data['id']} ({data['kind']}), asserted by entry {data['asserted_by']}")
    for key, value in data["attributes"].items():
        stdout.print(f"  {key}: {value}")
    for newer in shown.superseded_by or []:
        stdout.print(f"  superseded by: {newer}")
    edges = [
        [hop.edge.up, hop.edge.kind, hop.edge.down, hop.step, hop.signer, str(hop.edge.entry)]
        for hop in shown.edges
    ]
    print_rows("edges", ["upstream", "edge", "downstream", "step", "signer", "entry"], edges)
    for drop in shown.drops:
        stdout.print(f"dropped: {drop.reason} (entry {drop.entry})")
    for request in data["requests"]:
        stdout.print(
            f"{request['kind']} made {request['at']}, recorded {request['recorded']}"
            f" (entry {request['entry']})"
        )
    if shown.erased:
        stdout.print("erased: the author's key is deleted; these pseudonyms link to no one")
    entries = [
        [
            str(entry),
            info.step,
            info.run,
            info.keyid,
            str(shown.proofs[entry].size),
            b64(shown.proofs[entry].leaf_hash),
        ]
        for entry, info in sorted(shown.entries.items())
    ]
    print_rows("entries", ["entry", "step", "run", "key id", "tree size", "leaf hash"], entries)
    stdout.print("inclusion proofs: --json")
