"""Graph benchmark: ingest, trace and impact on SQLite (and Neo4j), against baselines.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/graph.py --posts 1000000
    .venv/bin/python bench/graph.py --posts 100000 --neo4j bolt://127.0.0.1:7687 --wipe-neo4j

Builds, through the pipeline API in a child process, POSTS posts from ~POSTS/10
authors through five steps (collect, visibility, jurisdiction, pii-redact, dedup)
into 1,000 shards, one dataset and one model: about 6 edges per post. Then, in
the same run and on the same data:

- ingest edges/s, next to a raw SQLite insert of the same edge rows into the same
  table with the same indexes (target >= 0.4 of raw); peak RSS of the ingest
  (target <= 300 MB);
- trace of the model: time to the first origin (target <= 100 ms) and to all
  origins, next to a bare recursive CTE over the same tables (target <= 3x);
- impact of 1,000 random posts: p50 and p99 (target p99 <= 2 ms);
- ``check`` of the model against the reference policy (every origin, every rule),
  next to the trace of the same model (target <= 3x the trace, and <= 30 s);
- the remediation plan for an author of 1,000 posts (one post in a thousand is
  theirs; target <= 1 s), next to the plain impact walk; then that author's erasure
  (target <= 1 s).

With ``--neo4j URL`` the same pipeline (same seeded subject keys, so the same node
ids) runs again into that Neo4j database, and the same trace and impacts run there;
Neo4j's ingest is also set beside a bare batched-UNWIND write of the same edge rows
into the same server (CREATE nodes, then MATCH both ends and CREATE each
relationship; target >= 20k edges/s for the ingest). ``--wipe-neo4j`` lets
the benchmark empty that database first: it refuses a database holding data
otherwise. Credentials: ``LINEAGE_NEO4J_USER`` / ``LINEAGE_NEO4J_PASSWORD``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from ledger import run_measured  # noqa: E402
from lineage.crypto.keys import KeyDirectory  # noqa: E402
from lineage.ingest.pipeline import Lineage, Step  # noqa: E402
from lineage.ledger.erasure import erase_author  # noqa: E402
from lineage.ledger.log import Ledger  # noqa: E402
from lineage.model.identity import Identities, SeededKeySource  # noqa: E402
from lineage.model.times import parse_time  # noqa: E402
from lineage.policy import reference_policy_path  # noqa: E402
from lineage.policy.check import check  # noqa: E402
from lineage.policy.document import read_policy  # noqa: E402
from lineage.query.impact import impact  # noqa: E402
from lineage.query.plan import remediation_plan  # noqa: E402
from lineage.query.trace import Trace  # noqa: E402
from lineage.store import Store  # noqa: E402
from lineage.store.sqlite.schema import EDGES_SCHEMA, statements_of  # noqa: E402
from lineage.store.sqlite.store import CACHE_KIB  # noqa: E402

STEPS = ["collect", "visibility", "jurisdiction", "pii-redact", "dedup", "pack", "dataset", "train"]
SHARDS = 1000
HEAVY_AUTHOR = "fb:user:heavy"


def bench_steps(lineage: Lineage) -> dict[str, Step]:
    """The synthetic pipeline's steps, all signed by the ``pipeline`` key."""
    return {
        name: lineage.step(
            name, version="1", run="bench", key="pipeline", time="2024-06-01T00:00:00Z"
        )
        for name in STEPS
    }


def build(url: str, keys_dir: Path, posts: int) -> None:
    """The child process: run the synthetic pipeline through the API."""
    with Lineage.open(
        url,
        keys_dir=keys_dir,
        statements_per_append=20,
        background=True,
        key_source=SeededKeySource(2024),
    ) as lineage:
        steps = bench_steps(lineage)
        authors = max(1, posts // 10)
        per_shard = -(-posts // SHARDS)
        shard_members: list[object] = []
        shards = []
        for n in range(posts):
            post = steps["collect"].origin(
                f"fb:{n}",
                platform="facebook" if n % 3 else "instagram",
                surface="feed",
                visibility="public",
                created="2024-05-01T00:00:00Z",
                jurisdiction="US" if n % 5 else "BR",
                author=HEAVY_AUTHOR if n % 1000 == 0 else f"fb:user:{n % authors}",
                author_age="adult",
            )
            record = steps["visibility"].keep(post)
            record = steps["jurisdiction"].keep(record)
            record = steps["pii-redact"].transform(record)
            record = steps["dedup"].keep(record)
            shard_members.append(record)
            if len(shard_members) == per_shard or n == posts - 1:
                digest = hashlib.sha256(b"shard %d" % len(shards)).hexdigest()
                shards.append(
                    steps["pack"].shard(
                        f"shard-{len(shards):04d}",
                        sha256=digest,
                        size=per_shard * 100,
                        records=shard_members,
                    )
                )  # type: ignore[arg-type]
                shard_members = []
        dataset = steps["dataset"].dataset("bench-ds", shards=shards, version="1")
        steps["train"].model("bench-model", trained_on=[dataset])


def raw_edge_insert(db_path: Path, work: Path) -> tuple[int, float]:
    """Insert the same edge rows into a fresh copy of the edges table: (rows, seconds)."""
    source = sqlite3.connect(db_path)
    rows = source.execute("SELECT down, up, kind, entry, time_us FROM edges").fetchall()
    source.close()
    rng = random.Random(1)
    rng.shuffle(rows)  # the ingest writes them in pipeline order, not key order
    target = sqlite3.connect(work / "raw.db", isolation_level=None)
    target.execute("PRAGMA journal_mode = WAL")
    target.execute("PRAGMA synchronous = FULL")
    target.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # the store's own setting
    for statement in statements_of(EDGES_SCHEMA):
        target.execute(statement)
    start = time.perf_counter()
    target.execute("BEGIN")
    for i in range(0, len(rows), 20_000):
        target.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)", rows[i : i + 20_000])
    target.execute("COMMIT")
    elapsed = time.perf_counter() - start
    target.close()
    return len(rows), elapsed


def bare_cte(db_path: Path, root: str) -> tuple[int, float]:
    db = sqlite3.connect(db_path)
    start = time.perf_counter()
    count = db.execute(
        "WITH RECURSIVE walk(id) AS (SELECT ? UNION SELECT e.up FROM edges e"
        " JOIN walk ON e.down = walk.id) SELECT COUNT(*) FROM walk JOIN nodes n"
        " ON n.id = walk.id WHERE n.kind = 'Post'",
        (root,),
    ).fetchone()[0]
    elapsed = time.perf_counter() - start
    db.close()
    return int(count), elapsed


def create_ledger(url: str, keys: KeyDirectory) -> None:
    admin = keys.load("admin")
    ledger = Ledger.create(url, admin)
    ledger.register_key(
        admin,
        "pipeline",
        keys.load("pipeline").public,
        STEPS,
        valid_from=parse_time("2024-01-01T00:00:00Z"),
    )
    ledger.close()


def ingest(url: str, work: Path, posts: int) -> tuple[float, float]:
    """Run the pipeline in a child process: (seconds, peak RSS MB of its process tree)."""
    env = {**os.environ, "LINEAGE_NO_PROGRESS": "1"}
    return run_measured(
        [sys.executable, str(Path(__file__)), "--child", url, str(work / "keys"), str(posts)], env
    )


def queries(store: Store, post_ids: list[str], posts: int) -> dict[str, float]:
    """Trace of the model (first origin, all origins) and impact of each post."""
    start = time.perf_counter()
    origins = Trace(store, "model:bench-model").origins()
    next(origins)
    first_s = time.perf_counter() - start
    found = 1 + sum(1 for _ in origins)
    trace_s = time.perf_counter() - start
    assert found == posts, (found, posts)
    times = []
    for post_id in post_ids:
        start = time.perf_counter()
        result = impact(store, post_id)
        times.append(time.perf_counter() - start)
        assert result.nodes["Model"] == ["model:bench-model"]
    times.sort()
    policy = read_policy(reference_policy_path())
    start = time.perf_counter()
    report = check(store, "model:bench-model", policy)
    check_s = time.perf_counter() - start
    assert report.origins == posts, (report.origins, posts)
    subject = Identities(store.identities()).subject(HEAVY_AUTHOR, create=False)
    assert subject is not None
    start = time.perf_counter()
    walked = impact(store, subject.node_id)
    impact_author_s = time.perf_counter() - start
    start = time.perf_counter()
    plan = remediation_plan(store, subject.node_id)
    plan_s = time.perf_counter() - start
    assert len(walked.nodes["Post"]) == -(-posts // 1000) and plan.models
    return {
        "author_posts": len(walked.nodes["Post"]),
        "impact_author_s": impact_author_s,
        "plan_author_s": plan_s,
        "check_s": check_s,
        "check_violations": report.violations,
        "trace_first_ms": first_s * 1000,
        "trace_all_s": trace_s,
        "impact_p50_ms": times[len(times) // 2] * 1000,
        "impact_p99_ms": times[max(0, int(len(times) * 0.99) - 1)] * 1000,
    }


def erase_heavy_author(url: str, keys: KeyDirectory) -> float:
    """Seconds to erase the author of one post in a thousand (run last: it changes the store)."""
    ledger = Ledger.open(url)
    try:
        admin = keys.load(ledger.log_key_name)
        start = time.perf_counter()
        result = erase_author(ledger, admin, HEAVY_AUTHOR)
        elapsed = time.perf_counter() - start
        assert result.erased
        return elapsed
    finally:
        ledger.close()


def build_sqlite_ledger(work: Path, posts: int) -> tuple[str, KeyDirectory, float, float]:
    """Keys, a SQLite ledger at ``work/graph.db`` and the pipeline's ingest of ``posts``
    posts into it: (store URL, keys, ingest seconds, peak RSS MB)."""
    keys = KeyDirectory(work / "keys")
    keys.create("admin")
    keys.create("pipeline")
    url = f"sqlite:///{work / 'graph.db'}"
    create_ledger(url, keys)
    ingest_s, peak_mb = ingest(url, work, posts)
    return url, keys, ingest_s, peak_mb


def run(posts: int, work: Path) -> dict[str, float]:
    url, keys, ingest_s, peak_mb = build_sqlite_ledger(work, posts)
    raw_rows, raw_s = raw_edge_insert(work / "graph.db", work)

    post_ids = [
        row[0]
        for row in sqlite3.connect(work / "graph.db").execute(
            "SELECT id FROM nodes WHERE kind = 'Post' ORDER BY random() LIMIT 1000"
        )
    ]
    ledger = Ledger.open(url)
    measured = queries(ledger.store, post_ids, posts)
    ledger.close()
    cte_count, cte_s = bare_cte(work / "graph.db", "model:bench-model")
    measured["erase_s"] = erase_heavy_author(url, keys)
    assert cte_count == posts, (cte_count, posts)
    return {
        "posts": posts,
        "edges": raw_rows,
        "ingest_s": ingest_s,
        "ingest_edges_per_s": raw_rows / ingest_s,
        "raw_edges_per_s": raw_rows / raw_s,
        "ingest_ratio": raw_s / ingest_s,
        "ingest_peak_rss_mb": peak_mb,
        **measured,
        "bare_cte_s": cte_s,
        "trace_ratio": measured["trace_all_s"] / cte_s,
        "db_mb": (work / "graph.db").stat().st_size / 1e6,
        "post_ids": post_ids,  # type: ignore[dict-item]
    }


def run_neo4j(
    url: str, wipe: bool, posts: int, work: Path, sqlite: dict[str, Any]
) -> dict[str, float]:
    """The same pipeline, trace and impacts on Neo4j; and a bare UNWIND write baseline."""
    from neo4j_baseline import bare_unwind_write, empty_database

    empty_database(url, wipe)
    create_ledger(url, KeyDirectory(work / "keys"))
    ingest_s, peak_mb = ingest(url, work, posts)
    ledger = Ledger.open(url)
    measured = queries(ledger.store, sqlite["post_ids"], posts)
    again = queries(ledger.store, sqlite["post_ids"][:10], posts)
    ledger.close()
    measured["trace_first_warm_ms"] = again["trace_first_ms"]
    edges = int(sqlite["edges"])
    rows = (
        sqlite3.connect(work / "graph.db")
        .execute("SELECT up, down, kind, entry, time_us FROM edges")
        .fetchall()
    )
    bare_s = bare_unwind_write(url, rows)
    return {
        "neo4j_ingest_s": ingest_s,
        "neo4j_ingest_edges_per_s": edges / ingest_s,
        "neo4j_ingest_peak_rss_mb": peak_mb,
        "neo4j_bare_unwind_edges_per_s": len(rows) / bare_s,
        **{f"neo4j_{key}": value for key, value in measured.items()},
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        build(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--neo4j", metavar="URL", help="Also run on this Neo4j database.")
    parser.add_argument("--wipe-neo4j", action="store_true", help="Empty the Neo4j database first.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-graph-bench-") as tmp:
        result = run(args.posts, Path(tmp))
        if args.neo4j:
            result.update(run_neo4j(args.neo4j, args.wipe_neo4j, args.posts, Path(tmp), result))
    del result["post_ids"]
    if args.json:
        print(json.dumps(result))
        return
    r = result
    print(f"{r['posts']:,} posts, {r['edges']:,} edges, store {r['db_mb']:.0f} MB")
    print(
        f"  ingest {r['ingest_edges_per_s']:,.0f} edges/s vs raw SQLite insert"
        f" {r['raw_edges_per_s']:,.0f}/s = {r['ingest_ratio']:.2f} (target >= 0.4);"
        f" {r['ingest_s']:.1f} s, peak RSS {r['ingest_peak_rss_mb']:.0f} MB (target <= 300)"
    )
    print(
        f"  trace first origin {r['trace_first_ms']:.1f} ms (target <= 100); all"
        f" {r['trace_all_s']:.2f} s vs bare CTE {r['bare_cte_s']:.2f} s ="
        f" {r['trace_ratio']:.2f}x (target <= 3)"
    )
    print(
        f"  impact of 1,000 posts: p50 {r['impact_p50_ms']:.2f} ms, p99"
        f" {r['impact_p99_ms']:.2f} ms (target p99 <= 2)"
    )
    print(
        f"  check of the model, every origin against the reference policy:"
        f" {r['check_s']:.2f} s = {r['check_s'] / r['trace_all_s']:.2f}x the trace"
        f" (target <= 3x and <= 30 s); {r['check_violations']:,} violations"
    )
    print(
        f"  author of {r['author_posts']:,} posts: remediation plan {r['plan_author_s']:.3f} s"
        f" (target <= 1; the impact walk alone {r['impact_author_s']:.3f} s);"
        f" erase {r['erase_s']:.3f} s (target <= 1)"
    )
    if "neo4j_ingest_s" in r:
        print("on Neo4j, same pipeline and data:")
        print(
            f"  ingest {r['neo4j_ingest_edges_per_s']:,.0f} edges/s (target >= 20,000) ="
            f" {r['neo4j_ingest_edges_per_s'] / r['ingest_edges_per_s']:.2f}x SQLite's;"
            f" {r['neo4j_ingest_s']:.1f} s, client peak RSS"
            f" {r['neo4j_ingest_peak_rss_mb']:.0f} MB; bare batched UNWIND write of the same"
            f" edges {r['neo4j_bare_unwind_edges_per_s']:,.0f}/s"
        )
        print(
            f"  trace first origin {r['neo4j_trace_first_ms']:.1f} ms (query plans cached:"
            f" {r['neo4j_trace_first_warm_ms']:.1f} ms); all"
            f" {r['neo4j_trace_all_s']:.2f} s = {r['neo4j_trace_all_s'] / r['trace_all_s']:.2f}x"
            " SQLite's"
        )
        print(
            f"  impact p50 {r['neo4j_impact_p50_ms']:.2f} ms, p99 {r['neo4j_impact_p99_ms']:.2f} ms"
        )
        print(
            f"  check {r['neo4j_check_s']:.2f} s ="
            f" {r['neo4j_check_s'] / r['neo4j_trace_all_s']:.2f}x its trace;"
            f" plan for the author {r['neo4j_plan_author_s']:.3f} s"
        )


if __name__ == "__main__":
    main()
