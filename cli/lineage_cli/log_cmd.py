"""Commands over the log: init, sign, append, verify, entry, proof, consistency, checkpoint."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.encoding import b64
from lineage.crypto.keys import SigningKey
from lineage.crypto.merkle.nodes import MAX_TREE_SIZE
from lineage.crypto.note import MAX_NOTE_BYTES, verifier_key
from lineage.errors import InputError
from lineage.ingest.jsonl import non_empty, read_envelopes
from lineage.ingest.statements import sign_statement_file
from lineage.ledger.log import AppendResult, Ledger, checkpoint_of
from lineage.ledger.verify import verify_ledger
from lineage.model.batch import envelope_line
from lineage_cli.common import (
    EXIT_FAILED,
    AllowEmptyOption,
    DbOption,
    JsonOption,
    KeysDirOption,
    QuorumOption,
    WitnessOption,
    handle_errors,
    key_directory,
    open_ledger,
    print_json,
    progress_bar,
    read_text_option,
    report_witnesses,
    stdout,
    verifier_key_option,
    witness_policy,
)


def register(app: typer.Typer) -> None:
    """Add the log commands (init, sign, append, verify, entry, proof, consistency,
    checkpoint) to ``app``."""
    for command in (init, sign, append, verify, entry, proof, consistency, checkpoint):
        app.command()(command)


@handle_errors
def init(
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    key_name: Annotated[str, typer.Option("--key", help="Name of the log/admin key.")] = "admin",
    origin: Annotated[str | None, typer.Option(help="Log origin line of checkpoints.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Create a ledger and its log/admin key (reused if the key file exists)."""
    keys = key_directory(keys_dir, db)
    created_key = not keys.exists(key_name)
    log_key = keys.create(key_name) if created_key else keys.load(key_name)
    ledger = Ledger.create(db, log_key, origin)
    try:
        note = ledger.latest_checkpoint()
        result = {
            "store": ledger.store.url,
            "origin": ledger.origin,
            "log_key": log_key.name,
            "log_keyid": log_key.keyid,
            "key_file": str(keys.file_for(key_name)),
            "key_created": created_key,
            "verifier_key": verifier_key(ledger.origin, log_key.public),
        }
    finally:
        ledger.close()
    if json_out:
        print_json(result)
        return
    stdout.print(f"initialised ledger {result['store']} (origin {result['origin']})")
    made = "created" if created_key else "reused"
    stdout.print(f"log key {key_name!r} {made}: {result['key_file']} (key id {log_key.keyid})")
    stdout.print(f"verifier key: {result['verifier_key']}")
    stdout.print(f"first checkpoint:\n{note}", end="")


@handle_errors
def sign(
    statement_file: Annotated[
        Path, typer.Argument(help="in-toto Statement v1 JSON file.", metavar="STATEMENT.json")
    ],
    key: Annotated[str, typer.Option("--key", help="Name of the signing key.")],
    keys_dir: KeysDirOption = None,
    db: DbOption = None,
) -> None:
    """Wrap an in-toto Statement in a signed DSSE envelope (one JSON line on stdout)."""
    envelope = sign_statement_file(statement_file, key_directory(keys_dir, db).load(key))
    typer.echo(envelope_line(envelope).decode())


@handle_errors
def append(
    source: Annotated[
        str,
        typer.Argument(help="JSON Lines of DSSE envelopes, or - for stdin.", metavar="FILE.jsonl"),
    ],
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    allow_empty: AllowEmptyOption = False,
    json_out: JsonOption = False,
) -> None:
    """Append signed envelopes atomically, with a new signed checkpoint.

    An input with no envelope is an error unless --allow-empty is given."""
    with open_ledger(db) as ledger:
        log_key = ledger.load_log_key(key_directory(keys_dir, db))
        if source == "-":
            result = _append_stream(
                ledger, log_key, sys.stdin.buffer, "<stdin>", None, allow_empty, json_out
            )
        else:
            path = Path(source)
            with path.open("rb") as handle:
                total = path.stat().st_size
                result = _append_stream(
                    ledger, log_key, handle, source, total, allow_empty, json_out
                )
    summary = {
        "added": result.added,
        "duplicates": result.duplicates,
        "size": result.size,
        "checkpoint": result.checkpoint,
        "witnesses": [w.to_json() for w in result.witnesses],
    }
    if json_out:
        print_json(summary)
        return
    stdout.print(
        f"appended {result.added} entries ({result.duplicates} already present);"
        f" log size {result.size}"
    )
    report_witnesses(result.witnesses)


def _append_stream(
    ledger: Ledger,
    log_key: SigningKey,
    stream: BinaryIO,
    name: str,
    total: int | None,
    allow_empty: bool,
    json_out: bool,
) -> AppendResult:
    with progress_bar("appending", total, not json_out) as advance:
        envelopes = non_empty(read_envelopes(stream, name, advance))
        if envelopes is None:
            if not allow_empty:
                raise InputError("no envelopes", location=name)
            return AppendResult(0, 0, ledger.size(), None)
        return ledger.append(envelopes, log_key)


@handle_errors
def verify(
    db: DbOption = None,
    since: Annotated[
        Path | None,
        typer.Option(
            help="A checkpoint you kept: prove the log extends it.", metavar="CHECKPOINT_FILE"
        ),
    ] = None,
    log_key: Annotated[
        str | None, typer.Option(help="Pin the log's verifier key (NAME+HASH+KEY).")
    ] = None,
    seal: Annotated[
        bool,
        typer.Option(
            "--seal",
            help="If everything verifies, seal the signer registry the log replays with"
            " the log key (needed once by a ledger written before seals).",
        ),
    ] = False,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Re-derive and check everything: signatures, authorisations, tree, checkpoints
    (and, with --witness, the latest checkpoint's cosignatures)."""
    policy = witness_policy(witness, quorum)
    pinned = verifier_key_option(log_key, "--log-key") if log_key else None
    since_note = read_text_option(since, "--since", MAX_NOTE_BYTES) if since else None
    with (
        open_ledger(db, read_only=not seal) as ledger,
        progress_bar("verifying", ledger.size(), not json_out) as tick,
    ):
        signing_key = ledger.load_log_key(key_directory(keys_dir, db)) if seal else None
        report = verify_ledger(
            ledger.store,
            pinned_key=pinned,
            since_note=since_note,
            witness_policy=policy,
            progress=tick,
        )
        sealed = False
        if signing_key is not None and report.ok:
            ledger.seal_verified(signing_key, report)
            report.sealed = sealed = True
    if json_out:
        print_json(report.to_json())
    elif report.ok:
        stdout.print(
            f"verified: {report.entries_checked} entries, {report.nodes_checked} tree"
            f" nodes, {report.checkpoints_checked} checkpoints; root"
            f" {b64(report.root)} at size {report.size}"
        )
        if report.cosignatures is not None:
            names = ", ".join(c.witness for c in report.cosignatures) or "none needed"
            stdout.print(f"witnessed: {len(report.cosignatures)} cosignature(s) ({names})")
        if sealed:
            stdout.print(
                f"sealed the signer registry ({len(report.registry)} keys) at size {report.size}"
            )
        elif not report.sealed and report.size:
            stdout.print(
                "the signer registry has no seal: run lineage verify --seal to append again"
            )
    else:
        for problem in report.problems:
            typer.echo(f"FAIL {problem}", err=True)
        typer.echo(f"verification failed: {len(report.problems)} problem(s)", err=True)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


_SizeOption = Annotated[
    int | None,
    typer.Option(
        "--size",
        help="Against the checkpoint of this tree size [default: the latest].",
        min=0,
        max=MAX_TREE_SIZE,
        metavar="N",
    ),
]


@handle_errors
def proof(
    entry: Annotated[int, typer.Argument(help="Entry index.", metavar="ENTRY")],
    size: _SizeOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Inclusion proof of an entry against a signed checkpoint (hashes in base64; the
    checkpoint with its witness cosignatures); with --witness, exits 1 unless enough of
    them are valid."""
    policy = witness_policy(witness, quorum)
    with open_ledger(db, read_only=True) as ledger:
        result = ledger.inclusion_proof(entry, size)
    counted = policy.check(result.checkpoint) if policy is not None else None
    if json_out:
        out = result.to_json()
        if counted is not None:
            out["cosignatures"] = [c.to_json() for c in counted]
        print_json(out)
        return
    stdout.print(f"entry {result.index} of {result.size}, leaf hash {b64(result.leaf_hash)}")
    _print_hashes(result.hashes)
    stdout.print(f"against checkpoint:\n{result.checkpoint}", end="")


def _print_hashes(hashes: list[bytes]) -> None:
    """A proof's hashes, one a line, numbered, in base64."""
    for position, value in enumerate(hashes):
        stdout.print(f"  [{position}] {b64(value)}")


@handle_errors
def consistency(
    old: Annotated[
        int,
        typer.Argument(
            help="The older checkpoint's tree size.", metavar="OLD", min=0, max=MAX_TREE_SIZE
        ),
    ],
    new: Annotated[
        int | None,
        typer.Argument(
            help="The newer checkpoint's tree size [default: the latest].",
            metavar="NEW",
            min=0,
            max=MAX_TREE_SIZE,
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """RFC 9162 consistency proof between two signed checkpoints (hashes in base64)."""
    with open_ledger(db, read_only=True) as ledger:
        result = ledger.consistency(old, new)
    if json_out:
        print_json(result.to_json())
        return
    stdout.print(f"the tree of {result.old_size} entries is a prefix of {result.new_size}")
    _print_hashes(result.hashes)
    stdout.print(f"old checkpoint:\n{result.old_checkpoint}", end="")
    stdout.print(f"new checkpoint:\n{result.new_checkpoint}", end="")


@handle_errors
def entry(
    index: Annotated[int, typer.Argument(help="Entry index.", metavar="ENTRY")],
    db: DbOption = None,
    edges: Annotated[
        bool,
        typer.Option(
            "--edges",
            help="List a Lineage/v2 entry's nodes and edges instead, each with its position"
            " and its path to the batch root the entry signs (one JSON object a line).",
        ),
    ] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print index, leaf hash (base64) and the envelope as one JSON object"
            " (with --edges: a JSON list).",
        ),
    ] = False,
) -> None:
    """The envelope of an entry exactly as hashed into the log (one line of RFC 8785 JSON)."""
    with open_ledger(db, read_only=True) as ledger:
        if edges:
            items = ledger.entry_items(index)
        else:
            found = ledger.entry(index)
    if edges:
        if json_out:
            print_json([item.to_json() for item in items])
        else:
            for item in items:
                typer.echo(canonical_bytes(item.to_json()).decode())
        return
    if json_out:
        print_json(found.to_json())
        return
    sys.stdout.buffer.write(found.body + b"\n")
    sys.stdout.buffer.flush()


@handle_errors
def checkpoint(
    db: DbOption = None,
    size: Annotated[
        int | None,
        typer.Option(
            help="An earlier checkpoint, by tree size.", min=0, max=MAX_TREE_SIZE, metavar="N"
        ),
    ] = None,
    list_sizes: Annotated[
        bool, typer.Option("--list", help="List the tree sizes that have a checkpoint.")
    ] = False,
    show_key: Annotated[
        bool, typer.Option("--verifier-key", help="Print the log's verifier key instead.")
    ] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the checkpoint as JSON: note, origin, size, root (base64),"
            " root_hex and verifier_key (with --list: a list of sizes).",
        ),
    ] = False,
) -> None:
    """Print the latest signed checkpoint exactly as a third party would store it, with
    its witness cosignatures."""
    if sum((size is not None, list_sizes, show_key)) > 1:
        raise InputError("give at most one of --size, --list and --verifier-key")
    with open_ledger(db, read_only=True) as ledger:
        key = verifier_key(ledger.origin, ledger.log_public_key)
        if list_sizes:
            _print_sizes((found for found, _ in ledger.store.checkpoints()), json_out)
            return
        if show_key:
            if json_out:
                print_json({"verifier_key": key})
            else:
                typer.echo(key)
            return
        note = ledger.store.checkpoint_at(size) if size is not None else ledger.latest_checkpoint()
        if note is None:
            raise InputError(
                f"no checkpoint at size {size}" if size is not None else "no checkpoint"
            )
        parsed = checkpoint_of(note)
    if not json_out:
        sys.stdout.write(note)
        return
    print_json(
        {
            "note": note,
            "origin": parsed.origin,
            "size": parsed.size,
            "root": b64(parsed.root),
            "root_hex": parsed.root.hex(),
            "verifier_key": key,
        }
    )


def _print_sizes(sizes: Iterator[int], json_out: bool) -> None:
    if json_out:
        print_json(list(sizes))
        return
    for size in sizes:
        typer.echo(str(size))
