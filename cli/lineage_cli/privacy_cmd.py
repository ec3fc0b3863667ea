"""``lineage erase`` and ``lineage receipt``: a person's erasure and their evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.note import MAX_NOTE_BYTES
from lineage.errors import InputError
from lineage.evidence.build import receipts_bundle
from lineage.ledger.erasure import Receipt, erase_author, receipt_by_id, receipts, target_receipts
from lineage.model.requests import DELETION
from lineage.model.times import parse_time
from lineage.query.plan import Plan, remediation_plan
from lineage.query.resolve import resolve, resolve_post
from lineage_cli.common import (
    DbOption,
    JsonOption,
    KeysDirOption,
    SinceOption,
    fail,
    handle_errors,
    key_directory,
    open_ledger,
    print_json,
    print_plan,
    read_text_option,
    stdout,
    write_file_whole,
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
    answered = f", answered by the erasure in entry {item.answered_by}" if item.answered_by else ""
    stdout.print(
        f"receipt {data['id']}: {data['kind']} request about {data['subject']}, made"
        f" {data['made']}, recorded {data['recorded']} in entry {data['entry']}{answered}"
        f" (tree size {data['proof']['tree_size']}, leaf {data['proof']['leaf_hash']})"
    )
    stdout.print(
        f"  keep the receipt id: lineage receipt --id {data['id']} finds it again, also after"
        " the erasure; --bundle FILE writes evidence anyone can check offline"
    )
    stdout.print("  proven against this signed checkpoint:")
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
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Erase without asking (for scripts).")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the remediation plan only; erase nothing."),
    ] = False,
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Erase an author by crypto-shredding.

    Shows the remediation plan (what holds their posts: shards to rebuild, models to
    retrain) and asks for confirmation; then records their erasure request (if it is not
    yet), appends a signed erasure statement (its time, never whom), deletes the author's
    key and id bindings, and prints the receipt and its id. The ledger still verifies."""
    at = parse_time(requested_at, "--requested-at") if requested_at else None
    if yes and dry_run:
        raise InputError("give --yes or --dry-run, not both")
    with open_ledger(db, read_only=dry_run) as ledger:
        log_key = None if dry_run else ledger.load_log_key(key_directory(keys_dir, db))
        try:
            plan = remediation_plan(ledger.store, resolve(ledger, author=author))
        except InputError:
            plan = None  # no such author (any more): erase says so, and finishes a crashed run
        if dry_run:
            _dry_run(author, plan, json_out)
            return
        if plan is not None and not yes:
            stdout.print(f"erasing {author!r}; their pseudonyms stay in what was built before:")
            print_plan(plan)
            _confirm(author)
        assert log_key is not None
        result = erase_author(ledger, log_key, author, at, unchecked=unchecked)
    if json_out:
        print_json({**result.to_json(), "plan": plan.to_json() if plan else None})
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
    if plan is not None and yes:
        print_plan(plan)


def _dry_run(author: str, plan: Plan | None, json_out: bool) -> None:
    if json_out:
        print_json({"erased": False, "dry_run": True, "plan": plan.to_json() if plan else None})
    elif plan is None:
        stdout.print(f"nothing to erase: no author {author!r} in the key tables")
    else:
        stdout.print(f"erasing {author!r} (dry run: nothing is erased); what holds their posts:")
        print_plan(plan)


def _confirm(author: str) -> None:
    """Ask before erasing (a script says --yes)."""
    try:
        agreed = typer.confirm(f"erase {author!r} now? This cannot be undone", default=False)
    except typer.Abort:
        agreed = False
    if not agreed:
        raise fail("nothing erased (not confirmed; --yes erases without asking)")


@handle_errors
def receipt(
    author: Annotated[
        str | None,
        typer.Option(
            "--author", help="A platform author id: their objection and erasure requests."
        ),
    ] = None,
    post: Annotated[
        str | None,
        typer.Option("--post", help="A post (post:… or its platform id): its deletion requests."),
    ] = None,
    receipt_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="A receipt id (ENTRY:POSITION, as erase printed it): found without naming"
            " anyone, also after the erasure.",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            help="Also write the receipts as an evidence bundle anyone can check offline"
            " (lineage verify-bundle).",
            metavar="FILE",
        ),
    ] = None,
    since: SinceOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Receipts of recorded requests, with proofs.

    An author's objection and erasure requests (--author), a post's deletion requests
    (--post), or one receipt by its id (--id). Each request's entry comes with its
    inclusion proof against the latest signed checkpoint: evidence the person can keep."""
    if sum(v is not None for v in (author, post, receipt_id)) != 1:
        raise InputError("give one of --author, --post and --id")
    kept = read_text_option(since, "--since", MAX_NOTE_BYTES) if since else None
    if kept is not None and bundle is None:
        raise InputError("--since adds a proof to a bundle: give --bundle FILE too")
    with open_ledger(db, read_only=True) as ledger:
        if author is not None:
            found, what = receipts(ledger, author), repr(author)
        elif post is not None:
            target = resolve_post(ledger, post)
            found, what = target_receipts(ledger, target, (DELETION,)), target
        else:
            assert receipt_id is not None
            found = [receipt_by_id(ledger, receipt_id)]
            what = f"receipt {receipt_id}"
        document = None
        if bundle is not None and found:
            document = receipts_bundle(ledger, found[0].request.target, found, kept)
    if document is not None and bundle is not None:
        write_file_whole(bundle, canonical_bytes(document) + b"\n")
    if json_out:
        print_json(
            {"receipts": [r.to_json() for r in found], "bundle": str(bundle) if bundle else None}
        )
        return
    if not found:
        stdout.print(f"no request recorded for {what}")
        return
    for item in found:
        _print_receipt(item)
    if document is not None:
        stdout.print(f"bundle written: {bundle}")
