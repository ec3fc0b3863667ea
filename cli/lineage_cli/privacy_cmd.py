"""``lineage erase`` and ``lineage receipt``: a person's erasure and their evidence."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage.ledger.erasure import Receipt, erase_author, receipts
from lineage.model.times import parse_time
from lineage_cli.common import (
    DbOption,
    JsonOption,
    KeysDirOption,
    handle_errors,
    key_directory,
    open_ledger,
    print_json,
    stdout,
)

AuthorOption = Annotated[
    str, typer.Option("--author", help="A platform author id, e.g. fb:user:42.")
]


def register(app: typer.Typer) -> None:
    """Add the ``erase`` and ``receipt`` commands to ``app``."""
    app.command(name="erase")(erase)
    app.command(name="receipt")(receipt)


def _print_receipt(item: Receipt) -> None:
    data = item.to_json()
    stdout.print(
        f"{data['kind']} request by {data['subject']}, made {data['made']}, recorded"
        f" {data['recorded']} in entry {data['entry']} (tree size {data['proof']['tree_size']},"
        f" leaf {data['proof']['leaf_hash'][:16]}…)"
    )
    stdout.print("  keep this receipt: lineage receipt --json gives the inclusion proof")
    stdout.print("  against this signed checkpoint:")
    for line in item.proof.checkpoint.rstrip("\n").splitlines():
        stdout.print(f"    {line}")


@handle_errors
def erase(
    author: AuthorOption,
    requested_at: Annotated[
        str | None,
        typer.Option(
            "--requested-at",
            help="When the person asked (RFC 3339), if the request is not recorded yet"
            " [default: now].",
        ),
    ] = None,
    unchecked: Annotated[
        bool,
        typer.Option(
            "--unchecked",
            help="Erase an author the ledger declared before subjects carried a binding"
            " (their key cannot be checked against their id).",
        ),
    ] = False,
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Erase an author by crypto-shredding.

    Record their erasure request (if it is not yet), print its receipt, append a signed
    erasure statement (its time, never whom), and delete the author's key and id
    bindings. The ledger still verifies."""
    at = parse_time(requested_at, "--requested-at") if requested_at else None
    with open_ledger(db) as ledger:
        log_key = ledger.load_log_key(key_directory(keys_dir, db))
        result = erase_author(ledger, log_key, author, at, unchecked=unchecked)
    if json_out:
        print_json(result.to_json())
        return
    if not result.erased:
        stdout.print(
            f"nothing erased: no author {author!r} in the key tables (already erased, or never"
            " recorded)"
        )
        return
    assert result.receipt is not None
    _print_receipt(result.receipt)
    if not result.key_checked:
        stdout.print(
            "note: erased --unchecked: the ledger declared this author before subjects"
            " carried a binding, so the key was not checked against the author id"
        )
    stdout.print(
        f"erased: the author's key and id bindings are deleted; erasure statement in entry"
        f" {result.erasure_entry}. Their pseudonyms stay in the ledger, linked to no one."
    )


@handle_errors
def receipt(author: AuthorOption, db: DbOption = None, json_out: JsonOption = False) -> None:
    """An author's objection and erasure requests, with proofs.

    Each request's entry comes with its inclusion proof against the latest signed
    checkpoint: evidence the person can keep."""
    with open_ledger(db, read_only=True) as ledger:
        found = receipts(ledger, author)
    if json_out:
        print_json({"receipts": [r.to_json() for r in found]})
        return
    if not found:
        stdout.print(f"no objection or erasure request recorded for {author!r}")
        return
    for item in found:
        _print_receipt(item)
