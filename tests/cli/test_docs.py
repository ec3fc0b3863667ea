"""The docs: every CLI command has help text and a section in docs/cli.md, which is
exactly what tools/cli_reference.py generates; every relative link points at a file."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import typer

from lineage_cli.main import app

from support.cli import run_cli


def _repo_root() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise AssertionError("no pyproject.toml above the tests")


ROOT = _repo_root()
CLI_REFERENCE = ROOT / "docs" / "cli.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def command_paths(application: typer.Typer, prefix: str = "lineage") -> list[str]:
    paths = []
    for command in application.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        paths.append(f"{prefix} {name}")
    for group in application.registered_groups:
        assert group.typer_instance is not None
        paths.append(f"{prefix} {group.name}")
        paths.extend(command_paths(group.typer_instance, f"{prefix} {group.name}"))
    return paths


def cli_reference_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "tools" / "cli_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_has_help_and_a_section_in_the_cli_reference() -> None:
    reference = CLI_REFERENCE.read_text()
    paths = command_paths(app)
    assert len(paths) >= 10
    for path in paths:
        words = path.split()[1:]
        result = run_cli(*words, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.output and len(result.output.splitlines()) > 4, path
        heading = re.compile(rf"^#+ {re.escape(path)}$", re.MULTILINE)
        assert heading.search(reference), f"{path} has no section in docs/cli.md"


def test_the_cli_reference_is_what_the_tool_generates() -> None:
    expected = cli_reference_tool().reference()
    assert CLI_REFERENCE.read_text() == expected, (
        "docs/cli.md is stale: run python tools/cli_reference.py"
    )


def doc_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "bench" / "README.md"]
    files.extend(sorted((ROOT / "docs").glob("*.md")))
    return files


def relative_links(markdown: str) -> list[str]:
    """Link targets outside code that are neither URLs nor in-page anchors."""
    text = CODE_SPAN.sub("", FENCE.sub("", markdown))
    targets = [target for target in LINK.findall(text) if not target.startswith("#")]
    return [target for target in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def test_every_relative_link_points_at_a_file() -> None:
    checked = 0
    for doc in doc_files():
        assert doc.is_file(), f"{doc.relative_to(ROOT)} is missing"
        for target in relative_links(doc.read_text()):
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{doc.relative_to(ROOT)}: link {target} points at nothing"
            assert path.is_relative_to(ROOT), f"{doc.relative_to(ROOT)}: {target} leaves the repo"
            checked += 1
    assert checked >= 10
