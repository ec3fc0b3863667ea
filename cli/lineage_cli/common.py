"""Options shared by many commands, output helpers and the error-to-exit-code mapping."""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

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
from rich.table import Table
from rich.text import Text

from lineage.crypto.cosignature import WitnessPolicy
from lineage.crypto.keys import KeyDirectory, PublicKey
from lineage.crypto.note import parse_verifier_key
from lineage.errors import InputError, LineageError, OutOfRangeError, VerificationError
from lineage.files import write_whole
from lineage.ledger.log import Ledger
from lineage.ledger.reveal import MAX_REVEALED, RevealResult, reveal
from lineage.ledger.witnesses import Witness
from lineage.model.graph import KIND_OF_PREFIX
from lineage.model.rows import NodeRow
from lineage.query.nodes import authors
from lineage.query.plan import Plan
from lineage.store import URL_ENV, default_keys_dir
from lineage.store.base import Store

if TYPE_CHECKING:
    from typer._click.globals import get_current_context
else:
    try:  # Typer 0.29 and later carry their own copy of click
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context

KEYS_DIR_ENV = "LINEAGE_KEYS_DIR"
DEBUG_ENV = "LINEAGE_DEBUG"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=URL_ENV,
        metavar="URL",
        help="Store URL [default: sqlite:///./lineage.db].",
    ),
]
KeysDirOption = Annotated[
    Path | None,
    typer.Option(
        "--keys-dir",
        envvar=KEYS_DIR_ENV,
        metavar="DIR",
        help="Private key files [default: lineage-keys beside a SQLite ledger's file, else"
        " ./lineage-keys].",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="ENGINE",
        help="What runs a lake store's graph queries: duckdb (in process) or spark"
        " (Spark SQL over the same Parquet parts; LINEAGE_SPARK_MASTER, default local[2]).",
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option("--allow-empty", help="Succeed, appending nothing, when the input is empty."),
]

P = ParamSpec("P")
R = TypeVar("R")

_WIDTH_WHEN_PIPED = 160


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (all but newline and tab) shown as U+FFFD: stored
    strings (drop reasons, names) must not drive the terminal."""
    return _CONTROL.sub("\ufffd", text)


class PipeConsole(Console):
    """A rich console that prints stored strings as they are (no markup, no control
    characters) and leaves a closed pipe to :func:`handle_errors` (rich would exit 1)."""

    def render_str(self, text: str, **options: Any) -> Text:
        """The text to draw for ``text``, control characters replaced."""
        return super().render_str(printable(text), **options)

    def on_broken_pipe(self) -> None:
        """Stop drawing and raise BrokenPipeError."""
        self.quiet = True
        raise BrokenPipeError


stdout = PipeConsole(
    markup=False,
    highlight=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else _WIDTH_WHEN_PIPED,
)
stderr = PipeConsole(stderr=True, markup=False, highlight=False, soft_wrap=True)


_FILE_NAMES = frozenset({"source"})
"""Parameters that name a file: they may hold any bytes the file system allows."""
MAX_SUGGESTED_NODES = 100_000
"""Node ids of one kind read to suggest a near miss for an id that is not in the ledger."""


def one_line(message: str) -> str:
    """``message`` with line breaks and other unprintable characters escaped."""
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in message)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: message`` (one line) on stderr; return the Exit (with ``code``) to raise."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return typer.Exit(code)


def silence_stdout() -> None:
    """Point stdout at /dev/null: its reader is gone, and what is still buffered must go
    somewhere when Python flushes it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into one line on stderr and the documented exit code; end
    quietly (exit 0) when the reader of stdout goes away (``lineage trace … | head``)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            check_text_parameters(kwargs)
            return command(*args, **kwargs)
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(EXIT_OK) from None
        except OutOfRangeError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
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


def check_text_parameters(values: dict[str, Any]) -> None:
    """Refuse a text option or argument that is not valid UTF-8 (bytes that are not UTF-8
    reach Python from argv and the environment as lone surrogates), naming it."""
    ctx = get_current_context(silent=True)
    if ctx is None:
        return
    for param in ctx.command.params:
        value = values.get(param.name or "")
        if isinstance(value, str) and param.name not in _FILE_NAMES and not is_unicode(value):
            raise InputError("is not valid UTF-8 text", field=parameter_name(param))


def is_unicode(text: str) -> bool:
    """Whether ``text`` has a UTF-8 form (holds no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def parameter_name(param: Any) -> str:
    """How the user writes a parameter: its long option, or an argument's metavar."""
    if param.param_type_name == "option" and param.opts:
        return str(max(param.opts, key=len))
    return str(param.metavar or (param.name or "").upper())


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON with sorted keys on stdout."""
    typer.echo(json.dumps(value, indent=2, sort_keys=True))


RevealOption = Annotated[
    str | None,
    typer.Option(
        "--reveal",
        metavar="PURPOSE",
        help="Also show the raw platform ids of the posts and authors shown (a privacy"
        " team's view): needs the log key; the reveal, with PURPOSE, is first logged in the"
        " ledger as a signed statement.",
    ),
]


def reveal_nodes(
    db: str | None, keys_dir: Path | None, nodes: list[str], purpose: str
) -> RevealResult:
    """Reveal the raw ids behind ``nodes`` (posts get their authors too), logged first."""
    with open_ledger(db) as ledger:
        log_key = ledger.load_log_key(key_directory(keys_dir, db))
        posts = [n for n in nodes if n.startswith("post:")]
        wanted = sorted({*nodes, *authors(ledger.store, posts).values()})
        if len(wanted) > MAX_REVEALED:
            raise InputError(
                f"{len(wanted):,} posts and authors to reveal: at most {MAX_REVEALED:,} at once"
            )
        return reveal(ledger, log_key, wanted, purpose)


def print_revealed(result: RevealResult) -> None:
    """The pseudonyms and the raw ids behind them, one a line."""
    stdout.print(f"revealed (logged in entry {result.entry}):")
    for node, found in sorted(result.revealed.items()):
        stdout.print(f"  {node}: {found.raw if found.raw is not None else '(' + found.why + ')'}")


def key_directory(path: Path | None, db: str | None) -> KeyDirectory:
    """The key directory given by ``--keys-dir``, else the one beside the store ``db``."""
    return KeyDirectory(path if path is not None else default_keys_dir(db))


@contextmanager
def open_ledger(
    db: str | None, *, read_only: bool = False, engine: str = "duckdb"
) -> Iterator[Ledger]:
    """Open the ledger at store URL ``db`` for the ``with`` block, closing it after
    (``engine``: what runs a lake store's graph queries)."""
    with closing_ledger(Ledger.open(db, read_only=read_only, engine=engine)) as ledger:
        yield ledger


@contextmanager
def closing_ledger(ledger: Ledger) -> Iterator[Ledger]:
    """``ledger`` for the ``with`` block, closed after; when the block failed, a failure to
    close (a server that went away) does not hide why it failed."""
    try:
        yield ledger
    except BaseException:
        with suppress(LineageError):
            ledger.close()
        raise
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


def read_bytes_option(path: Path, option: str, limit: int) -> bytes:
    """The bytes of the file an option names, at most ``limit``; bad input is one line
    naming the option and the file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}", field=option) from exc
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit} bytes", field=option)
    return data


def read_text_option(path: Path, option: str, limit: int) -> str:
    """The UTF-8 text of the file an option names, at most ``limit`` bytes; bad input
    is one line naming the option and the file."""
    data = read_bytes_option(path, option, limit)
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


MAX_SCANNED_NODES = 1_000_000
"""Nodes read at most (in id order, other kinds included) to find those suggestions."""
_NEAR = 0.75
"""How alike (difflib's ratio) a name must be to the one asked for to be suggested."""
_MISSING_NODE = "no node "
_NOT_IN_LEDGER = " in the ledger"


@contextmanager
def suggesting_nodes(ledger: Ledger) -> Iterator[None]:
    """In the block, a "no node X in the ledger" error names the nearest ids the ledger has."""
    try:
        yield
    except InputError as exc:
        better = with_suggestions(ledger.store, exc)
        if better is exc:
            raise
        raise better from exc


def with_suggestions(store: Store, error: InputError) -> InputError:
    """``error`` with "(did you mean …?)" if it is about a missing node and ids of the
    same kind are close to it; else ``error`` itself."""
    problem = error.problem
    if not (problem.startswith(_MISSING_NODE) and problem.endswith(_NOT_IN_LEDGER)):
        return error
    node_id = problem[len(_MISSING_NODE) : -len(_NOT_IN_LEDGER)]
    try:
        near = nearest_node_ids(store, node_id)
    except LineageError:
        return error
    if not near:
        return error
    hint = f"{problem} (did you mean {' or '.join(near)}?)"
    return InputError(hint, location=error.location, field=error.field)


def nearest_node_ids(store: Store, node_id: str, count: int = 3) -> list[str]:
    """Up to ``count`` ids of the kind of ``node_id`` that the ledger holds whose names
    are close to its name (difflib's ratio), best first, of the first
    :data:`MAX_SUGGESTED_NODES` of that kind."""
    prefix = node_id.partition(":")[0] + ":"
    if prefix not in KIND_OF_PREFIX:
        return []
    names: list[str] = []
    rows = store.iter_rows("nodes")
    for row in islice(rows, MAX_SCANNED_NODES):
        if not isinstance(row, NodeRow) or row.id < prefix:
            continue
        if not row.id.startswith(prefix) or len(names) >= MAX_SUGGESTED_NODES:
            break
        names.append(row.id[len(prefix) :])
    if isinstance(rows, Generator):
        rows.close()
    matcher = difflib.SequenceMatcher(b=node_id[len(prefix) :])
    scored: list[tuple[float, str]] = []
    for name in names:
        matcher.set_seq1(name)
        if matcher.real_quick_ratio() >= _NEAR and matcher.quick_ratio() >= _NEAR:
            score = matcher.ratio()
            if score >= _NEAR:
                scored.append((-score, name))
    return [prefix + name for _, name in sorted(scored)[:count]]


_LISTED_IDS = 5
"""Ids of one list printed in text (whole; ``--json`` lists every one)."""


def print_plan(plan: Plan) -> None:
    """Render a remediation plan: shards to rebuild, datasets superseded, models to retrain."""
    if not plan.shards:
        stdout.print("plan: nothing to rebuild (no shard holds it)")
        return
    stdout.print("plan:")
    for fix in plan.shards:
        stdout.print(f"- rebuild {fix.shard} (sha256 {fix.sha256}, {fix.records:,} records)")
        stdout.print(f"  remove {len(fix.remove):,} records:")
        for record in fix.remove[:_LISTED_IDS]:
            stdout.print(f"    {record}")
        if len(fix.remove) > _LISTED_IDS:
            stdout.print(f"    and {len(fix.remove) - _LISTED_IDS:,} more (--json lists all)")
        if fix.remediated_by:
            stdout.print(f"  already remediated: new version {', '.join(fix.remediated_by)}")
    for dataset in plan.datasets:
        newer = dataset["superseded_by"]
        stdout.print(
            f"superseded: {dataset['dataset']} (version {dataset['version'] or '?'}),"
            f" {len(dataset['affected_shards'])} of {dataset['shards']} shards affected"
            + (f"; new version {', '.join(newer)}" if newer else "")
        )
    for model in plan.models:
        stdout.print(
            f"retrain: {model.model}, {len(model.affected_shards)} of its {model.shards} shards"
            f" affected: {', '.join(model.affected_shards[:_LISTED_IDS])}"
            + (
                f" and {len(model.affected_shards) - _LISTED_IDS:,} more (--json lists all)"
                if len(model.affected_shards) > _LISTED_IDS
                else ""
            )
        )
    for model in plan.finetunes:
        stdout.print(f"refit: {model.model}, fine-tuned from {model.finetuned_from}")


def print_rows(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows as a table if it fits the terminal, else one block a row (``column: value``
    lines): no value, ids above all, is ever cut or broken inside a cell, so each can be
    pasted into the next command."""
    widths = [
        max([len(column), *(len(row[n]) for row in rows)]) for n, column in enumerate(columns)
    ]
    if sum(widths) + 3 * len(columns) + 1 <= stdout.width:
        table = Table(title=title)
        for column in columns:
            table.add_column(column, no_wrap=True)
        for row in rows:
            table.add_row(*row)
        stdout.print(table)
        return
    stdout.print(title)
    for row in rows:
        stdout.print(f"- {columns[0]}: {row[0]}")
        for column, value in zip(columns[1:], row[1:], strict=True):
            if value:
                stdout.print(f"  {column}: {value}")


def check_output_file(path: Path) -> None:
    """Refuse, before any work, an output file whose directory is missing or that is a
    directory."""
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such directory (for {path})")
    if path.is_dir():
        raise InputError(f"{path} is a directory: name a file")


def write_file_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file beside it, renamed)."""
    write_whole(path, data)


SinceOption = Annotated[
    Path | None,
    typer.Option(
        help="A checkpoint the recipient already holds: the bundle carries the proof that"
        " its checkpoint extends it (verify-bundle: requires that proof).",
        metavar="CHECKPOINT_FILE",
    ),
]

WitnessOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness's verifier key (NAME+HASH+BASE64, cosignature/v1); repeatable.",
        metavar="VKEY",
        show_default=False,
    ),
]
QuorumOption = Annotated[
    int | None,
    typer.Option(
        "--quorum",
        help="How many of the --witness keys must have cosigned the checkpoint"
        " [default: all of them].",
        min=0,
        max=64,
        metavar="N",
        show_default=False,
    ),
]


def witness_policy(witnesses: list[str] | None, quorum: int | None) -> WitnessPolicy | None:
    """The policy ``--witness``/``--quorum`` ask for, if any."""
    return WitnessPolicy.of(list(witnesses or []), quorum)


def report_witnesses(states: Iterable[Witness]) -> None:
    """One line on stderr for each witness that did not cosign the new checkpoint (the
    append stands; lineage witness sync tries again)."""
    for witness in states:
        if witness.status != "cosigned":
            typer.echo(
                f"warning: witness {witness.name}: {witness.status}: {witness.error}", err=True
            )
