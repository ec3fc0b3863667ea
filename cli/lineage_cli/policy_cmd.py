"""``lineage check`` and ``lineage policy``: compliance of an artifact's origins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.note import MAX_NOTE_BYTES
from lineage.errors import InputError
from lineage.evidence.build import check_bundle
from lineage.model.times import format_time, format_us, parse_time
from lineage.policy.check import MAX_LISTED, CheckReport, Finding
from lineage.policy.document import plain_json, read_policy
from lineage.policy.gate import run_check
from lineage.policy.registry import (
    policy_named,
    record_check,
    register_policy,
    registered_policy,
    registrations,
)
from lineage_cli.common import (
    EXIT_FAILED,
    DbOption,
    EngineOption,
    JsonOption,
    KeysDirOption,
    RevealOption,
    SinceOption,
    handle_errors,
    key_directory,
    open_ledger,
    print_json,
    print_revealed,
    print_rows,
    progress_bar,
    read_text_option,
    reveal_nodes,
    stdout,
    suggesting_nodes,
    write_file_whole,
)

PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        help="Policy file (TOML with CEL rules), or the ID or ID@VERSION of a policy"
        " registered in the ledger (lineage policy list).",
        metavar="FILE|ID[@VERSION]",
    ),
]
MAX_LISTED_LIMIT = 1_000_000
TEXT_LISTED = 20
policy_app = typer.Typer(help="Register and list compliance policies.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``check`` command and the ``policy`` command group to ``app``."""
    app.command(name="check")(check_cmd)
    app.add_typer(policy_app, name="policy")


@handle_errors
def check_cmd(
    artifact: Annotated[str, typer.Argument(help="shard:…, ds:… or model:… ID.")],
    policy_file: PolicyOption,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="TIME",
            help="Evaluate the ledger as it stood at this time (RFC 3339).",
        ),
    ] = None,
    max_listed: Annotated[
        int | None,
        typer.Option(
            "--max-listed",
            help=f"Violations and notices to list, each, 0 for all (all are counted)"
            f" [default: 20; with --json {MAX_LISTED}].",
            min=0,
            max=MAX_LISTED_LIMIT,
            metavar="N",
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option("--record", help="Append the result to the ledger, signed by the admin key."),
    ] = False,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            help="Also write the result as an evidence bundle (the policy file, its"
            " registration, each listed finding's path) that lineage verify-bundle checks"
            " offline; the policy must be registered.",
            metavar="FILE",
        ),
    ] = None,
    complete: Annotated[
        bool,
        typer.Option(
            "--complete",
            help="With --bundle: carry every entry and batch of the ledger, so the verifier"
            " evaluates the policy again and gets the same result (discloses every"
            " pseudonym the ledger holds).",
        ),
    ] = False,
    since: SinceOption = None,
    reveal: RevealOption = None,
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    engine: EngineOption = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Check every origin of a shard, dataset or model against a policy.

    Exit 0 when no rule of level "violation" fails, 1 when one does (notices never fail
    the check), 2 on bad input."""
    if max_listed is None:
        max_listed = MAX_LISTED if json_out else TEXT_LISTED
    moment = parse_time(as_of, "--as-of") if as_of else None
    if reveal is not None and bundle is not None:
        raise InputError("--reveal shows raw ids on screen; a bundle never carries them")
    if bundle is None and (complete or since is not None):
        raise InputError("--complete and --since shape a bundle: give --bundle FILE too")
    if bundle is not None:
        kept = read_text_option(since, "--since", MAX_NOTE_BYTES) if since else None
        with (
            open_ledger(db, read_only=not record, engine=engine) as ledger,
            suggesting_nodes(ledger),
        ):
            log_key = ledger.load_log_key(key_directory(keys_dir, db)) if record else None
            policy = policy_named(ledger, policy_file)
            report, evidence = check_bundle(
                ledger,
                artifact,
                policy,
                policy.document,
                as_of=moment,
                complete=complete,
                max_listed=max_listed,
                since=kept,
            )
            recorded = record_check(ledger, log_key, report) if log_key is not None else None
        write_file_whole(bundle, canonical_bytes(evidence) + b"\n")
        if json_out:
            print_json({**report.to_json(), "recorded_entry": recorded, "bundle": str(bundle)})
        else:
            _print(report)
            stdout.print(f"bundle written: {bundle}")
        if not report.ok:
            raise typer.Exit(EXIT_FAILED)
        return
    with (
        open_ledger(db, read_only=not record, engine=engine) as ledger,
        suggesting_nodes(ledger),
    ):
        log_key = ledger.load_log_key(key_directory(keys_dir, db)) if record else None
        policy = policy_named(ledger, policy_file)
        with progress_bar("checking records", None, not json_out) as tick:
            result = run_check(
                ledger,
                artifact,
                policy,
                as_of=moment,
                max_listed=max_listed,
                with_proofs=json_out,
                record_with=log_key,
                progress=tick,
            )
    revealed = None
    if reveal is not None:
        listed = [*result.report.findings, *result.report.notice_findings]
        origins = sorted({f.origin for f in listed if f.origin})
        if origins:
            revealed = reveal_nodes(db, keys_dir, origins, reveal)
    if json_out:
        print_json({**result.to_json(), **({"revealed": revealed.to_json()} if revealed else {})})
    else:
        raw = {n: r.raw for n, r in revealed.revealed.items() if r.raw} if revealed else {}
        _print(result.report, raw)
        if result.recorded_entry is not None:
            stdout.print(f"result recorded in entry {result.recorded_entry}")
        if revealed is not None:
            print_revealed(revealed)
    if not result.report.ok:
        raise typer.Exit(EXIT_FAILED)


def _print_finding(finding: Finding, raw: dict[str, str]) -> None:
    """One finding as a block of lines: every id whole (they are pasted into commands),
    what the rule read and the entries of the evidence."""
    stdout.print(f"- {finding.rule}: {finding.detail}")
    if finding.origin:
        revealed = f" = {raw[finding.origin]}" if finding.origin in raw else ""
        stdout.print(f"  origin: {finding.origin}{revealed}")
    stdout.print(f"  record: {finding.record}" if finding.record else "  record: (none)")
    if finding.shard:
        stdout.print(f"  shard: {finding.shard}")
    stdout.print(f"  used by: {finding.run} at {format_us(finding.used)}")
    if finding.read:
        read = ", ".join(
            f"{name} {json.dumps(value, ensure_ascii=False)}"
            for name, value in finding.read.items()
        )
        stdout.print(f"  read: {read}")
    stdout.print(f"  entries: {' '.join(map(str, finding.entries))}")


def _print(report: CheckReport, raw: dict[str, str] | None = None) -> None:
    data = report.to_json()
    policy = data["policy"]
    where = (
        f"registered in entry {policy['registered_entry']}"
        if policy["registered_entry"] is not None
        else "NOT registered in this ledger (lineage policy register)"
    )
    stdout.print(
        f"{report.artifact} ({report.kind}) against {policy['id']} {policy['version']}"
        f" (sha256 {policy['sha256']}, {where})"
    )
    as_of = f" as of {data['as_of']}" if data["as_of"] else ""
    runs = ", ".join(f"{r['run']} at {r['used']}" for r in data["runs"])
    stdout.print(
        f"{data['origins']:,} origins of {data['records']:,} records in {data['shards']:,}"
        f" shards{as_of}; used by {runs or 'nothing'}"
    )
    for run in data["runs_outside_policy_dates"]:
        until = f" until {policy['effective_until']}" if policy["effective_until"] else ""
        stdout.print(
            Text.assemble(
                ("note:", "yellow"),
                f" {run['run']} used its data at {run['used']}, outside the policy's"
                f" effective dates (from {policy['effective_from']}{until})",
            )
        )
    table = Table("rule", "level", "passed", "failed", "implements")
    for rule in report.rules:
        failed = Text(f"{rule.failed:,}", style="red") if rule.failed else "0"
        table.add_row(rule.id, rule.level, f"{rule.passed:,}", failed, rule.implements)
    stdout.print(table)
    if report.findings:
        stdout.print("violations:")
        for finding in report.findings:
            _print_finding(finding, raw or {})
        stdout.print(
            f"violations listed: {len(report.findings):,} of {report.violations:,}, by origin"
            + (" (--max-listed 0 for all)" if len(report.findings) < report.violations else "")
        )
        stdout.print("evidence: lineage show ORIGIN; inclusion proofs of the entries: --json")
    if report.notices:
        stdout.print(
            f"notices: {report.notices:,} (data used before a later deletion, objection or"
            " erasure: lineage impact lists what to rebuild; --json lists them)"
        )
    verdict = "PASS" if report.ok else "FAIL"
    stdout.print(f"{verdict}: {report.violations:,} violations, {report.notices:,} notices")


@policy_app.command("register")
@handle_errors
def register_cmd(
    policy_file: Annotated[Path, typer.Argument(help="Policy file (TOML with CEL rules).")],
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record a policy file's id, version and SHA-256 in the ledger (signed by the admin key)."""
    policy = read_policy(policy_file)
    with open_ledger(db) as ledger:
        log_key = ledger.load_log_key(key_directory(keys_dir, db))
        registration = register_policy(ledger, log_key, policy)
    result = {**policy.to_json(), "entry": registration.entry}
    if json_out:
        print_json(result)
        return
    stdout.print(
        f"policy {policy.id} {policy.version} (sha256 {policy.sha256}) registered in entry"
        f" {registration.entry}"
    )


@policy_app.command("list")
@handle_errors
def list_cmd(db: DbOption = None, json_out: JsonOption = False) -> None:
    """The policies registered in the ledger."""
    with open_ledger(db, read_only=True) as ledger:
        found = registrations(ledger)
    if json_out:
        print_json({"policies": [vars(r) for r in found]})
        return
    rows = [[r.id, r.version, r.sha256, str(r.entry)] for r in found]
    print_rows("policies", ["id", "version", "sha256", "entry"], rows)


@policy_app.command("show")
@handle_errors
def show_cmd(
    reference: Annotated[
        str, typer.Argument(help="ID or ID@VERSION of a registered policy.", metavar="ID")
    ],
    text: Annotated[
        bool, typer.Option("--text", help="Print the policy file as it was registered.")
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show a registered policy: its registration, effective dates, parameters and rules."""
    with open_ledger(db, read_only=True) as ledger:
        policy, registration = registered_policy(ledger, reference)
    document = policy.document.decode("utf-8", errors="replace")
    if text:
        typer.echo(document, nl=False)
        return
    if json_out:
        print_json(
            {
                **policy.to_json(),
                "registered_entry": registration.entry,
                "registered_time": registration.time,
                "description": policy.description,
                "params": plain_json(policy.params),
                "rules": [vars(rule) for rule in policy.rules],
                "document": document,
            }
        )
        return
    until = f" until {format_time(policy.effective_until)}" if policy.effective_until else ""
    stdout.print(
        f"policy {policy.id} {policy.version}, registered in entry {registration.entry}"
        f" ({registration.time}), sha256 {policy.sha256}"
    )
    stdout.print(f"in effect from {format_time(policy.effective_from)}{until}")
    if policy.description:
        stdout.print(policy.description)
    if policy.params:
        params = Table("parameter")
        params.add_column("value", overflow="fold")
        for name, value in sorted(policy.params.items()):
            params.add_row(name, json.dumps(plain_json(value), ensure_ascii=False))
        stdout.print(params)
    rules = Table("rule", "level", "implements")
    rules.add_column("expression", overflow="fold")
    for rule in policy.rules:
        rules.add_row(rule.id, rule.level, rule.implements, rule.expr)
    stdout.print(rules)
    stdout.print(f"the file as registered: lineage policy show {reference} --text")
