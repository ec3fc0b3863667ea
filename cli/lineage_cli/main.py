"""The ``lineage`` Typer application."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from lineage import __version__
from lineage_cli import (
    bundle_cmd,
    copy_cmd,
    demo_cmd,
    discover_cmd,
    export_cmd,
    graph_cmd,
    keys_cmd,
    log_cmd,
    policy_cmd,
    privacy_cmd,
    remediate_cmd,
    report_cmd,
    transparency_cmd,
)
from lineage_cli.common import EXIT_OK, one_line, parameter_name, silence_stdout

if TYPE_CHECKING:
    from typer._click import exceptions as click_errors
else:
    try:  # Typer 0.29 and later carry their own copy of click
        from typer._click import exceptions as click_errors
    except ImportError:
        from click import exceptions as click_errors


_HELP_ERRORS: tuple[type[Exception], ...] = tuple(
    getattr(click_errors, name) for name in ("NoArgsIsHelpError",) if hasattr(click_errors, name)
)
"""Usage "errors" that show a command's help (click 8.2 and later): shown as they are."""


class OneLineUsageError(click_errors.UsageError):
    """A usage error shown as one line, ``error: option: problem``, like every other error."""

    def show(self, file: Any = None) -> None:
        """Print the one line on stderr."""
        typer.echo(f"error: {one_line(self.message)}", err=True)


def usage_line(exc: click_errors.UsageError) -> str:
    """The one-line form of a usage error that click would show in several lines."""
    param = getattr(exc, "param", None)
    if isinstance(exc, click_errors.BadParameter) and param is not None:
        name = parameter_name(param)
        if isinstance(exc, click_errors.MissingParameter):
            return f"{name}: missing (see {_help_of(exc)})"
        return f"{name}: {exc.message}"
    return f"{exc.format_message()} (see {_help_of(exc)})"


def _help_of(exc: click_errors.UsageError) -> str:
    path = exc.ctx.command_path if exc.ctx is not None else "lineage"
    return f"{path} --help"


@contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    try:
        yield
    except click_errors.UsageError as exc:
        if isinstance(exc, (*_HELP_ERRORS, OneLineUsageError)):
            raise
        raise OneLineUsageError(usage_line(exc), exc.ctx) from exc


class LineageGroup(typer.core.TyperGroup):
    """The command group: usage errors, its own and its commands', are one line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the group's own options."""
        with _one_line_usage_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        """Parse and run the command named on the command line."""
        with _one_line_usage_errors():
            return super().invoke(ctx)


app = typer.Typer(
    name="lineage",
    cls=LineageGroup,
    help="Signed data-lineage and audit ledger for AI training data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lineage {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Signed data-lineage and audit ledger for AI training data."""


log_cmd.register(app)
bundle_cmd.register(app)
graph_cmd.register(app)
discover_cmd.register(app)
copy_cmd.register(app)
demo_cmd.register(app)
policy_cmd.register(app)
privacy_cmd.register(app)
report_cmd.register(app)
remediate_cmd.register(app)
export_cmd.register(app)
transparency_cmd.register(app)
app.add_typer(keys_cmd.app, name="keys")


def main() -> None:
    """Entry point of the ``lineage`` console script; ends quietly when stdout's reader
    goes away (``lineage trace ID --jsonl | head -1``)."""
    code: int | str | None = EXIT_OK
    try:
        app()
    except SystemExit as done:
        code = done.code
    except BrokenPipeError:
        silence_stdout()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    sys.exit(code)
