"""``lineage summary`` (the EU AI Act training-content summary of a model) and ``lineage
card`` (a Hugging Face dataset card): documents regulators and the hub read, filled from
the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lineage import __version__
from lineage.errors import InputError
from lineage.export.card import dataset_card
from lineage.export.content import TrainingContent, training_content
from lineage.export.eu_summary import summary_document
from lineage.export.provider import NO_PROVIDER, read_provider
from lineage.export.render import render_page
from lineage.model.graph import DATASET, MODEL, SHARD
from lineage.model.times import parse_time
from lineage_cli.common import (
    DbOption,
    EngineOption,
    JsonOption,
    check_output_file,
    handle_errors,
    open_ledger,
    print_json,
    progress_bar,
    stdout,
    suggesting_nodes,
    write_file_whole,
)

SUMMARY_FORMATS = ("eu-ai-act",)
PAGE_TEMPLATES = {".md": "eu-ai-act.md.j2", ".html": "eu-ai-act.html.j2"}

ProviderOption = Annotated[
    Path | None,
    typer.Option(
        "--provider",
        help="TOML with what the ledger cannot know: provider, model name, dates,"
        " narrative (see docs/exports.md). Fields it lacks are listed as missing.",
        metavar="FILE",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="TIME", help="The ledger as it stood then (RFC 3339)."),
]


def register(app: typer.Typer) -> None:
    """Add the ``summary`` and ``card`` commands to ``app``."""
    app.command(name="summary")(summary)
    app.command(name="card")(card)


@handle_errors
def summary(
    model: Annotated[str, typer.Argument(help="The model:… ID.")],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="The file to write: .md, .html (each with a .json sidecar beside it) or"
            " .json (the sidecar alone).",
            metavar="FILE",
        ),
    ],
    summary_format: Annotated[
        str,
        typer.Option("--format", help="The template to fill: eu-ai-act.", metavar="FORMAT"),
    ] = "eu-ai-act",
    provider: ProviderOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    engine: EngineOption = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Write the EU AI Act public summary of a model's training content (Article
    53(1)(d), the Commission's template of 24 July 2025).

    The ledger fills the model's dependencies, the size of its training data, the
    collection period, the user-data sources with their counts and periods, and the
    processing measures with exact counts, each figure with the entries it came from.
    Every other source category reads "none recorded in this ledger"."""
    if summary_format not in SUMMARY_FORMATS:
        raise InputError(f"--format: {summary_format!r}: one of {', '.join(SUMMARY_FORMATS)}")
    suffix = output.suffix.lower()
    if suffix not in (*PAGE_TEMPLATES, ".json"):
        raise InputError(f"{output}: name the file *.md, *.html or *.json")
    sidecar = output if suffix == ".json" else output.with_suffix(".json")
    check_output_file(output)
    facts = read_provider(provider) if provider is not None else NO_PROVIDER
    content = _content(model, as_of, db, engine, json_out, (MODEL,))
    document = summary_document(content, facts, __version__)
    sidecar_bytes = json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
    page = None
    if suffix in PAGE_TEMPLATES:
        page = render_page(PAGE_TEMPLATES[suffix], document).encode()
        write_file_whole(output, page)
    write_file_whole(sidecar, sidecar_bytes)
    _done(
        {
            "file": str(output),
            "sidecar": str(sidecar),
            "bytes": len(page) if page is not None else len(sidecar_bytes),
            "missing": [item["key"] for item in document["missing"]],
        },
        json_out,
    )


@handle_errors
def card(
    dataset: Annotated[str, typer.Argument(help="The ds:… (or shard:…) ID.")],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="The card to write.", metavar="README.md"),
    ] = Path("README.md"),
    provider: ProviderOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    engine: EngineOption = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Write a Hugging Face dataset card (YAML metadata and Markdown) for a dataset.

    Source services, collection period, size category, filters with their counts,
    personal-data handling and the checkpoint to verify against come from the ledger;
    licence, languages and curators from --provider ([dataset] table)."""
    check_output_file(output)
    facts = read_provider(provider) if provider is not None else NO_PROVIDER
    content = _content(dataset, as_of, db, engine, json_out, (DATASET, SHARD))
    made = dataset_card(content, facts, __version__)
    data = made.text.encode()
    write_file_whole(output, data)
    _done(
        {"file": str(output), "bytes": len(data), "missing": made.missing, **made.metadata},
        json_out,
    )


def _content(
    artifact: str,
    as_of: str | None,
    db: str | None,
    engine: str,
    json_out: bool,
    kinds: tuple[str, ...],
) -> TrainingContent:
    moment = parse_time(as_of, "--as-of") if as_of else None
    with (
        open_ledger(db, read_only=True, engine=engine) as ledger,
        suggesting_nodes(ledger),
        progress_bar("reading the lineage", None, not json_out) as tick,
    ):
        return training_content(ledger, artifact, moment, progress=tick, kinds=kinds)


def _done(result: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(result)
        return
    stdout.print(f"written: {result['file']} ({result['bytes']:,} bytes)")
    if result.get("sidecar") and result["sidecar"] != result["file"]:
        stdout.print(f"sidecar: {result['sidecar']} (every figure, its entries and recompute)")
    if result["missing"]:
        stdout.print(f"missing provider fields: {', '.join(result['missing'])}")
