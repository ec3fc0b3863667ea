"""Scale benchmark (issue 16): how per-edge ingest cost grows with the ledger on the
SQLite store, next to the limits a columnar store is held to, in one run.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/scale.py --posts 30000 --posts 100000 --posts 300000

For each size it builds, through the pipeline API in a child process (bench/graph.py's
synthetic pipeline: about 6 edges a post), a SQLite ledger, then measures on the same
edge rows:

- ingest: edges/s of the pipeline into SQLite, and the peak RSS of its processes;
- the limit: the same edge rows written once to Parquet with pyarrow (what "store every
  edge once" costs), edges/s; the ingest as a fraction of it;
- trace of the model: lineage's trace on SQLite, a bare recursive CTE in SQLite, and
  the same recursive query in DuckDB over the Parquet edges (same origin count);

and, across sizes, the curve: each size's ingest edges/s relative to the smallest.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from graph import bare_cte, build_sqlite_ledger  # noqa: E402
from lineage.ledger.log import Ledger  # noqa: E402
from lineage.query.trace import Trace  # noqa: E402

MODEL = "model:bench-model"
_DUCKDB_ORIGINS = """
WITH RECURSIVE walk(id) AS (
    SELECT ? UNION SELECT e.up FROM read_parquet(?) e JOIN walk ON e.down = walk.id
)
SELECT COUNT(*) FROM walk JOIN read_parquet(?) n ON n.id = walk.id WHERE n.kind = 'Post'
"""


def _table(db: sqlite3.Connection, query: str, names: list[str]) -> pa.Table:
    rows = db.execute(query).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table({name: list(column) for name, column in zip(names, columns, strict=True)})


def parquet_write(db_path: Path, work: Path) -> tuple[int, float, Path, Path]:
    """The edge rows (and node kinds) read back, then written to Parquet: (rows, seconds
    of the edge write, edges file, nodes file)."""
    db = sqlite3.connect(db_path)
    edges = _table(
        db,
        "SELECT down, up, kind, entry, time_us FROM edges",
        ["down", "up", "kind", "entry", "time_us"],
    )
    nodes = _table(db, "SELECT id, kind FROM nodes", ["id", "kind"])
    db.close()
    edges_path, nodes_path = work / "edges.parquet", work / "nodes.parquet"
    start = time.perf_counter()
    pq.write_table(edges, edges_path)
    elapsed = time.perf_counter() - start
    pq.write_table(nodes, nodes_path)
    return edges.num_rows, elapsed, edges_path, nodes_path


def duckdb_origins(edges: Path, nodes: Path) -> tuple[int, float]:
    connection = duckdb.connect()
    start = time.perf_counter()
    row = connection.execute(_DUCKDB_ORIGINS, [MODEL, str(edges), str(nodes)]).fetchone()
    elapsed = time.perf_counter() - start
    connection.close()
    return int(row[0]) if row else 0, elapsed


def lineage_trace(url: str) -> tuple[int, float]:
    ledger = Ledger.open(url, read_only=True)
    start = time.perf_counter()
    found = sum(1 for _ in Trace(ledger.store, MODEL).origins())
    elapsed = time.perf_counter() - start
    ledger.close()
    return found, elapsed


def run(posts: int, work: Path) -> dict[str, float]:
    url, _, ingest_s, peak_mb = build_sqlite_ledger(work, posts)
    rows, parquet_s, edges, nodes = parquet_write(work / "graph.db", work)
    traced, trace_s = lineage_trace(url)
    cte_count, cte_s = bare_cte(work / "graph.db", MODEL)
    duck_count, duck_s = duckdb_origins(edges, nodes)
    assert traced == cte_count == duck_count == posts, (traced, cte_count, duck_count, posts)
    return {
        "posts": posts,
        "edges": rows,
        "ingest_edges_per_s": rows / ingest_s,
        "ingest_peak_rss_mb": peak_mb,
        "parquet_edges_per_s": rows / parquet_s,
        "ingest_vs_parquet": parquet_s / ingest_s,
        "trace_s": trace_s,
        "sqlite_cte_s": cte_s,
        "duckdb_parquet_s": duck_s,
        "sqlite_bytes_per_edge": (work / "graph.db").stat().st_size / rows,
        "parquet_bytes_per_edge": (edges.stat().st_size + nodes.stat().st_size) / rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append", help="ledger sizes (repeatable)")
    args = parser.parse_args()
    sizes = sorted(args.posts or [2000])
    results = []
    for posts in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(posts, Path(tmp))
        results.append(result)
        print(json.dumps(result), flush=True)
    first = results[0]["ingest_edges_per_s"]
    curve = {int(r["posts"]): round(r["ingest_edges_per_s"] / first, 3) for r in results}
    print(json.dumps({"ingest_edges_per_s_relative_to_smallest": curve}))


if __name__ == "__main__":
    main()
