"""bench/graph.py's synthetic pipeline through the columnar API: the same posts, authors,
steps, shards, dataset and model, recorded a chunk of posts at a time from Arrow tables.

Run as a child by bench/scale.py (``--child URL KEYS POSTS``) so its peak RSS is its own.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from graph import HEAVY_AUTHOR, SHARDS, bench_steps  # noqa: E402
from ledger import run_measured  # noqa: E402
from lineage.ingest.pipeline import Lineage  # noqa: E402
from lineage.model.identity import SeededKeySource  # noqa: E402

BATCH_SIZE = 10_000
"""Edges a statement carries on the columnar path."""


def _posts(first: int, last: int, authors: int) -> pa.Table:
    numbers = range(first, last)
    return pa.table(
        {
            "post_id": [f"fb:{n}" for n in numbers],
            "platform": ["facebook" if n % 3 else "instagram" for n in numbers],
            "surface": ["feed"] * len(numbers),
            "visibility": ["public"] * len(numbers),
            "created": ["2024-05-01T00:00:00Z"] * len(numbers),
            "jurisdiction": ["US" if n % 5 else "BR" for n in numbers],
            "author": [
                HEAVY_AUTHOR if n % 1000 == 0 else f"fb:user:{n % authors}" for n in numbers
            ],
            "author_age": ["adult"] * len(numbers),
        }
    )


def build(url: str, keys_dir: Path, posts: int) -> None:
    """The child process: the pipeline, a whole number of shards at a time."""
    with Lineage.open(
        url,
        keys_dir=keys_dir,
        batch_size=BATCH_SIZE,
        statements_per_append=8,
        background=True,
        key_source=SeededKeySource(2024),
    ) as lineage:
        steps = bench_steps(lineage)
        authors = max(1, posts // 10)
        per_shard = -(-posts // SHARDS)
        chunk = per_shard * max(1, 20_000 // per_shard)
        shards = []
        for first in range(0, posts, chunk):
            last = min(posts, first + chunk)
            records = steps["collect"].origins(_posts(first, last, authors))
            records = steps["visibility"].keeps(records)
            records = steps["jurisdiction"].keeps(records)
            records = steps["pii-redact"].transforms(records)
            records = steps["dedup"].keeps(records)
            for start in range(0, len(records), per_shard):
                digest = hashlib.sha256(b"shard %d" % len(shards)).hexdigest()
                members = records.take(range(start, min(len(records), start + per_shard)))
                shards.append(
                    steps["pack"].shard(
                        f"shard-{len(shards):04d}",
                        sha256=digest,
                        size=per_shard * 100,
                        records=members,
                    )
                )
        dataset = steps["dataset"].dataset("bench-ds", shards=shards, version="1")
        steps["train"].model("bench-model", trained_on=[dataset])


def ingest(url: str, work: Path, posts: int) -> tuple[float, float]:
    """Run the columnar pipeline in a child process: (seconds, peak RSS MB)."""
    env = {**os.environ, "LINEAGE_NO_PROGRESS": "1"}
    return run_measured(
        [sys.executable, str(Path(__file__)), "--child", url, str(work / "keys"), str(posts)], env
    )


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    build(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
