"""Evidence bundles at size: one post's path, and a complete check of a model.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/bundle.py --posts 1000000

Builds a demo ledger of POSTS posts (or reuses --dir), registers the reference policy,
then measures in the same run:

- process start: ``lineage --version`` (the floor of any command), and
  ``lineage verify-bundle --help`` (the same through the command dispatch), best of 5;
- ``lineage bundle --post P --to MODEL`` and ``lineage verify-bundle`` of that bundle,
  best of 5 each, beside process start (target: each <= 100 ms more), and the bundle's
  size in KB;
- ``lineage check MODEL --policy P`` beside ``lineage check ... --bundle F --complete``
  and ``lineage verify-bundle F`` (which evaluates the policy again), with the bundle's
  size in MB (``--complete-posts`` caps the ledger this part runs on: complete bundles
  carry the whole ledger).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lineage.policy import reference_policy_path

LINEAGE = [sys.executable, "-c", "import sys; from lineage_cli.main import main; main()"]
ENV = {**os.environ, "LINEAGE_NO_PROGRESS": "1"}


def timed(args: list[str], runs: int = 5) -> float:
    """Best wall time of ``runs`` runs of ``lineage ARGS`` (exit 0 or 1 expected)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([*LINEAGE, *args], env=ENV, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"lineage {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return best


def demo(directory: Path, posts: int) -> dict[str, str]:
    """The demo's ids (model, kept post) in ``directory``, run now unless already there."""
    report = directory / "demo.json"
    if not report.exists():
        out = subprocess.run(
            [*LINEAGE, "demo", "--posts", str(posts), "--dir", str(directory), "--json"],
            env=ENV,
            capture_output=True,
            check=True,
        )
        report.write_bytes(out.stdout)
        db = f"sqlite:///{directory / 'lineage.db'}"
        keys = str(directory / "lineage-keys")
        policy = str(reference_policy_path())
        subprocess.run(
            [*LINEAGE, "policy", "register", policy, "--db", db, "--keys-dir", keys],
            env=ENV,
            capture_output=True,
            check=True,
        )
    data: dict[str, str] = json.loads(report.read_text())
    return data


def path_figures(directory: Path, posts: int) -> None:
    ids = demo(directory, posts)
    db = ["--db", f"sqlite:///{directory / 'lineage.db'}"]
    out = directory / "path.json"
    start = timed(["--version"])
    dispatch = timed(["verify-bundle", "--help"])
    made = timed(["bundle", "--post", ids["kept_post"], "--to", ids["model"], "-o", str(out), *db])
    checked = timed(["verify-bundle", str(out)])
    print(
        f"{posts:,}-post ledger: process start {start * 1000:.0f} ms (lineage --version),"
        f" {dispatch * 1000:.0f} ms to a command's --help"
    )
    print(
        f"  bundle --post: {made * 1000:.0f} ms ({(made - start) * 1000:+.0f} ms beside start),"
        f" {out.stat().st_size / 1024:.1f} KB"
    )
    print(f"  verify-bundle: {checked * 1000:.0f} ms ({(checked - start) * 1000:+.0f} ms)")


def complete_figures(directory: Path, posts: int) -> None:
    ids = demo(directory, posts)
    db = ["--db", f"sqlite:///{directory / 'lineage.db'}"]
    policy = ["--policy", str(reference_policy_path())]
    out = directory / "complete.json"
    plain = timed(["check", ids["model"], *policy, *db], runs=2)
    bundled = timed(["check", ids["model"], *policy, *db, "--bundle", str(out), "--complete"], 2)
    checked = timed(["verify-bundle", str(out)], runs=2)
    origins = json.loads(out.read_text())["claim"]["counts"]["origins"]
    print(f"complete check of {ids['model']} ({origins:,} origins, {posts:,}-post ledger):")
    print(
        f"  check: {plain:.1f} s; check --bundle --complete: {bundled:.1f} s"
        f" ({bundled / plain:.1f}x)"
    )
    print(
        f"  bundle {out.stat().st_size / 1e6:.1f} MB; verify-bundle (evaluates the policy"
        f" again): {checked:.1f} s ({checked / plain:.1f}x check)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--complete-posts", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, help="Keep the demo ledgers here (reused).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-bundle-bench-") as tmp:
        root = args.dir or Path(tmp)
        path_figures(root / f"demo-{args.posts}", args.posts)
        complete_figures(root / f"demo-{args.complete_posts}", args.complete_posts)


if __name__ == "__main__":
    main()
