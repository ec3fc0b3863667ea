"""``lineage ls`` and ``lineage search``: what a ledger holds, for a newcomer to it."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from lineage.ledger.log import Ledger
from lineage.policy.registry import recorded_checks, registrations
from lineage.query.discovery import (
    ARTIFACT_KINDS,
    MAX_LISTED,
    Listing,
    artifacts,
    keys,
    requests,
    search,
    step_runs,
)
from lineage_cli.common import (
    DbOption,
    JsonOption,
    handle_errors,
    open_ledger,
    print_json,
    print_rows,
    stdout,
)


class What(StrEnum):
    """What ``lineage ls`` lists."""

    models = "models"
    datasets = "datasets"
    shards = "shards"
    steps = "steps"
    keys = "keys"
    policies = "policies"
    requests = "requests"
    checks = "checks"


LimitOption = Annotated[
    int,
    typer.Option(
        "--limit", help="Rows to list (all are counted).", min=1, max=MAX_LISTED, metavar="N"
    ),
]
DEFAULT_LIMIT = 50


def register(app: typer.Typer) -> None:
    """Add ``ls`` and ``search`` to ``app``."""
    app.command(name="ls")(ls_cmd)
    app.command(name="search")(search_cmd)


def listing(ledger: Ledger, what: What, limit: int) -> Listing:
    """One list of what the ledger holds."""
    if what.value in ARTIFACT_KINDS:
        return artifacts(ledger, what.value, limit)
    if what is What.steps:
        return step_runs(ledger, limit)
    if what is What.keys:
        return keys(ledger, limit)
    if what is What.requests:
        return requests(ledger, limit)
    if what is What.policies:
        found = registrations(ledger)
        return Listing("policies", len(found), [dict(vars(r)) for r in found[:limit]])
    checks = recorded_checks(ledger)
    return Listing("checks", len(checks), [c.to_json() for c in checks[-limit:]])


@handle_errors
def ls_cmd(
    what: Annotated[
        What | None,
        typer.Argument(help="What to list; without it, how many of each the ledger holds."),
    ] = None,
    limit: LimitOption = DEFAULT_LIMIT,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List the models, datasets, shards, step runs, keys, policies, requests or recorded
    checks in the ledger, with counts and times."""
    with open_ledger(db, read_only=True) as ledger:
        if what is None:
            counts = {w.value: listing(ledger, w, 1).total for w in What}
            if json_out:
                print_json({"counts": counts, "entries": ledger.size()})
                return
            table = Table("what", "count", "list them with")
            for name, count in counts.items():
                table.add_row(name, f"{count:,}", f"lineage ls {name}")
            stdout.print(table)
            stdout.print(f"{ledger.size():,} entries in the ledger")
            return
        found = listing(ledger, what, limit)
    if json_out:
        print_json(found.to_json())
        return
    _print_listing(found)


_COLUMNS: dict[str, list[str]] = {
    "nodes": ["id", "kind", "entry", "time", "attrs"],
    "models": ["id", "entry", "time", "attrs"],
    "datasets": ["id", "entry", "time", "attrs"],
    "shards": ["id", "entry", "time", "attrs"],
    "steps": ["step", "version", "run", "statements", "first_entry", "last_entry", "last_time"],
    "keys": ["name", "keyid", "steps", "registered_in", "revoked_at"],
    "policies": ["id", "version", "entry", "time", "carried", "sha256"],
    "requests": ["kind", "target", "at", "entry"],
    "checks": ["entry", "time", "artifact", "policy", "ok", "violations", "notices"],
}


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _print_listing(found: Listing) -> None:
    columns = _COLUMNS[found.what]
    rows = [[_cell(row.get(column)) for column in columns] for row in found.rows]
    print_rows(f"{found.what}: {found.total:,}", columns, rows)
    if found.by_kind:
        stdout.print(", ".join(f"{kind}: {n:,}" for kind, n in found.by_kind.items()))
    if len(found.rows) < found.total:
        stdout.print(f"listed {len(found.rows):,} of {found.total:,} (--limit N for more)")


@handle_errors
def search_cmd(
    text: Annotated[
        str,
        typer.Argument(
            help="Part of an id, a step name or a policy id, or a raw platform post, author"
            " or record id."
        ),
    ],
    limit: LimitOption = DEFAULT_LIMIT,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Find nodes, step runs and policies by name, and posts, authors and records by their
    raw platform ids (looked up through the identity tables, which the ledger keeps
    instead of the raw ids)."""
    with open_ledger(db, read_only=True) as ledger:
        found = search(ledger, text, limit)
        needle = found.text.lower()
        policies = [dict(vars(r)) for r in registrations(ledger) if needle in r.id.lower()]
    if json_out:
        print_json({**found.to_json(), "policies": policies[:limit]})
        return
    if found.empty() and not policies:
        stdout.print(f"nothing in the ledger matches {found.text!r}")
        raise typer.Exit(1)
    for raw in found.raw:
        declared = f"declared in entry {raw['entry']}" if raw["declared"] else "not declared"
        stdout.print(f"raw {raw['raw_kind']} id {found.text!r} is {raw['id']} ({declared})")
    if found.nodes:
        _print_listing(Listing("nodes", len(found.nodes), found.nodes))
    if found.steps:
        _print_listing(Listing("steps", len(found.steps), found.steps))
    if policies:
        _print_listing(Listing("policies", len(policies), policies))
