"""``lineage tiles export``, ``lineage serve --tiles``, ``lineage witness ...`` and
``lineage monitor``: the log published, witnessed and followed."""

from __future__ import annotations

import os
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import typer

from lineage import __version__
from lineage.errors import CheckpointError, InputError
from lineage.ledger.witnesses import (
    Witness,
    add_witness,
    load_witnesses,
    remove_witness,
    sync_witnesses,
)
from lineage.report.server import UiPages, UiServer
from lineage.transparency.export import plan_export, write_export
from lineage.transparency.monitor import MonitorState, monitor_once, new_state
from lineage.transparency.serve import TileServer, is_loopback
from lineage_cli.common import (
    EXIT_FAILED,
    DbOption,
    JsonOption,
    QuorumOption,
    WitnessOption,
    fail,
    handle_errors,
    open_ledger,
    print_json,
    progress_bar,
    read_text_option,
    stdout,
    witness_policy,
)

tiles_app = typer.Typer(
    help="Publish the log as c2sp.org/tlog-tiles.", no_args_is_help=True, rich_markup_mode=None
)
witness_app = typer.Typer(
    help="The witnesses that cosign this log's checkpoints (c2sp.org/tlog-witness).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add ``tiles``, ``serve``, ``witness`` and ``monitor`` to ``app``."""
    app.add_typer(tiles_app, name="tiles")
    app.add_typer(witness_app, name="witness")
    app.command()(serve)
    app.command()(monitor)


@tiles_app.command("export")
@handle_errors
def tiles_export(
    directory: Annotated[
        Path, typer.Argument(help="Where to write (created if missing).", metavar="DIR")
    ],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Write the checkpoint, hash tiles and entry bundles under DIR, only what changed
    since the last export there: a static web server or object store can serve DIR."""
    with open_ledger(db, read_only=True) as ledger:
        plan = plan_export(ledger, directory)
        with progress_bar("exporting tiles", len(plan.tiles), not json_out) as tick:
            result = write_export(ledger, directory, plan, tick)
    if json_out:
        print_json(result.to_json())
        return
    stdout.print(
        f"exported {result.files} files ({result.bytes:,} bytes) to {directory}: the log of"
        f" {result.size} entries (previous export: {result.old_size})"
    )


@handle_errors
def serve(
    tiles: Annotated[
        bool, typer.Option("--tiles", help="Serve the log as c2sp.org/tlog-tiles.")
    ] = False,
    ui: Annotated[
        bool,
        typer.Option(
            "--ui",
            help="Serve the auditor's pages: search, artifacts, steps, posts, authors,"
            " paths, proof and bundle downloads.",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one).", min=0, max=65535)] = 8080,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Allow listening on a non-loopback address."),
    ] = False,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="With --ui off loopback: a file holding the token readers must present"
            " (Bearer header, or ?token= once); LINEAGE_UI_TOKEN works too.",
            metavar="FILE",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the log read-only over HTTP (127.0.0.1 by default) until interrupted."""
    if tiles == ui:
        raise InputError("say what to serve: --tiles or --ui (one of them)")
    if not is_loopback(host) and not allow_remote:
        raise InputError(f"{host} is not a loopback address: add --allow-remote to listen there")
    if ui:
        _serve_ui(host, port, _ui_token(host, token_file), db)
        return
    with open_ledger(db, read_only=True) as ledger:
        server = TileServer(ledger, host, port, lambda line: typer.echo(line, err=True))
        url = f"http://{host}:{server.server_port}/"
        typer.echo(f"serving {ledger.origin} as tiles on {url}", err=True)
        _serve_until_interrupted(server)


MIN_TOKEN_LENGTH = 16
MAX_TOKEN_BYTES = 1024


def _ui_token(host: str, token_file: Path | None) -> str | None:
    """The token guarding the pages: required off loopback, refused if short."""
    if token_file is not None:
        token = read_text_option(token_file, "--token-file", MAX_TOKEN_BYTES).strip()
    else:
        token = os.environ.get("LINEAGE_UI_TOKEN", "").strip()
    if not token:
        if not is_loopback(host):
            raise InputError(
                f"{host} is not a loopback address: --ui there needs a token"
                " (--token-file FILE or LINEAGE_UI_TOKEN)"
            )
        return None
    if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        raise InputError(
            f"the token must be at least {MIN_TOKEN_LENGTH} printable ASCII characters"
        )
    return token


def _serve_ui(host: str, port: int, token: str | None, db: str | None) -> None:
    with open_ledger(db, read_only=True) as ledger:
        server = UiServer(
            UiPages(ledger, __version__), host, port, lambda line: typer.echo(line, err=True), token
        )
        guarded = " (token required)" if token else ""
        typer.echo(
            f"serving {ledger.origin}'s pages on http://{host}:{server.server_port}/{guarded}",
            err=True,
        )
        _serve_until_interrupted(server)


def _serve_until_interrupted(server: ThreadingHTTPServer) -> None:
    """Answer requests until Ctrl-C, then release the port."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


_NameArgument = Annotated[str, typer.Argument(help="The witness's name.", metavar="NAME")]


@witness_app.command("add")
@handle_errors
def witness_add(
    name: _NameArgument,
    url: Annotated[str, typer.Argument(help="Its submission prefix (http[s]://…).", metavar="URL")],
    vkey: Annotated[
        str, typer.Argument(help="Its verifier key (NAME+HASH+BASE64).", metavar="VERIFIER_KEY")
    ],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Register a witness and send it the latest checkpoint."""
    with open_ledger(db) as ledger:
        add_witness(ledger.store, name, url, vkey)
        state = sync_witnesses(ledger.store, [name])[0]
    _report([state], json_out)


@witness_app.command("list")
@handle_errors
def witness_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """The registered witnesses, each with the size it last cosigned and its last answer."""
    with open_ledger(db, read_only=True) as ledger:
        witnesses = list(load_witnesses(ledger.store).values())
        size = ledger.size()
    if json_out:
        print_json([w.to_json() for w in witnesses])
        return
    if not witnesses:
        stdout.print("no witnesses (add one with: lineage witness add NAME URL VERIFIER_KEY)")
    for witness in witnesses:
        stdout.print(_line(witness, size))


@witness_app.command("remove")
@handle_errors
def witness_remove(name: _NameArgument, db: DbOption = None) -> None:
    """Unregister a witness (cosignatures it gave stay with their checkpoints)."""
    with open_ledger(db) as ledger:
        removed = remove_witness(ledger.store, name)
    stdout.print(f"removed witness {removed.name} ({removed.url})")


@witness_app.command("sync")
@handle_errors
def witness_sync(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Only these witnesses [default: all].", metavar="[NAME]..."),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Send the latest checkpoint (with a consistency proof) to the witnesses now.
    Exits 1 if any refused or could not be reached."""
    with open_ledger(db) as ledger:
        states = sync_witnesses(ledger.store, names or None)
    _report(states, json_out)


def _report(states: list[Witness], json_out: bool) -> None:
    if json_out:
        print_json([w.to_json() for w in states])
    else:
        for witness in states:
            stdout.print(_line(witness, None))
    if any(w.status != "cosigned" for w in states):
        raise typer.Exit(EXIT_FAILED)


def _line(witness: Witness, size: int | None) -> str:
    behind = f" (the log has {size})" if size is not None and witness.size != size else ""
    text = f"{witness.name} {witness.url}: {witness.status}, cosigned size {witness.size}{behind}"
    return f"{text}: {witness.error}" if witness.error else text


@handle_errors
def monitor(
    url: Annotated[str, typer.Argument(help="The log's tile prefix (http[s]://…).", metavar="URL")],
    state: Annotated[
        Path,
        typer.Option("--state", help="Where the monitor keeps what it verified.", metavar="FILE"),
    ],
    log_key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key (needed the first time; kept in the state)."),
    ] = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep polling.")] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between polls with --follow.", min=0.1, max=86400)
    ] = 30.0,
    json_out: JsonOption = False,
) -> None:
    """Follow a published log: verify its checkpoint extends the one kept in FILE and
    every new entry's signature and authorisation, from the tiles alone. Exits 1 on
    any inconsistency the log key signed, or a checkpoint without the --witness quorum
    (the state is then left as it was); with --follow, a read error or a missing
    cosignature is retried at the next poll."""
    policy = witness_policy(witness, quorum)
    current = _monitor_state(url, state, log_key)
    while True:
        try:
            with progress_bar("verifying entries", None, not json_out) as tick:
                current, result = monitor_once(current, policy, tick)
        except (InputError, CheckpointError) as exc:
            if not follow:
                raise
            typer.echo(f"error: {exc} (retrying)", err=True)
        else:
            current.save(state)
            if json_out:
                print_json(result.to_json())
            else:
                witnessed = f", {len(result.cosignatures)} cosignature(s)" if policy else ""
                stdout.print(
                    f"{result.origin}: consistent at {result.size} entries (was"
                    f" {result.old_size}); {result.entries_verified} new entries verified"
                    f"{witnessed}"
                )
        if not follow:
            return
        time.sleep(interval)


def _monitor_state(url: str, path: Path, log_key: str | None) -> MonitorState:
    if path.exists():
        kept = MonitorState.load(path)
        if kept.url != url.rstrip("/"):
            raise fail(f"{path} follows {kept.url}, not {url}")
        if log_key is not None and new_state(url, log_key).log_key != kept.log_key:
            raise fail(f"--log-key differs from the log key kept in {path}")
        return kept
    if log_key is None:
        raise fail("--log-key: missing (the first run needs the log's verifier key)")
    return new_state(url, log_key)
