"""``lineage check`` and ``lineage policy``: compliance of an artifact's origins."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.note import MAX_NOTE_BYTES
from lineage.errors import InputError
from lineage.evidence.build import check_bundle
from lineage.model.times import parse_time
from lineage.policy.check import MAX_LISTED, CheckReport
from lineage.policy.document import MAX_POLICY_BYTES, parse_policy, read_policy
from lineage.policy.gate import run_check
from lineage.policy.registry import record_check, register_policy, registrations
from lineage_cli.common import (
    EXIT_FAILED,
    DbOption,
    EngineOption,
    JsonOption,
    KeysDirOption,
    SinceOption,
    handle_errors,
    key_directory,
    open_ledger,
    print_json,
    progress_bar,
    read_bytes_option,
    read_text_option,
    stdout,
    suggesting_nodes,
    write_file_whole,
)

PolicyOption = Annotated[
    Path, typer.Option("--policy", help="Policy file (TOML with CEL rules).", exists=False)
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
    if bundle is None and (complete or since is not None):
        raise InputError("--complete and --since shape a bundle: give --bundle FILE too")
    if bundle is not None:
        kept = read_text_option(since, "--since", MAX_NOTE_BYTES) if since else None
        with (
            open_ledger(db, read_only=not record, engine=engine) as ledger,
            suggesting_nodes(ledger),
        ):
            log_key = ledger.load_log_key(key_directory(keys_dir, db)) if record else None
            document = read_bytes_option(policy_file, "--policy", MAX_POLICY_BYTES)
            policy = parse_policy(document, str(policy_file))
            report, evidence = check_bundle(
                ledger,
                artifact,
                policy,
                document,
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
        with progress_bar("checking records", None, not json_out) as tick:
            result = run_check(
                ledger,
                artifact,
                policy_file,
                as_of=moment,
                max_listed=max_listed,
                with_proofs=json_out,
                record_with=log_key,
                progress=tick,
            )
    if json_out:
        print_json(result.to_json())
    else:
        _print(result.report)
        if result.recorded_entry is not None:
            stdout.print(f"result recorded in entry {result.recorded_entry}")
    if not result.report.ok:
        raise typer.Exit(EXIT_FAILED)


def _print(report: CheckReport) -> None:
    data = report.to_json()
    policy = data["policy"]
    where = (
        f"registered in entry {policy['registered_entry']}"
        if policy["registered_entry"] is not None
        else "NOT registered in this ledger (lineage policy register)"
    )
    stdout.print(
        f"{report.artifact} ({report.kind}) against {policy['id']} {policy['version']}"
        f" (sha256 {policy['sha256'][:16]}…, {where})"
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
        findings = Table("rule", "origin", "record", "shard", "run", "entries", "why")
        for finding in report.findings:
            findings.add_row(
                finding.rule,
                finding.origin or "(none)",
                finding.record,
                finding.shard,
                finding.run,
                " ".join(map(str, finding.entries)),
                finding.detail,
            )
        stdout.print(findings)
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
    table = Table("id", "version", "sha256", "entry")
    for r in found:
        table.add_row(r.id, r.version, r.sha256, str(r.entry))
    stdout.print(table)
