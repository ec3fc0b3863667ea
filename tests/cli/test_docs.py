"""Every CLI command has help text and appears in the README's command reference."""

from __future__ import annotations

from pathlib import Path

import typer

from lineage_cli.main import app

from support.cli import run_cli

README = (Path(__file__).parents[2] / "README.md").read_text()


def command_paths(application: typer.Typer, prefix: str = "lineage") -> list[str]:
    paths = []
    for command in application.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        paths.append(f"{prefix} {name}")
    for group in application.registered_groups:
        assert group.typer_instance is not None
        paths.extend(command_paths(group.typer_instance, f"{prefix} {group.name}"))
    return paths


def test_every_command_has_help_and_is_in_the_readme() -> None:
    paths = command_paths(app)
    assert len(paths) >= 10
    for path in paths:
        words = path.split()[1:]
        result = run_cli(*words, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.output and len(result.output.splitlines()) > 4, path
        assert f"`{path}" in README, f"{path} is missing from the README command reference"
