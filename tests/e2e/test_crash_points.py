"""Crashes at each named point of erase and copy (fault injection: the process stops dead
there, as under kill -9). Running the command again completes the same erasure without a
second statement; an interrupted copy leaves the target empty; no erased person's key
survives in any store file, and none is ever copied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lineage.crypto.dsse import parse_envelope
from lineage.faults import FAULT_ENV, KILLED_EXIT
from lineage.ledger.erasure import ERASURE_PREDICATE
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.identity import AUTHOR, Identities
from lineage.model.rows import StatementRow
from lineage.model.statement import parse_statement
from lineage.store import open_store
from lineage.store.base import Store, table_rows

from support.ledgers import LedgerEnv
from support.stores import fresh_store_url, is_neo4j, sqlite_path

AUTHOR_ID = "ig:user:C"
ERASE_POINTS = ["erase.after-request", "erase.after-statement", "erase.after-key-deletion"]


def lineage(
    env: LedgerEnv, *args: str, fault: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LINEAGE_KEYS_DIR": str(env.root / "keys")}
    environment.pop(FAULT_ENV, None)
    if fault is not None:
        environment[FAULT_ENV] = fault
    return subprocess.run(
        [sys.executable, "-m", "lineage_cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def erasure_statements(store: Store) -> list[int]:
    """The requests the Erasure statements answer, one item per statement."""
    answered = []
    for row in table_rows(store, StatementRow):
        if row.predicate_type == ERASURE_PREDICATE:
            stored = store.entry(row.entry)
            assert stored is not None
            answered.append(parse_statement(parse_envelope(stored[1]).payload).predicate["request"])
    return answered


def file_bytes(url: str) -> bytes:
    path = sqlite_path(url)
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


@pytest.mark.parametrize("point", ERASE_POINTS)
def test_an_erasure_interrupted_at_each_point_is_completed_by_running_it_again(
    graph: LedgerEnv, point: str
) -> None:
    subject = Identities(graph.ledger.store.identities()).subject(AUTHOR_ID, create=False)
    assert subject is not None
    graph.ledger.close()
    crashed = lineage(
        graph, "erase", "--author", AUTHOR_ID, "--yes", "--db", graph.url, fault=point
    )
    assert crashed.returncode == KILLED_EXIT, crashed.stderr
    again = lineage(graph, "erase", "--author", AUTHOR_ID, "--yes", "--db", graph.url, "--json")
    assert again.returncode == 0, again.stderr
    graph.ledger = Ledger.open(graph.url)
    store = graph.ledger.store
    requests = [r for r in store.requests_of([subject.node_id]) if r.kind == "erasure"]
    assert len(requests) == 1
    assert erasure_statements(store) == [requests[0].entry]
    assert Identities(store.identities()).resolve(AUTHOR, AUTHOR_ID) is None
    assert Identities(store.identities()).subject(AUTHOR_ID, create=False) is None
    assert verify_ledger(store).ok
    if not is_neo4j(graph.url):
        blob = file_bytes(graph.url)
        assert subject.key not in blob and subject.lookup not in blob


def test_an_interrupted_copy_leaves_the_target_empty_and_resurrects_no_one(
    graph: LedgerEnv, tmp_path: Path
) -> None:
    target = fresh_store_url("neo4j" if not is_neo4j(graph.url) else "sqlite", tmp_path)
    subject = Identities(graph.ledger.store.identities()).subject(AUTHOR_ID, create=False)
    assert subject is not None
    graph.ledger.close()
    crashed = lineage(
        graph, "copy", "--from", graph.url, "--to", target, fault="copy.before-commit"
    )
    assert crashed.returncode == KILLED_EXIT, crashed.stderr
    partial = open_store(target, create=True)
    try:
        assert partial.is_empty()
    finally:
        partial.close()
    erased = lineage(graph, "erase", "--author", AUTHOR_ID, "--yes", "--db", graph.url)
    assert erased.returncode == 0, erased.stderr
    done = lineage(graph, "copy", "--from", graph.url, "--to", target, "--json")
    assert done.returncode == 0, done.stderr
    copied = Ledger.open(target)
    try:
        assert Identities(copied.store.identities()).subject(AUTHOR_ID, create=False) is None
        assert verify_ledger(copied.store).ok
    finally:
        copied.close()
    impact = lineage(graph, "impact", "--author", AUTHOR_ID, "--db", target)
    assert impact.returncode == 2 and "no author" in impact.stderr
    if not is_neo4j(target):
        assert subject.key not in file_bytes(target)


def test_a_copy_never_writes_the_key_of_a_subject_whose_erasure_was_interrupted(
    graph: LedgerEnv, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    subject = Identities(graph.ledger.store.identities()).subject(AUTHOR_ID, create=False)
    assert subject is not None
    graph.ledger.close()
    crashed = lineage(
        graph,
        "erase",
        "--author",
        AUTHOR_ID,
        "--yes",
        "--db",
        graph.url,
        fault="erase.after-statement",
    )
    assert crashed.returncode == KILLED_EXIT
    source = open_store(graph.url)
    try:
        assert Identities(source.identities()).subject(AUTHOR_ID, create=False) is not None
    finally:
        source.close()
    done = lineage(graph, "copy", "--from", graph.url, "--to", target, "--json")
    assert done.returncode == 0, done.stderr
    copied = Ledger.open(target)
    try:
        assert Identities(copied.store.identities()).subject(AUTHOR_ID, create=False) is None
        other = Identities(copied.store.identities()).subject("fb:user:A", create=False)
        assert other is not None
    finally:
        copied.close()
    assert subject.key not in file_bytes(target)


@pytest.mark.parametrize("holds", ["a ledger", "another table"])
def test_a_copy_goes_only_into_an_empty_store(graph: LedgerEnv, tmp_path: Path, holds: str) -> None:
    import sqlite3

    target = tmp_path / "target.db"
    if holds == "a ledger":
        assert lineage(graph, "init", "--db", f"sqlite:///{target}").returncode == 0
    else:
        sqlite3.connect(target).execute("CREATE TABLE notes (x)").connection.commit()
    before = target.read_bytes()
    refused = lineage(graph, "copy", "--from", graph.url, "--to", f"sqlite:///{target}")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert target.read_bytes() == before


def test_init_then_copy_is_not_needed_copy_creates_the_ledger(
    graph: LedgerEnv, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path / 'fresh' / 'copy.db'}"
    done = lineage(graph, "copy", "--from", graph.url, "--to", target)
    assert done.returncode == 0, done.stderr
    assert "verified the copy" in done.stdout
