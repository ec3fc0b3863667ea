"""`lineage copy`: SQLite to Neo4j and back, byte-identical checkpoints, verify on the copy."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.ledger.log import Ledger
from lineage.model.identity import Identities
from lineage.model.rows import PROJECTION_TABLES
from lineage.query.trace import Trace
from lineage.store import Store, open_store

from support.cli import run_cli
from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, example_envelope, ledger_env
from support.stores import edit, fresh_store_url


@pytest.fixture
def pipeline_on_sqlite(tmp_path: Path) -> Iterator[LedgerEnv]:
    for env in ledger_env(tmp_path, fresh_store_url("sqlite", tmp_path)):
        yield ingest_hand_built_pipeline(env)


def everything(store: Store) -> dict[str, object]:
    identities = store.identities()
    return {
        "meta": store.meta(),
        "entries": list(store.iter_entries()),
        "tree": list(store.iter_tree_nodes()),
        "checkpoints": list(store.checkpoints()),
        "signers": store.signers(),
        **{table: list(store.iter_rows(table)) for table in PROJECTION_TABLES},
        "index_key": identities.index_key(),
        "subjects": list(identities.iter_subjects()),
        "bindings": list(identities.iter_bindings()),
    }


def copy(source: str, target: str) -> dict[str, object]:
    result = run_cli("copy", "--from", source, "--to", target, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_sqlite_to_neo4j_and_back(pipeline_on_sqlite: LedgerEnv, tmp_path: Path) -> None:
    original = pipeline_on_sqlite
    neo4j_url = fresh_store_url("neo4j", tmp_path)
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    there = copy(original.url, neo4j_url)
    back = copy(neo4j_url, back_url)
    assert there["verified"] is True and back["verified"] is True
    assert there["entries"] == back["entries"] == original.ledger.size() > 10
    assert there["graph_rows"] == back["graph_rows"] and there["subjects"] == 3

    stores = [original.ledger.store, open_store(neo4j_url), open_store(back_url)]
    try:
        first = everything(stores[0])
        for copied in stores[1:]:
            assert everything(copied) == first
            # the checkpoints are the very same signed notes
            assert copied.latest_checkpoint() == stores[0].latest_checkpoint()
            post = Identities(copied.identities()).owner("post", "fb:1")
            assert post is not None
            origins = {row.id for row in Trace(copied, "model:model-a").origins()}
            assert post.post_id("fb:1") in origins and len(origins) == 2
    finally:
        for store in stores[1:]:
            store.close()


def test_a_copy_of_a_tampered_ledger_does_not_verify(
    pipeline_on_sqlite: LedgerEnv, tmp_path: Path
) -> None:
    original = pipeline_on_sqlite
    edit(original.url, sql=["DELETE FROM edges WHERE kind = 'TRAINED_ON'"], cypher=[])
    target = fresh_store_url("neo4j", tmp_path)
    result = run_cli("copy", "--from", original.url, "--to", target)
    assert result.exit_code == 1
    assert "graph edge" in result.output and "missing from the store" in result.output


def test_copy_refuses_a_store_that_holds_a_ledger(
    pipeline_on_sqlite: LedgerEnv, tmp_path: Path
) -> None:
    target = fresh_store_url("neo4j", tmp_path)
    copy(pipeline_on_sqlite.url, target)
    again = run_cli("copy", "--from", pipeline_on_sqlite.url, "--to", target)
    assert again.exit_code == 2 and "already holds a ledger" in again.output
    assert len(again.output.strip().splitlines()) == 1
    same = run_cli("copy", "--from", pipeline_on_sqlite.url, "--to", pipeline_on_sqlite.url)
    assert same.exit_code == 2 and "two different stores" in same.output


def test_the_copy_accepts_appends_like_the_original(
    pipeline_on_sqlite: LedgerEnv, tmp_path: Path
) -> None:
    target = fresh_store_url("neo4j", tmp_path)
    copy(pipeline_on_sqlite.url, target)
    copied = Ledger.open(target)
    try:
        envelope = example_envelope(pipeline_on_sqlite.collector, n=1234)
        for ledger in (pipeline_on_sqlite.ledger, copied):
            ledger.append([("x", envelope)], pipeline_on_sqlite.admin)
        assert copied.root(copied.size()) == pipeline_on_sqlite.ledger.root(copied.size())
    finally:
        copied.close()


def test_copy_moves_a_ledger_between_all_three_stores(
    pipeline_on_sqlite: LedgerEnv, tmp_path: Path
) -> None:
    """SQLite → lake → Neo4j → lake → SQLite: every step verifies and holds the same
    ledger, batch items included."""
    chain = [
        pipeline_on_sqlite.url,
        f"lake:///{tmp_path / 'lake-1'}",
        fresh_store_url("neo4j", tmp_path),
        f"lake:///{tmp_path / 'lake-2'}",
        f"sqlite:///{tmp_path / 'back.db'}",
    ]
    for source, target in itertools.pairwise(chain):
        assert copy(source, target)["verified"] is True
    stores = [pipeline_on_sqlite.ledger.store, *(open_store(url) for url in chain[1:])]
    try:
        first = everything(stores[0])
        batches = list(stores[0].iter_batches())
        for copied in stores[1:]:
            assert everything(copied) == first
            assert list(copied.iter_batches()) == batches
    finally:
        for store in stores[1:]:
            store.close()
