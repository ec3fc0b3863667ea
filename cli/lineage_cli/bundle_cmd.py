"""``lineage bundle`` and ``lineage verify-bundle``: evidence a third party checks offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.note import MAX_NOTE_BYTES
from lineage.errors import InputError
from lineage.evidence.build import path_bundle
from lineage.evidence.format import MAX_BUNDLE_BYTES, read_bundle
from lineage.evidence.verify import BundleResult, verify_bundle
from lineage.query.resolve import resolve_post
from lineage_cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    DbOption,
    JsonOption,
    QuorumOption,
    SinceOption,
    WitnessOption,
    fail,
    handle_errors,
    open_ledger,
    print_json,
    read_text_option,
    stdout,
    witness_policy,
    write_file_whole,
)


def register(app: typer.Typer) -> None:
    """Add ``bundle`` and ``verify-bundle`` to ``app``."""
    app.command(name="bundle")(bundle)
    app.command(name="verify-bundle")(verify_bundle_cmd)


@handle_errors
def bundle(
    post: Annotated[
        str,
        typer.Option("--post", help="The post (post:… or its platform id).", metavar="POST"),
    ],
    to: Annotated[
        str, typer.Option("--to", help="The artifact it reaches (model:…, ds:…, shard:…).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the bundle here instead of stdout."),
    ] = None,
    since: SinceOption = None,
    db: DbOption = None,
) -> None:
    """Write an evidence bundle proving that a post reaches an artifact.

    It discloses the path's edges only (with their batch paths), the signed statements
    that record them, their inclusion proofs, the checkpoint and the key registrations
    that authorised their signers: `lineage verify-bundle` (or any verifier following
    docs/bundle.md) checks it with no access to the ledger.
    """
    kept = read_text_option(since, "--since", MAX_NOTE_BYTES) if since else None
    with open_ledger(db, read_only=True) as ledger:
        document = path_bundle(ledger, resolve_post(ledger, post), to, kept)
    data = canonical_bytes(document) + b"\n"
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_file_whole(output, data)
    stdout.print(f"bundle written: {output} ({len(data):,} bytes)")


@handle_errors
def verify_bundle_cmd(
    bundle_file: Annotated[Path, typer.Argument(help="The bundle.", metavar="BUNDLE.json")],
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help="The log's verifier key you hold (lineage checkpoint --verifier-key);"
            " without it the key inside the bundle is used.",
            metavar="VKEY",
        ),
    ] = None,
    since: SinceOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check an evidence bundle offline: exit 0 proven, 1 not proven, 2 unreadable.
    With --witness, its checkpoint counts only with the witnesses' cosignatures."""
    policy = witness_policy(witness, quorum)
    kept = read_text_option(since, "--since", MAX_NOTE_BYTES) if since else None
    try:
        with bundle_file.open("rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise fail(f"{bundle_file}: {exc.strerror or exc}", EXIT_USAGE) from None
    try:
        parsed = read_bundle(data)
    except InputError as exc:
        raise fail(f"{bundle_file}: unreadable: {exc}", EXIT_USAGE) from None
    result = verify_bundle(parsed, log_key, kept, policy)
    if json_out:
        print_json(result.to_json())
    else:
        _print(result)
    if not result.proven:
        raise typer.Exit(EXIT_FAILED)


_ONE_LINE = {ord("\n"): "\ufffd", ord("\r"): "\ufffd", ord("\t"): " "}


def _print(result: BundleResult) -> None:
    """The verdict; what comes from the bundle is kept to its one line."""
    if result.failure is not None:
        stdout.print(str(result.failure).translate(_ONE_LINE))
        return
    checkpoint = result.checkpoint
    assert checkpoint is not None
    stdout.print(f"PROVEN: {result.summary}".translate(_ONE_LINE))
    stdout.print(
        f"  in the log {checkpoint.origin} at size {checkpoint.size}: {result.entries}"
        f" signed entries, {result.items} disclosed items, every signer authorised"
    )
    if result.consistent_with is not None:
        stdout.print(f"  the log extends the checkpoint of size {result.consistent_with}")
    if not result.log_key_pinned:
        stdout.print(
            "  note: checked with the verifier key inside the bundle (pin it with --log-key)"
        )
