"""``--engine spark``: the lake's graph reads as Spark SQL answer exactly as DuckDB's.

Random pipelines (merges, drops, fan-out, fine-tunes) are written straight into a lake;
the same lake is then read through DuckDB and through Spark (local mode), and every read
of the store contract, and the trace, impact and origins composed from them, must be
equal."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.errors import ConfigurationError
from lineage.ledger.verify import verify_ledger
from lineage.spark.store import SparkLakeStore
from lineage.store import open_store

from support.graph_reads import node_reads
from support.random_pipelines import random_pipeline

pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark() -> Iterator[None]:
    from lineage.spark.session import spark_session

    session = spark_session()
    yield
    session.stop()


@pytest.mark.parametrize("seed", [7, 2026])
def test_spark_reads_the_lake_as_duckdb_does(spark: None, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    url = f"lake:///{tmp_path / 'lake'}"
    reference = random_pipeline(tmp_path, url, rng, 3)
    duck = open_store(url, read_only=True)
    on_spark = open_store(url, read_only=True, engine="spark")
    try:
        assert isinstance(on_spark, SparkLakeStore)
        assert verify_ledger(on_spark).ok
        every = sorted(reference.kind.items())
        shards = [node for node, kind in every if kind == "Shard"]
        assert shards
        assert list(on_spark.packed_origins(shards)) == list(duck.packed_origins(shards))
        assert on_spark.drop_counts() == duck.drop_counts()
        chosen = [pair for pair in every if pair[1] in ("Model", "Shard")][:3]
        chosen += rng.sample(every, 3)
        for node, kind in chosen:
            assert node_reads(on_spark, node, kind) == node_reads(duck, node, kind), node
    finally:
        duck.close()
        on_spark.close()


def test_spark_engine_is_for_lakes_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="lake store's Parquet parts"):
        open_store(f"sqlite:///{tmp_path / 'x.db'}", engine="spark")
    with pytest.raises(ConfigurationError, match="unknown engine 'presto'"):
        open_store(f"lake:///{tmp_path / 'lake'}", engine="presto")
