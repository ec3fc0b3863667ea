"""``lineage export prov`` on the command line: every format on stdout or in a file,
read back by the prov package and rdflib; a file written whole or not at all, with a
one-line JSON summary; and one clear line (exit 2, nothing written) for each way of
asking wrongly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from prov.model import ProvActivity, ProvAgent, ProvEntity

from lineage.ledger.log import Ledger
from lineage.query.trace import Trace

from support.cli import run_cli
from support.graph_fixtures import ids as graph_ids
from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv
from support.prov_docs import entities, read_prov, sparql_origins

MODEL = "model:model-b"


def origins_of(env: LedgerEnv, artifact: str) -> set[str]:
    return {row.id for row in Trace(env.ledger.store, artifact).origins()}


def outputs(root: Path) -> Path:
    """An empty directory for what the command writes (the ledger is in ``root``)."""
    folder = root / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def env(sqlite_env: LedgerEnv) -> LedgerEnv:
    """The hand-built pipeline in a SQLite ledger."""
    return ingest_hand_built_pipeline(sqlite_env)


@pytest.mark.parametrize("fmt", ["json", "provn", "xml"])
def test_each_prov_format_on_stdout_reads_back_with_the_traces_origins(
    env: LedgerEnv, fmt: str
) -> None:
    result = run_cli("export", "prov", MODEL, "--format", fmt, "--db", env.url)
    assert result.exit_code == 0, result.output
    document = read_prov(result.stdout_bytes, fmt)
    assert set(entities(document, "Post")) == origins_of(env, MODEL)
    assert set(entities(document, "Model")) == {MODEL}


def test_prov_o_turtle_on_stdout_answers_the_documented_query(env: LedgerEnv) -> None:
    result = run_cli("export", "prov", "ds:ds-v1", "--format", "ttl", "--db", env.url)
    assert result.exit_code == 0, result.output
    assert sparql_origins(result.stdout_bytes, env.ledger.origin) == origins_of(env, "ds:ds-v1")


def test_a_file_with_a_one_line_json_summary(env: LedgerEnv, tmp_path: Path) -> None:
    out = outputs(tmp_path) / "model-b.json"
    result = run_cli("export", "prov", MODEL, "-o", str(out), "--json", "--db", env.url)
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    summary = json.loads(line)
    document = read_prov(out.read_bytes(), "json")
    relations = [r for r in document.get_records() if r.is_relation()]
    assert summary == {
        "artifact": MODEL,
        "format": "json",
        "entities": len(list(document.get_records(ProvEntity))),
        "activities": len(list(document.get_records(ProvActivity))),
        "agents": len(list(document.get_records(ProvAgent))),
        "relations": len(relations),
        "file": str(out),
        "bytes": out.stat().st_size,
    }
    assert summary["activities"] == 7  # collect, visibility, pii, dedup, pack, dataset, train
    assert [p.name for p in out.parent.iterdir()] == ["model-b.json"]


def test_a_failed_export_leaves_no_file_and_an_old_one_as_it_was(
    env: LedgerEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = outputs(tmp_path) / "model-b.ttl"
    args = ("export", "prov", MODEL, "--format", "ttl", "-o", str(out), "--db", env.url)
    refused = run_cli(*args, "--max-nodes", "3")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"error: --max-nodes: {MODEL} has more than 3 upstream nodes; raise --max-nodes to"
        " export them all"
    )
    assert list(out.parent.iterdir()) == []
    out.write_text("kept")

    def disk_full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    failed = run_cli(*args)
    assert failed.exit_code == 2 and len(failed.stderr.strip().splitlines()) == 1
    assert "No space left on device" in failed.stderr
    assert [p.name for p in out.parent.iterdir()] == ["model-b.ttl"]
    assert out.read_text() == "kept"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("model:nope",), "no node model:nope in the ledger"),
        (("POST",), "not a Post"),
        ((MODEL, "--format", "yaml"), "--format: unknown format 'yaml' (one of json, provn,"),
        ((MODEL, "--as-of", "last week"), "--as-of: 'last week' is not an RFC 3339"),
        ((MODEL, "--as-of", "2024-01-01T00:00:00Z"), "no node model:model-b in the ledger at"),
        ((MODEL, "--max-nodes", "0"), "--max-nodes"),
        ((MODEL, "--json"), "give -o FILE too"),
        ((MODEL, "-o", "missing-dir/x.json"), "no such directory"),
        (("not-an-id",), "is not a node id"),
    ],
)
def test_bad_requests_get_one_line_and_write_nothing(
    env: LedgerEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    says: str,
) -> None:
    post = graph_ids(env)["fb:1"]
    monkeypatch.chdir(outputs(tmp_path))
    asked = [post if arg == "POST" else arg for arg in args]
    result = run_cli("export", "prov", *asked, "--db", env.url)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(Path().iterdir()) == []


def test_a_copy_of_the_ledger_exports_the_same_bytes(env: LedgerEnv, tmp_path: Path) -> None:
    """PROV-JSON, PROV-N and PROV-XML are reproducible, whichever store holds the ledger
    (PROV-O's blank nodes are not)."""
    env.ledger.close()
    copy = f"lake:///{tmp_path / 'copy'}"
    assert run_cli("copy", "--from", env.url, "--to", copy).exit_code == 0
    for fmt in ("json", "provn", "xml"):
        first, second = (
            run_cli("export", "prov", MODEL, "--format", fmt, "--db", db) for db in (env.url, copy)
        )
        assert first.exit_code == second.exit_code == 0
        assert first.stdout_bytes == second.stdout_bytes, fmt
    env.ledger = Ledger.open(env.url)
