"""The lake store answers exactly as the SQLite store on the same ledger.

Random pipelines (those of the trace/impact property test: merges, drops, fan-out, fine-
tunes) are written to SQLite with small and large batches, copied into a lake, and every
read of the store contract is compared, at several ``as_of`` times, with the queries
composed from them (trace, impact, paths, origins of shards)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.ledger.copy import copy_ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.rows import PROJECTION_TABLES
from lineage.store import open_store

from support.graph_reads import AS_OF, node_reads
from support.random_pipelines import random_pipeline


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([3, 1000]))
def test_the_lake_answers_as_sqlite_does(seed: int, batch: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'lineage.db'}"
        reference = random_pipeline(Path(tmp), url, rng, batch)
        sqlite = open_store(url)
        lake = open_store(f"lake:///{Path(tmp) / 'lake'}", create=True)
        try:
            copy_ledger(sqlite, lake)
            assert verify_ledger(lake).ok
            for table in PROJECTION_TABLES:
                assert list(lake.iter_rows(table)) == list(sqlite.iter_rows(table)), table
            assert list(lake.iter_batches()) == list(sqlite.iter_batches())
            for as_of in AS_OF:
                assert lake.drop_counts(as_of) == sorted(sqlite.drop_counts(as_of))
            every = sorted(reference.kind.items())
            shards = [node for node, kind in every if kind == "Shard"]
            assert list(lake.packed_origins(shards)) == list(sqlite.packed_origins(shards))
            for node, kind in rng.sample(every, min(len(every), 20)):
                assert node_reads(lake, node, kind) == node_reads(sqlite, node, kind), node
        finally:
            sqlite.close()
            lake.close()
