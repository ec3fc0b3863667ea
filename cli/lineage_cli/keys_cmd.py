"""``lineage keys``: create, register, revoke and list signer keys."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from lineage.crypto.keys import PublicKey, load_public_key_file
from lineage.errors import InputError
from lineage.model.times import format_time, now, parse_time
from lineage_cli.common import (
    DbOption,
    JsonOption,
    KeysDirOption,
    handle_errors,
    key_directory,
    open_ledger,
    print_json,
    print_rows,
    stdout,
)

app = typer.Typer(help="Create, register, revoke and list signer keys.", no_args_is_help=True)


def _time_option(value: str | None, field: str) -> datetime | None:
    return parse_time(value, field) if value is not None else None


@app.command("new")
@handle_errors
def new(
    name: Annotated[str, typer.Argument(help="Key name (file NAME.pem in the keys directory).")],
    keys_dir: KeysDirOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create an Ed25519 key (PKCS#8 PEM, mode 0600; LINEAGE_KEY_PASSPHRASE encrypts it)."""
    keys = key_directory(keys_dir, db)
    key = keys.create(name)
    if json_out:
        print_json({"name": name, "keyid": key.keyid, "file": str(keys.file_for(name))})
        return
    stdout.print(key.keyid)


@app.command("register")
@handle_errors
def register(
    name: Annotated[str, typer.Argument(help="Key name.")],
    steps: Annotated[str, typer.Option(help="Comma-separated step names it may sign for.")],
    valid_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Valid from (RFC 3339) [default: the beginning of time, so a pipeline can"
            " replay older events].",
        ),
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--until", help="Valid until (RFC 3339).")
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="Public key PEM, for a key held elsewhere.")
    ] = None,
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Register a key for steps (a statement signed by the admin key). Registering a
    registered key again replaces its steps and validity window from then on."""
    step_list = [s.strip() for s in steps.split(",") if s.strip()]
    if not step_list:
        raise InputError("--steps must name at least one step")
    public: PublicKey = (
        load_public_key_file(public_key)
        if public_key
        else key_directory(keys_dir, db).load_public(name)
    )
    with open_ledger(db) as ledger:
        log_key = ledger.load_log_key(key_directory(keys_dir, db))
        entry = ledger.register_key(
            log_key,
            name,
            public,
            step_list,
            _time_option(valid_from, "--from"),
            _time_option(valid_until, "--until"),
        )
    if json_out:
        print_json({"name": name, "keyid": public.keyid, "steps": step_list, "entry": entry})
        return
    stdout.print(
        f"registered {name!r} ({public.keyid}) for {', '.join(step_list)} in entry {entry}"
    )


@app.command("revoke")
@handle_errors
def revoke(
    name: Annotated[str, typer.Argument(help="Key name.")],
    at: Annotated[
        str | None, typer.Option("--at", help="Distrusted from (RFC 3339) [default: now].")
    ] = None,
    db: DbOption = None,
    keys_dir: KeysDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Revoke a key from a time on (a statement signed by the admin key)."""
    revoked_at = _time_option(at, "--at") or now()
    with open_ledger(db) as ledger:
        log_key = ledger.load_log_key(key_directory(keys_dir, db))
        signer = ledger.revoke_key(log_key, name, revoked_at)
        entry = signer.revoked_in
    if json_out:
        print_json(
            {
                "name": name,
                "keyid": signer.keyid,
                "revoked_at": format_time(revoked_at),
                "entry": entry,
            }
        )
        return
    stdout.print(
        f"revoked {name!r} ({signer.keyid}) from {format_time(revoked_at)} in entry {entry}"
    )


@app.command("list")
@handle_errors
def list_keys(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List registered keys, their steps, validity and status."""
    with open_ledger(db, read_only=True) as ledger:
        signers = ledger.store.signers()
    moment = now()
    if json_out:
        print_json([{**s.to_json(), "status": s.status_at(moment)} for s in signers])
        return
    columns = ["name", "key id", "steps", "valid from", "valid until", "revoked at", "status"]
    rows = [
        [
            s.name,
            s.keyid,
            ", ".join(s.steps),
            format_time(s.valid_from),
            format_time(s.valid_until) if s.valid_until else "",
            format_time(s.revoked_at) if s.revoked_at else "",
            s.status_at(moment),
        ]
        for s in signers
    ]
    print_rows("keys", columns, rows)
