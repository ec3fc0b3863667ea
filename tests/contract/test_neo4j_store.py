"""Snapshots on every store (the documented Cypher queries: test_neo4j_documented_queries)."""

from __future__ import annotations

from lineage.ledger.log import Ledger

from support.ledgers import LedgerEnv, example_envelope


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
