"""`lineage demo` at size: wall time and peak memory of the whole process tree.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/demo.py --posts 1000000 --store lake --store sqlite

Baseline in the same run: generating the same corpus alone (the simulator's
input, no ledger), so the figure says what the ledger adds to making the data; with
several ``--store`` the demo runs on each, one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from ledger import run_measured  # noqa: E402
from lineage.demo.corpus import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", action="append", choices=["sqlite", "lake"])
    args = parser.parse_args()
    for store in args.store or ["sqlite"]:
        run_demo(args.posts, args.seed, store)


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run_demo(posts: int, seed: int, store: str) -> None:
    """One ``lineage demo`` on ``store``, measured beside generating its corpus alone."""
    start = time.perf_counter()
    for _ in generate(posts, seed):
        pass
    corpus_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="lineage-demo-bench-") as tmp:
        command = [
            sys.executable,
            "-c",
            "import sys; from lineage_cli.main import main; sys.argv = sys.argv[1:]; main()",
            "lineage",
            "demo",
            "--posts",
            str(posts),
            "--seed",
            str(seed),
            "--store",
            store,
            "--dir",
            str(Path(tmp) / "demo"),
            "--json",
        ]
        env = {**os.environ, "LINEAGE_NO_PROGRESS": "1"}
        seconds, peak_mb = run_measured(command, env)
        store_mb = _size_mb(Path(tmp) / "demo" / ("lake" if store == "lake" else "lineage.db"))
    print(
        f"lineage demo --store {store} --posts {posts:,}: {seconds:.1f} s wall, peak RSS"
        f" {peak_mb:.0f} MB (process tree), store {store_mb:.0f} MB; generating the corpus"
        f" alone: {corpus_s:.1f} s ({seconds / corpus_s:.1f}x)"
    )
    print(json.dumps({"store": store, "posts": posts, "seconds": seconds, "peak_rss_mb": peak_mb}))


if __name__ == "__main__":
    main()
