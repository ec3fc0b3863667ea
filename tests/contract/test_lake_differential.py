"""The lake store answers exactly as the SQLite store on the same ledger.

Random pipelines (those of the trace/impact property test: merges, drops, fan-out, fine-
tunes) are written to SQLite with small and large batches, copied into a lake, and every
read of the store contract is compared, at several ``as_of`` times, with the queries
composed from them (trace, impact, paths, origins of shards)."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.errors import InputError
from lineage.ledger.copy import copy_ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.rows import PROJECTION_TABLES
from lineage.policy.origins import origin_rows
from lineage.query.impact import impact
from lineage.query.trace import Trace
from lineage.store import Store, open_store

from support.random_pipelines import random_pipeline

# the pipeline's steps are dated 2024-06-01..04: now, and between two of them
AS_OF = [None, 1_717_286_400_000_000]


def _answer(query: Callable[[], object]) -> object:
    try:
        return query()
    except InputError as exc:
        return str(exc)


def _traced(store: Store, node: str, as_of: int | None) -> list[str]:
    return sorted(r.id for r in Trace(store, node, as_of).origins())


def _impacted(store: Store, node: str, as_of: int | None) -> object:
    return impact(store, node, as_of).to_json()


def _reads(store: Store, node: str, kind: str) -> list[object]:
    answers: list[object] = [store.node(node), store.nodes([node, "rec:none"])]
    for as_of in AS_OF:
        answers += [
            store.edges_of(node, as_of),
            store.edges_of(node, as_of, downstream_only=True, limit=2),
            store.drops_of([node], as_of),
            store.drops_of([node, "rec:none", *store.nodes([node])], as_of),
            sorted(store.walk(node, True, as_of)),
            sorted(store.walk(node, False, as_of)),
        ]
        for edge_kind in ("DERIVED_FROM", "PACKED_INTO", "PART_OF", "TRAINED_ON"):
            answers += [
                store.edges_into([node], edge_kind, as_of),
                store.count_into([node], edge_kind, as_of),
            ]
        if kind == "Shard":
            answers += [list(store.packed_origins([node], as_of))]
            answers += [list(origin_rows(store, [node], as_of))]
        if kind in ("Shard", "Dataset", "Model"):
            answers += [_answer(partial(_traced, store, node, as_of))]
        if kind in ("Post", "Record"):
            answers += [_answer(partial(_impacted, store, node, as_of))]
    answers += [store.count_out_of([node], "DERIVED_FROM")]
    return answers


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
                assert _reads(lake, node, kind) == _reads(sqlite, node, kind), node
        finally:
            sqlite.close()
            lake.close()
