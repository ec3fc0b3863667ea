"""`lineage report` of the demo's base model: wall time, peak memory and file size.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/report.py --posts 100000
    .venv/bin/python bench/report.py --dir DEMO_DIR --store lake   # a demo already made

Baseline in the same run: ``lineage trace MODEL --json`` of the same model (the walk
every report starts with). The report is measured without a policy, with the demo's
registered policy (the compliance section and 20 path drawings), and with --pdf.
Goal at 10^5 posts: at most 10 s and 5 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from ledger import run_measured  # noqa: E402

_CLI = "import sys; from lineage_cli.main import main; sys.argv = sys.argv[1:]; main()"
MODEL = "model:demo-1-base"
POLICY = "public-content-training"


def main() -> None:
    on_demo(__doc__ or "", "lineage-report-bench-", measure)


def on_demo(doc: str, prefix: str, measuring: Callable[[str, Path], None]) -> None:
    """Parse --posts, --store and --dir, make the demo (unless --dir names one made
    earlier) and run ``measuring(store URL, scratch directory)`` on it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--store", choices=["sqlite", "lake"], default="sqlite")
    parser.add_argument("--dir", type=Path, help="A demo directory made earlier (no new demo).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        measuring(demo_db(args.posts, args.store, args.dir, Path(tmp)), Path(tmp))


def demo_db(posts: int, store: str, made: Path | None, tmp: Path) -> str:
    """The store URL of the demo made earlier in ``made``, else of a new demo of ``posts``
    posts in ``tmp``."""
    demo = made or tmp / "demo"
    if made is None:
        lineage("demo", "--posts", str(posts), "--store", store, "--dir", str(demo))
    if store == "lake":
        return f"lake:///{demo.resolve()}/lake"
    return f"sqlite:///{demo.resolve()}/lineage.db"


def lineage(*args: str, stdout: Path | None = None) -> tuple[float, float]:
    """Run the CLI in a child (its output into the file ``stdout``, if given); (seconds,
    peak RSS in MB)."""
    env = {**os.environ, "LINEAGE_NO_PROGRESS": "1"}
    return run_measured([sys.executable, "-c", _CLI, "lineage", *args], env, stdout)


def measure(db: str, out: Path) -> None:
    """The baseline, then each kind of report, printed as lines and one JSON object."""
    trace_s, trace_mb = lineage("trace", MODEL, "--db", db, "--json")
    figures: dict[str, object] = {"db": db, "trace_s": trace_s, "trace_peak_mb": trace_mb}
    print(f"baseline: lineage trace {MODEL} --json: {trace_s:.2f} s, peak {trace_mb:.0f} MB")
    for name, extra in (
        ("plain", []),
        ("policy", ["--policy", POLICY]),
        ("pdf", ["--policy", POLICY, "--pdf"]),
    ):
        page = out / f"{name}.html"
        seconds, peak = lineage("report", MODEL, "--db", db, "-o", str(page), *extra)
        size = page.stat().st_size
        pdf = page.with_suffix(".pdf")
        pdf_size = pdf.stat().st_size if pdf.exists() else 0
        figures[name] = {"seconds": seconds, "peak_mb": peak, "html_bytes": size, "pdf": pdf_size}
        print(
            f"report ({name}): {seconds:.2f} s = {seconds / trace_s:.2f}x the trace, peak"
            f" {peak:.0f} MB, {size / 1e6:.2f} MB HTML"
            + (f", {pdf_size / 1e6:.2f} MB PDF" if pdf_size else "")
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
