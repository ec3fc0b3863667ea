"""The CLI on a Neo4j server it cannot use: one-line errors and exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.cli import run_cli
from support.stores import NEO4J_URL, fresh_store_url, neo4j_driver


def one_line_error(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_an_unreachable_server_is_one_line_and_exit_2() -> None:
    line = one_line_error("verify", "--db", "bolt://127.0.0.1:9")
    assert "cannot reach Neo4j" in line and "bolt://127.0.0.1:9" in line


def test_wrong_credentials_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    neo4j_driver()
    if not os.environ.get("LINEAGE_NEO4J_USER"):
        pytest.skip("the test server runs without authentication")
    monkeypatch.setenv("LINEAGE_NEO4J_PASSWORD", "not-the-password")
    line = one_line_error("verify", "--db", NEO4J_URL)
    assert "refused the credentials" in line and "not-the-password" not in line


def test_a_missing_database_is_one_line_and_exit_2() -> None:
    neo4j_driver()
    line = one_line_error("verify", "--db", NEO4J_URL.rstrip("/") + "/nosuchdb")
    assert "no such database" in line


def test_an_empty_database_says_how_to_create_a_ledger(tmp_path: Path) -> None:
    url = fresh_store_url("neo4j", tmp_path)
    assert "lineage init" in one_line_error("verify", "--db", url)
