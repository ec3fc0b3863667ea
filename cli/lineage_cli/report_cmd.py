"""``lineage report``: one self-contained HTML page on an artifact (or, for a privacy team,
on an author), optionally printed to PDF and with an audit bundle beside it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from lineage import __version__
from lineage.crypto.canonical import canonical_bytes
from lineage.errors import InputError
from lineage.evidence.build import check_bundle
from lineage.model.times import parse_time
from lineage.policy.registry import policy_named
from lineage.report.artifact import MAX_DRAWN_PATHS, artifact_report
from lineage.report.author import author_report
from lineage.report.pdf import print_pdf
from lineage.report.render import draw, render_artifact, render_author
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
from lineage_cli.policy_cmd import MAX_LISTED_LIMIT

DEFAULT_LISTED = 100


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command(name="report")(report)


@handle_errors
def report(
    artifact: Annotated[
        str | None, typer.Argument(help="shard:…, ds:… or model:… ID (or a raw record id).")
    ] = None,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="The HTML file to write.", metavar="FILE.html"),
    ] = Path("report.html"),
    policy_given: Annotated[
        str | None,
        typer.Option(
            "--policy",
            help="Add the compliance result: a policy file, or the ID[@VERSION] of a"
            " registered policy.",
            metavar="FILE|ID[@VERSION]",
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            help="A privacy team's report on this author (platform author id or subject:…):"
            " what their posts reached, the remediation plan, their requests and receipts.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="TIME", help="The ledger as it stood then (RFC 3339)."),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            help="Also write the compliance result as an audit bundle (the policy must be"
            " registered); the report links to it, so keep the two side by side.",
            metavar="FILE",
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the page to a PDF beside it (Chromium).")
    ] = False,
    drawings: Annotated[
        bool,
        typer.Option(
            "--drawings/--no-drawings", help="Draw the pipeline and paths (Graphviz's dot)."
        ),
    ] = True,
    max_listed: Annotated[
        int,
        typer.Option(
            "--max-listed",
            help="Violations and notices listed, each (all are counted); 0 for all.",
            min=0,
            max=MAX_LISTED_LIMIT,
            metavar="N",
        ),
    ] = DEFAULT_LISTED,
    max_drawn: Annotated[
        int,
        typer.Option(
            "--max-drawn",
            help="Listed findings whose origin's path is drawn.",
            min=0,
            max=MAX_DRAWN_PATHS,
            metavar="N",
        ),
    ] = 20,
    db: DbOption = None,
    engine: EngineOption = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Write one self-contained HTML report (no network needed to open it).

    On an artifact: its origins charted, every step run with its signer and counts, the
    pipeline and each finding's path drawn, the compliance result (--policy), the
    evidence and the checkpoint to verify it against. With --author instead: a privacy
    team's impact report."""
    if (artifact is None) == (author is None):
        raise InputError("give an ARTIFACT, or --author A for a privacy report (not both)")
    if output.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{output}: the report is HTML; name the file *.html")
    if bundle is not None and policy_given is None:
        raise InputError("--bundle carries a compliance result: give --policy too")
    if author is not None and (policy_given or bundle):
        raise InputError("--policy and --bundle go with an ARTIFACT, not --author")
    printed = output.with_suffix(".pdf") if pdf else None
    for path in (output, bundle):
        if path is not None:
            check_output_file(path)
    if bundle is not None and bundle.resolve() in {output.resolve(), *_resolved(printed)}:
        raise InputError(f"{bundle}: the bundle would be overwritten by the page or its PDF")
    moment = parse_time(as_of, "--as-of") if as_of else None
    verdict: bool | None = None
    with open_ledger(db, read_only=True, engine=engine) as ledger, suggesting_nodes(ledger):
        if author is not None:
            made = author_report(ledger, author, as_of=moment)
            page = render_author(made, version=__version__)
        else:
            assert artifact is not None
            policy = policy_named(ledger, policy_given) if policy_given else None
            checked, evidence = None, None
            if bundle is not None and policy is not None:
                checked, evidence = check_bundle(
                    ledger, artifact, policy, policy.document, as_of=moment, max_listed=max_listed
                )
            with progress_bar("reading the lineage", None, not json_out) as tick:
                made_artifact = artifact_report(
                    ledger,
                    artifact,
                    policy=policy,
                    as_of=moment,
                    max_listed=max_listed,
                    max_drawn=max_drawn,
                    bundle=_relative(bundle, output) if bundle else None,
                    checked=checked,
                    progress=tick,
                )
            if evidence is not None and bundle is not None:
                write_file_whole(bundle, canonical_bytes(evidence) + b"\n")
            page = render_artifact(
                made_artifact, draw(made_artifact) if drawings else None, version=__version__
            )
            verdict = made_artifact.check.ok if made_artifact.check else None
    data = page.encode()
    write_file_whole(output, data)
    if printed is not None:
        print_pdf(output, printed)
    if json_out:
        print_json(
            {
                "html": str(output),
                "bytes": len(data),
                "pdf": str(printed) if printed else None,
                "bundle": str(bundle) if bundle else None,
                "ok": verdict,
            }
        )
        return
    stdout.print(f"report written: {output} ({len(data):,} bytes)")
    if printed is not None:
        stdout.print(f"PDF written: {printed}")
    if bundle is not None:
        stdout.print(f"bundle written: {bundle}")


def _resolved(path: Path | None) -> set[Path]:
    return {path.resolve()} if path is not None else set()


def _relative(target: Path, page: Path) -> str:
    """``target`` as the page links it: relative to the page's folder."""
    return Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix()
