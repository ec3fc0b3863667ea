"""Options shared by many commands, output helpers and the error-to-exit-code mapping."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from lineage.crypto.keys import KeyDirectory, PublicKey
from lineage.crypto.note import parse_verifier_key
from lineage.errors import InputError, LineageError, VerificationError
from lineage.ledger.log import Ledger
from lineage.store import URL_ENV

KEYS_DIR_ENV = "LINEAGE_KEYS_DIR"
DEBUG_ENV = "LINEAGE_DEBUG"
DEFAULT_KEYS_DIR = "./lineage-keys"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar=URL_ENV, help="Store URL [default: sqlite:///./lineage.db]."),
]
KeysDirOption = Annotated[
    Path,
    typer.Option("--keys-dir", envvar=KEYS_DIR_ENV, help="Directory of private key files."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]

P = ParamSpec("P")
R = TypeVar("R")

_WIDTH_WHEN_PIPED = 160
stdout = Console(
    highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else _WIDTH_WHEN_PIPED
)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: message`` on stderr; return the Exit (with ``code``) to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into one line on stderr and the documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except VerificationError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
        except LineageError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or exc}", EXIT_USAGE) from None
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            raise fail(
                f"internal error ({type(exc).__name__}: {exc}); set {DEBUG_ENV}=1 for a traceback",
                EXIT_USAGE,
            ) from None

    return wrapper


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON with sorted keys on stdout."""
    typer.echo(json.dumps(value, indent=2, sort_keys=True))


def key_directory(path: Path) -> KeyDirectory:
    """The key directory at ``path`` (the ``--keys-dir`` option)."""
    return KeyDirectory(path)


@contextmanager
def open_ledger(db: str | None, *, read_only: bool = False) -> Iterator[Ledger]:
    """Open the ledger at store URL ``db`` for the ``with`` block, closing it after."""
    ledger = Ledger.open(db, read_only=read_only)
    try:
        yield ledger
    finally:
        ledger.close()


def show_progress(enabled: bool) -> bool:
    """Whether to draw progress: asked for, stderr a terminal and LINEAGE_NO_PROGRESS unset."""
    return enabled and sys.stderr.isatty() and not os.environ.get("LINEAGE_NO_PROGRESS")


@contextmanager
def progress_bar(label: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (only on a terminal); yields an ``advance(n)`` callback."""
    if not show_progress(enabled):
        yield lambda n: None
        return
    columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn()]
    columns += [MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=stderr, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def read_text_option(path: Path, option: str, limit: int) -> str:
    """The UTF-8 text of the file an option names, at most ``limit`` bytes; bad input
    is one line naming the option and the file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}", field=option) from exc
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit} bytes", field=option)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text", field=option) from exc


def verifier_key_option(text: str, option: str) -> PublicKey:
    """The public key of a C2SP verifier key given as an option (bad usage, not a failed
    verification, if it is not one)."""
    try:
        return parse_verifier_key(text)[1]
    except LineageError as exc:
        raise InputError(str(exc), field=option) from exc
