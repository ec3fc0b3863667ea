"""What only the Neo4j store has (the README's Cypher query), and snapshots on both stores."""

from __future__ import annotations

from pathlib import Path

from lineage.ledger.log import Ledger
from lineage.query.trace import Trace

from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, example_envelope, ledger_env
from support.stores import fresh_store_url, neo4j_driver


def test_a_snapshot_does_not_see_a_later_append(env: LedgerEnv) -> None:
    """Both stores: verify reads one consistent state while appends go on."""
    store = env.ledger.store
    with store.snapshot():
        size, latest = store.size(), store.latest_checkpoint()
        other = Ledger.open(env.url)
        try:
            other.append([("x", example_envelope(env.collector, n=99))], env.admin)
        finally:
            other.close()
        assert store.size() == size and store.latest_checkpoint() == latest
        assert [i for i, _, _ in store.iter_entries()] == list(range(size))
        assert [s for s, _ in store.checkpoints()][-1] == size
    assert store.size() == size + 1


def test_the_documented_cypher_query_shows_a_models_lineage(tmp_path: Path) -> None:
    query = (Path(__file__).parents[2] / "docker" / "model-lineage.cypher").read_text()
    doc = (Path(__file__).parents[2] / "docs" / "neo4j.md").read_text()
    assert query.strip() in doc
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        ingest_hand_built_pipeline(env)
        for model in ("model:model-a", "model:model-b", "model:model-a-ft"):
            records, _, _ = neo4j_driver().execute_query(query, model=model)
            posts = {n["id"] for r in records for n in r["path"].nodes if "Post" in n.labels}
            origins = {row.id for row in Trace(env.ledger.store, model).origins()}
            assert posts == origins and posts, model
