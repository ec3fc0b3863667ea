"""Keys live with their ledger: every command the demo prints works when pasted, and a
command that needs the log key finds it beside the ledger, or says where it looked."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from support.cli import run_cli


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINEAGE_KEYS_DIR", raising=False)
    monkeypatch.delenv("LINEAGE_DB", raising=False)
    result = run_cli("demo", "--posts", "300", "--dir", "d", "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_every_printed_command_works_when_pasted(demo: dict[str, object]) -> None:
    assert demo["keys"] == "d/lineage-keys"
    commands = demo["next"]
    assert isinstance(commands, list) and len(commands) >= 8
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "lineage"
        result = run_cli(*words[1:])
        assert result.exit_code in (0, 1), (command, result.output)  # 1: a check that fails


def test_commands_that_sign_find_the_log_key_beside_the_ledger(demo: dict[str, object]) -> None:
    author = demo["kept_post_author"]
    assert isinstance(author, str)
    erased = run_cli("erase", "--author", author, "--yes", "--db", "sqlite:///d/lineage.db")
    assert erased.exit_code == 0, erased.output
    assert "erased" in erased.output


def test_a_missing_log_key_says_where_it_was_looked_for(demo: dict[str, object]) -> None:
    result = run_cli(
        "erase",
        "--author",
        "fb:user:1",
        "--db",
        "sqlite:///d/lineage.db",
        "--keys-dir",
        "elsewhere",
    )
    assert result.exit_code == 2
    assert "log key 'admin' is not in" in result.output and "elsewhere" in result.output
    assert "lineage keys new" not in result.output
