"""Lineage emitted per partition of a Spark pipeline (local mode), on every store.

Executors stage the batches of drops and packings and return their roots; the driver
signs and appends them. The ledger must then hold exactly what the same pipeline records
on the driver through the columnar API, verify, and trace; a staged batch altered
between executor and driver must be refused, not signed into the log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lineage.errors import LineageError
from lineage.ingest.columns import Refs
from lineage.ingest.pipeline import Lineage
from lineage.ingest.spark_emit import (
    dropped,
    emit_partitions,
    packed_into,
    read_staged,
    stage_partition,
)
from lineage.ledger.verify import verify_ledger
from lineage.model.batch import Commitment
from lineage.model.identity import SeededKeySource
from lineage.model.item_columns import ItemColumns
from lineage.model.predicates import LINEAGE_V2
from lineage.query.trace import Trace
from lineage.store import Store, open_store

from support.ledgers import pipeline_ledger

STEPS = ["collect", "quality", "pack"]
POSTS = 40
SHARD_DIGEST = "cd" * 32


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from lineage.store.spark.session import spark_session

    session = spark_session()
    yield session
    session.stop()


def _posts() -> pa.Table:
    return pa.table(
        {
            "post_id": [f"fb:{n}" for n in range(POSTS)],
            "platform": ["facebook"] * POSTS,
            "surface": ["feed"] * POSTS,
            "visibility": ["public"] * POSTS,
            "created": [f"2024-05-{1 + n % 28:02d}T08:00:00Z" for n in range(POSTS)],
            "jurisdiction": ["US"] * POSTS,
            "author": [f"fb:user:{n % 9}" for n in range(POSTS)],
        }
    )


def _record(url: str, keys: Path, tail: Any) -> int:
    """Posts and their records on the driver; ``tail(steps, records, low)`` records
    the quality filter's drops and the packing; returns the kept records' count."""
    with Lineage.open(url, keys_dir=keys, batch_size=6, key_source=SeededKeySource(3)) as lineage:
        steps = {
            name: lineage.step(name, key="k", run="r1", time="2024-06-01T00:00:00Z")
            for name in STEPS
        }
        records = steps["collect"].keeps(steps["collect"].origins(_posts()))
        low = [n % 5 == 0 for n in range(POSTS)]
        steps["pack"].shard("s-1", sha256=SHARD_DIGEST, size=1, record_count=POSTS - sum(low))
        tail(steps, records, low)
    return POSTS - sum(low)


def _on_driver(steps: dict[str, Any], records: Refs, low: list[bool]) -> None:
    steps["quality"].drops(records.filter(low), "low quality")
    steps["pack"].packs(records.filter([not x for x in low]), "shard:s-1")


def _rows(store: Store, table: str) -> list[tuple[object, ...]]:
    return sorted(
        tuple(row)[:-2] if table != "drops" else tuple(row)[:2] for row in store.iter_rows(table)
    )


def test_partitions_emit_what_the_driver_would(spark: Any, store_url: str, tmp_path: Path) -> None:
    def on_executors(steps: dict[str, Any], records: Refs, low: list[bool]) -> None:
        rows = pa.table({"record": records.ids, "low": low})
        frame = spark.createDataFrame(rows).repartition(3)
        dropping = frame.where("low").selectExpr("record AS node", "'low quality' AS reason")
        emitted = emit_partitions(
            steps["quality"], dropping, dropped(), tmp_path / "staging", batch_size=3
        )
        assert emitted.edges == sum(low) and emitted.batches >= 3
        packing = frame.where("NOT low").selectExpr("record", "'shard:s-1' AS shard")
        emit_partitions(steps["pack"], packing, packed_into(), tmp_path / "staging", batch_size=4)

    reference_url = f"sqlite:///{tmp_path / 'driver.db'}"
    keys = pipeline_ledger(tmp_path, reference_url, STEPS)
    _record(reference_url, keys, _on_driver)
    pipeline_ledger(tmp_path, store_url, STEPS)
    kept = _record(store_url, keys, on_executors)
    assert not any((tmp_path / "staging").iterdir())
    reference, store = open_store(reference_url), open_store(store_url)
    try:
        for table in ("nodes", "edges", "drops"):
            assert _rows(store, table) == _rows(reference, table), table
        assert verify_ledger(store).ok
        assert len(list(Trace(store, "shard:s-1").origins())) == kept
    finally:
        reference.close()
        store.close()


def test_an_altered_staged_batch_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    keys = pipeline_ledger(tmp_path, sqlite_url, STEPS)
    staging = tmp_path / "staging"
    staging.mkdir()

    def tamper(steps: dict[str, Any], records: Refs, low: list[bool]) -> None:
        rows = pa.RecordBatch.from_pydict({"record": records.ids, "shard": ["shard:s-1"] * POSTS})
        (staged,) = stage_partition(iter([rows]), packed_into(), str(staging), POSTS)
        row = staged.to_pylist()[0]
        columns = read_staged(staging / row["file"])
        columns.edges[0] = (columns.edges[0][0], columns.edges[1][1], columns.edges[0][2])
        commitment = Commitment(LINEAGE_V2, row["root"], (row["nodes"], row["edges"]))
        steps["pack"].seal_committed(commitment, columns)

    with pytest.raises(LineageError, match="do not hash to the root the statement signs"):
        _record(sqlite_url, keys, tamper)
    with closing(open_store(sqlite_url)) as store:
        assert not any(kind == "PACKED_INTO" for _, _, kind, *_ in store.iter_rows("edges"))


def test_bad_partition_rows_are_named(spark: Any, sqlite_url: str, tmp_path: Path) -> None:
    keys = pipeline_ledger(tmp_path, sqlite_url, STEPS)

    def no_reason(steps: dict[str, Any], records: Refs, low: list[bool]) -> None:
        frame = spark.createDataFrame(pa.table({"node": records.ids}))
        emit_partitions(steps["quality"], frame, dropped(), tmp_path / "staging")

    with pytest.raises(
        LineageError, match=r"a partition could not be staged: .*no column 'reason'"
    ):
        _record(sqlite_url, keys, no_reason)

    def oversized(steps: dict[str, Any], records: Refs, low: list[bool]) -> None:
        frame = spark.createDataFrame(pa.table({"node": records.ids, "reason": ["x"] * POSTS}))
        emit_partitions(steps["quality"], frame, dropped(), tmp_path / "staging", batch_size=0)

    with pytest.raises(LineageError, match="batch size must be between 1 and"):
        _record(sqlite_url, keys, oversized)

    def declares_a_shard(steps: dict[str, Any], records: Refs, low: list[bool]) -> None:
        frame = spark.createDataFrame(pa.table({"record": records.ids}))
        shard = ItemColumns([("Shard", "shard:s-2", "{}")], [])
        emit_partitions(steps["pack"], frame, lambda batch: shard, tmp_path / "staging")

    with pytest.raises(LineageError, match="shards, datasets and models are declared on the"):
        _record(sqlite_url, keys, declares_a_shard)
    assert not any((tmp_path / "staging").iterdir())
