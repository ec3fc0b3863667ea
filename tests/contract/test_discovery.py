"""What a ledger holds, listed and searched the same way on every store: artifacts by
kind with counts, step runs, keys and requests, and a search that finds ids, step names
and raw platform ids (through the identity tables)."""

from __future__ import annotations

import pytest

from lineage.errors import InputError
from lineage.query.discovery import artifacts, keys, requests, search, step_runs

from support.graph_fixtures import ids
from support.ledgers import LedgerEnv


def test_artifacts_are_listed_by_kind_oldest_first_and_counted_beyond_the_limit(
    graph: LedgerEnv,
) -> None:
    models = artifacts(graph.ledger, "models", 10)
    assert models.total == 3
    assert [row["id"] for row in models.rows] == [
        "model:model-a",
        "model:model-b",
        "model:model-a-ft",
    ]
    assert [row["entry"] for row in models.rows] == sorted(row["entry"] for row in models.rows)
    first = artifacts(graph.ledger, "shards", 1)
    assert first.total == 2 and len(first.rows) == 1
    assert first.rows[0]["kind"] == "Shard" and "sha256" in first.rows[0]["attrs"]
    assert artifacts(graph.ledger, "datasets", 10).total == 2


def test_steps_keys_and_requests_are_listed_with_counts_and_times(graph: LedgerEnv) -> None:
    steps = step_runs(graph.ledger, 100)
    names = [row["step"] for row in steps.rows]
    assert names[0] == "lineage.admin" and {"collect", "train"} <= set(names)
    collect = next(row for row in steps.rows if row["step"] == "collect")
    assert collect["statements"] >= 1 and collect["first_entry"] <= collect["last_entry"]
    assert collect["first_time"].endswith("Z")
    signers = keys(graph.ledger, 100)
    assert signers.total == len(signers.rows) >= 2
    assert any("collect" in row["steps"] for row in signers.rows)
    asked = requests(graph.ledger, 100)
    assert asked.total == sum(asked.by_kind.values()) == len(asked.rows)


def test_search_finds_ids_steps_and_raw_platform_ids(graph: LedgerEnv) -> None:
    found = search(graph.ledger, "MODEL-A", 10)  # ignoring case
    assert [row["id"] for row in found.nodes] == ["model:model-a", "model:model-a-ft"]
    assert search(graph.ledger, "collec", 10).steps[0]["step"] == "collect"
    n = ids(graph)
    post = search(graph.ledger, "fb:1", 10)
    assert post.raw == [
        {"raw_kind": "post", "id": n["fb:1"], "declared": True, "entry": post.raw[0]["entry"]}
    ]
    author = search(graph.ledger, "fb:user:A", 10)
    assert [r["id"] for r in author.raw] == [n["fb:user:A"]]
    assert search(graph.ledger, "no-such-thing", 10).empty()
    with pytest.raises(InputError, match="longer than"):
        search(graph.ledger, "x" * 201, 10)
    with pytest.raises(InputError, match="--limit"):
        search(graph.ledger, "x", 0)
