"""Scale benchmark (issue 16): the columnar path (lake store, columnar pipeline API)
against the limits it is held to, with the SQLite store's figures beside, in one run.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/scale.py --posts 100000 --posts 1000000 --posts 10000000 \\
        --sqlite-max 300000

For each size, in a child process (so its peak RSS is its own), bench/graph.py's
synthetic pipeline (about 6 edges a post) is recorded through the columnar API into a
lake store (bench/columnar_pipeline.py), and on the same data:

- ingest: edges/s and the peak RSS of the pipeline's processes; bytes per edge of what
  the ledger lists (log, parts, filters), and of everything on disk (with the merged
  parts that wait out their grace time);
- the limit: the same edge rows written once to Parquet with bare pyarrow (what "store
  every edge once" costs); the ingest as a fraction of it;
- trace of the model on the lake, beside a bare DuckDB recursive query of the same
  origins over the same part files (same count);
- check of the model against the reference policy, beside the trace;
- impact of 200 random posts (p50, p99) and a one-post path bundle (best of 3).

Up to ``--spark-max`` posts, the same queries also run with ``--engine spark`` (Spark
SQL in local mode over the same Parquet parts): wall time beside DuckDB's, and the
answers must be equal (trace origins, the check's report, the impact of 5 posts).

Up to ``--sqlite-max`` posts, the per-record pipeline also runs into the SQLite store
(ingest edges/s, bytes per edge, trace), for the README's "which store when". Across
sizes, the curve: each size's lake ingest edges/s relative to the smallest.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import columnar_pipeline  # noqa: E402
from graph import build_sqlite_ledger, create_ledger  # noqa: E402
from lineage.crypto.keys import KeyDirectory  # noqa: E402
from lineage.evidence.build import path_bundle  # noqa: E402
from lineage.ledger.log import Ledger  # noqa: E402
from lineage.policy import reference_policy_path  # noqa: E402
from lineage.policy.check import check  # noqa: E402
from lineage.policy.document import read_policy  # noqa: E402
from lineage.query.impact import impact  # noqa: E402
from lineage.query.trace import Trace  # noqa: E402
from lineage.store.lake.parts import BLOOM_SUFFIX  # noqa: E402
from lineage.store.lake.store import LOG_FILE, LakeStore  # noqa: E402
from lineage.store.lake.tables import COLUMNAR_TABLES  # noqa: E402

MODEL = "model:bench-model"
_DUCKDB_ORIGINS = """
WITH RECURSIVE walk(id) AS (
    SELECT $model UNION SELECT e.up FROM read_parquet($edges) e JOIN walk ON e.down = walk.id
)
SELECT count(DISTINCT walk.id) FROM walk JOIN read_parquet($nodes) n ON n.id = walk.id
WHERE n.kind = 'Post'
"""


def _listed(ledger: Ledger, table: str) -> list[str]:
    store = ledger.store
    assert isinstance(store, LakeStore)
    return [str(path) for path in store.part_paths(table)]


def ledger_bytes(ledger: Ledger, lake: Path) -> int:
    """Bytes of what the ledger lists: its log file, its parts and their filters (merged
    parts waiting out their grace time on disk are not counted)."""
    store = ledger.store
    assert isinstance(store, LakeStore)
    parts = [path for table in COLUMNAR_TABLES for path in store.part_paths(table)]
    files = [lake / LOG_FILE, *parts, *(p.with_name(p.name + BLOOM_SUFFIX) for p in parts)]
    return sum(path.stat().st_size for path in files if path.exists())


def bare_parquet_write(edges: list[str], work: Path) -> tuple[int, float]:
    """The edge rows, read back, written once to one Parquet file: (rows, seconds)."""
    table = (
        duckdb.connect().sql("SELECT * FROM read_parquet($f)", params={"f": edges}).to_arrow_table()
    )
    start = time.perf_counter()
    pq.write_table(table, work / "bare-edges.parquet", compression="zstd")
    return table.num_rows, time.perf_counter() - start


def bare_duckdb_origins(edges: list[str], nodes: list[str]) -> tuple[int, float]:
    connection = duckdb.connect()
    start = time.perf_counter()
    row = connection.execute(
        _DUCKDB_ORIGINS, {"model": MODEL, "edges": edges, "nodes": nodes}
    ).fetchone()
    elapsed = time.perf_counter() - start
    connection.close()
    return int(row[0]) if row else 0, elapsed


def _timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def lake_queries(ledger: Ledger, posts: int) -> dict[str, float]:
    store = ledger.store
    start = time.perf_counter()
    found = sum(1 for _ in Trace(store, MODEL).origins())
    trace_s = time.perf_counter() - start
    assert found == posts, (found, posts)
    edges, nodes = _listed(ledger, "edges"), _listed(ledger, "nodes")
    duck_count, duck_s = bare_duckdb_origins(edges, nodes)
    assert duck_count == posts, (duck_count, posts)
    policy = read_policy(reference_policy_path())
    check_s = _timed(lambda: check(store, MODEL, policy))
    chosen = random.Random(1).sample(
        [
            row[0]
            for row in duckdb.connect()
            .execute(
                "SELECT id FROM read_parquet($f) WHERE kind = 'Post' USING SAMPLE 2000 ROWS",
                {"f": nodes},
            )
            .fetchall()
        ],
        200,
    )
    times = sorted(_timed(lambda post=post: impact(store, post)) for post in chosen)
    bundle_s = min(_timed(lambda: path_bundle(ledger, chosen[0], MODEL)) for _ in range(3))
    return {
        "lake_trace_s": trace_s,
        "bare_duckdb_trace_s": duck_s,
        "trace_vs_bare_duckdb": trace_s / duck_s,
        "check_s": check_s,
        "check_vs_trace": check_s / trace_s,
        "impact_p50_ms": times[len(times) // 2] * 1000,
        "impact_p99_ms": times[int(len(times) * 0.99) - 1] * 1000,
        "one_post_bundle_ms": bundle_s * 1000,
    }


def spark_queries(url: str, posts: int, duckdb_s: dict[str, float]) -> dict[str, float]:
    """The trace, check and impacts on Spark and on DuckDB: equal answers, both times."""
    policy = read_policy(reference_policy_path())
    duck = Ledger.open(url, read_only=True)
    spark = Ledger.open(url, read_only=True, engine="spark")
    try:
        start = time.perf_counter()
        origins = sorted(row.id for row in Trace(spark.store, MODEL).origins())
        trace_s = time.perf_counter() - start
        assert origins == sorted(row.id for row in Trace(duck.store, MODEL).origins())
        assert len(origins) == posts
        start = time.perf_counter()
        report = check(spark.store, MODEL, policy).to_json()
        check_s = time.perf_counter() - start
        assert report == check(duck.store, MODEL, policy).to_json()
        chosen = random.Random(2).sample(origins, 5)
        start = time.perf_counter()
        answers = [impact(spark.store, post).to_json() for post in chosen]
        impact_s = (time.perf_counter() - start) / len(chosen)
        assert answers == [impact(duck.store, post).to_json() for post in chosen]
    finally:
        spark.close()
        duck.close()
    return {
        "spark_trace_s": trace_s,
        "spark_trace_vs_duckdb": trace_s / duckdb_s["lake_trace_s"],
        "spark_check_s": check_s,
        "spark_check_vs_duckdb": check_s / duckdb_s["check_s"],
        "spark_impact_mean_ms": impact_s * 1000,
    }


def lake_run(posts: int, work: Path, spark: bool = False) -> dict[str, float]:
    keys = KeyDirectory(work / "keys")
    keys.create("admin")
    keys.create("pipeline")
    lake = work / "lake"
    url = f"lake:///{lake}"
    create_ledger(url, keys)
    ingest_s, peak_mb = columnar_pipeline.ingest(url, work, posts)
    ledger = Ledger.open(url)
    try:
        edges = _listed(ledger, "edges")
        rows, bare_s = bare_parquet_write(edges, work)
        on_disk = sum(p.stat().st_size for p in lake.rglob("*") if p.is_file())
        result = {
            "posts": posts,
            "edges": rows,
            "lake_ingest_edges_per_s": rows / ingest_s,
            "lake_ingest_peak_rss_mb": peak_mb,
            "bare_parquet_edges_per_s": rows / bare_s,
            "ingest_vs_bare_parquet": bare_s / ingest_s,
            "lake_bytes_per_edge": ledger_bytes(ledger, lake) / rows,
            "lake_bytes_on_disk_per_edge": on_disk / rows,
        }
        result.update(lake_queries(ledger, posts))
    finally:
        ledger.close()
    if spark:
        print(json.dumps({"before_spark": {k: round(v, 3) for k, v in result.items()}}), flush=True)
        result.update(spark_queries(url, posts, result))
    return result


def sqlite_run(posts: int, work: Path) -> dict[str, float]:
    url, _, ingest_s, peak_mb = build_sqlite_ledger(work, posts)
    ledger = Ledger.open(url, read_only=True)
    try:
        edges = sum(1 for _ in ledger.store.iter_rows("edges"))
        trace_s = _timed(lambda: sum(1 for _ in Trace(ledger.store, MODEL).origins()))
    finally:
        ledger.close()
    return {
        "sqlite_ingest_edges_per_s": edges / ingest_s,
        "sqlite_ingest_peak_rss_mb": peak_mb,
        "sqlite_bytes_per_edge": (work / "graph.db").stat().st_size / edges,
        "sqlite_trace_s": trace_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append", help="ledger sizes (repeatable)")
    parser.add_argument(
        "--sqlite-max", type=int, default=300_000, help="largest size also run on SQLite"
    )
    parser.add_argument(
        "--spark-max", type=int, default=0, help="largest size also queried with Spark"
    )
    args = parser.parse_args()
    sizes = sorted(args.posts or [2000])
    results = []
    for posts in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            result = lake_run(posts, Path(tmp), spark=posts <= args.spark_max)
        if posts <= args.sqlite_max:
            with tempfile.TemporaryDirectory() as tmp:
                result.update(sqlite_run(posts, Path(tmp)))
        results.append(result)
        print(json.dumps({k: round(v, 3) for k, v in result.items()}), flush=True)
    first = results[0]["lake_ingest_edges_per_s"]
    curve = {int(r["posts"]): round(r["lake_ingest_edges_per_s"] / first, 3) for r in results}
    print(json.dumps({"lake_ingest_edges_per_s_relative_to_smallest": curve}))


if __name__ == "__main__":
    main()
