"""``--engine spark``: the lake's graph reads as Spark SQL answer exactly as DuckDB's.

A random pipeline (merges, drops, fan-out, fine-tunes) and a demo run are written
straight into lakes; each lake is then read through DuckDB and through Spark (local
mode): the reads of the store contract, and ``lineage trace``, ``impact`` and ``check``
on the command line, must give the same answers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from lineage.errors import ConfigurationError
from lineage.store import open_store

from support.cli import run_cli
from support.demo import run_demo
from support.graph_reads import AS_OF
from support.random_pipelines import random_pipeline

POLICY = str(Path(__file__).parents[2] / "src/lineage/policies/public-content-training.toml")


@pytest.fixture(scope="module")
def spark() -> Iterator[None]:
    from lineage.store.spark.session import spark_session

    session = spark_session()
    yield
    session.stop()


def _random_lake(tmp_path: Path, seed: int) -> tuple[str, list[tuple[str, str]]]:
    url = f"lake:///{tmp_path / 'lake'}"
    reference = random_pipeline(tmp_path, url, random.Random(seed), 3)
    return url, sorted(reference.kind.items())


def test_spark_finds_the_origins_duckdb_finds(spark: None, tmp_path: Path) -> None:
    url, every = _random_lake(tmp_path, 2026)
    shards = [node for node, kind in every if kind == "Shard"]
    with (
        closing(open_store(url, read_only=True)) as duck,
        closing(open_store(url, read_only=True, engine="spark")) as on_spark,
    ):
        assert type(on_spark).__name__ == "SparkLakeStore"
        for as_of in AS_OF:
            packed = list(on_spark.packed_origins(shards, as_of))
            assert packed == list(duck.packed_origins(shards, as_of))
            assert packed or as_of is not None
            assert on_spark.drop_counts(as_of) == duck.drop_counts(as_of)


def _cli_json(*args: str) -> tuple[int, object]:
    result = run_cli(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def test_trace_impact_and_check_on_spark_equal_duckdb(spark: None, tmp_path: Path) -> None:
    url = f"lake:///{tmp_path / 'lake'}"
    run = run_demo(url, tmp_path, leak="visibility")
    for command in (
        ("trace", run.model, "--limit", "0"),
        ("impact", "--post", run.kept_post),
        ("check", run.model, "--policy", POLICY),
    ):
        on_duckdb = _cli_json(*command, "--db", url)
        on_spark = _cli_json(*command, "--db", url, "--engine", "spark")
        assert on_spark == on_duckdb, command
    code, checked = _cli_json("check", run.model, "--policy", POLICY, "--db", url)
    assert code == 1 and checked["violations"]  # type: ignore[index]


def test_spark_engine_is_for_lakes_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="lake store's Parquet parts"):
        open_store(f"sqlite:///{tmp_path / 'x.db'}", engine="spark")
    with pytest.raises(ConfigurationError, match="unknown engine 'presto'"):
        open_store(f"lake:///{tmp_path / 'lake'}", engine="presto")
    result = run_cli(
        "trace", "model:m", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--engine", "spark"
    )
    assert result.exit_code == 2
    assert "lake store's Parquet parts" in result.stderr
