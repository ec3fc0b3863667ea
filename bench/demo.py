"""`lineage demo` at size: wall time and peak memory of the whole process tree.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/demo.py --posts 1000000

Baseline in the same run: generating the same corpus alone (the simulator's
input, no ledger), so the figure says what the ledger adds to making the data.
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
    args = parser.parse_args()
    start = time.perf_counter()
    for _ in generate(args.posts, args.seed):
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
            str(args.posts),
            "--seed",
            str(args.seed),
            "--dir",
            str(Path(tmp) / "demo"),
            "--json",
        ]
        env = {**os.environ, "LINEAGE_NO_PROGRESS": "1"}
        seconds, peak_mb = run_measured(command, env)
        store_mb = (Path(tmp) / "demo" / "lineage.db").stat().st_size / 1e6
    print(
        f"lineage demo --posts {args.posts:,}: {seconds:.1f} s wall, peak RSS {peak_mb:.0f} MB"
        f" (process tree), store {store_mb:.0f} MB; generating the corpus alone:"
        f" {corpus_s:.1f} s ({seconds / corpus_s:.1f}x)"
    )
    print(json.dumps({"posts": args.posts, "seconds": seconds, "peak_rss_mb": peak_mb}))


if __name__ == "__main__":
    main()
