"""Trace and impact on random DAGs against a plain reference traversal, on SQLite and
Neo4j (the lake is held to the SQLite store's answers by test_lake_differential)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.ledger.log import Ledger
from lineage.policy.origins import origin_rows
from lineage.query.impact import impact
from lineage.query.trace import Trace

from support.random_pipelines import random_pipeline
from support.stores import fresh_store_url


@pytest.mark.parametrize("store", ["sqlite", "neo4j"])
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([3, 1000]))
def test_trace_and_impact_match_a_reference_traversal(store: str, seed: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_store_url(store, Path(tmp))
        reference = random_pipeline(Path(tmp), url, random.Random(seed), batch)
        ledger = Ledger.open(url)
        store = ledger.store
        try:
            for node, kind in reference.kind.items():
                if kind == "Shard":
                    packed = {n for n in reference.up[node] if reference.kind.get(n) == "Record"}
                    expected_pairs = {
                        (record, origin)
                        for record in packed
                        for origin in reference.reach(record, True)
                        if reference.kind.get(origin) == "Post"
                    }
                    rows = list(origin_rows(store, [node]))
                    assert {(r.record, r.origin) for r in rows} == expected_pairs, node
                    for row in rows:
                        assert row.origin_kind == "Post" and row.subject is not None
                        assert len(row.path) >= 1
                if kind in ("Shard", "Dataset", "Model"):
                    expected = {
                        n for n in reference.reach(node, True) if reference.kind.get(n) == "Post"
                    }
                    assert {r.id for r in Trace(store, node).origins()} == expected, node
                if kind in ("Post", "Record"):
                    got = impact(store, node)
                    expected_down = reference.reach(node, False)
                    for k in ("Record", "Shard", "Dataset", "Model"):
                        assert set(got.nodes[k]) == {
                            n for n in expected_down if reference.kind.get(n) == k
                        }, (node, k)
        finally:
            ledger.close()
