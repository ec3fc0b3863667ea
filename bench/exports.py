"""Exports of the demo's base model (PROV, OpenLineage, the EU AI Act summary) beside its
trace: wall time, peak memory, output size.

Run by hand (figures go in the issue note and bench/README.md):

    .venv/bin/python bench/exports.py --posts 100000
    .venv/bin/python bench/exports.py --dir DEMO_DIR --store lake   # a demo already made

Baseline in the same run: ``lineage trace MODEL --jsonl`` of the same model (every origin
as a line, then the summary), the walk each export starts with. Each export is written
with ``-o FILE`` by a child process whose peak RSS is polled.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from report import MODEL, lineage, on_demo  # noqa: E402

EXPORTS: list[tuple[str, list[str]]] = [
    ("prov json", ["export", "prov", MODEL, "--format", "json"]),
    ("prov ttl", ["export", "prov", MODEL, "--format", "ttl"]),
    ("openlineage", ["export", "openlineage", MODEL]),
    ("openlineage records", ["export", "openlineage", MODEL, "--records"]),
    ("eu-ai-act summary", ["summary", MODEL, "--format", "eu-ai-act", "--json"]),
]
"""(name, command) of each export measured; each is given ``-o FILE --db URL``."""


def main() -> None:
    on_demo(__doc__ or "", "lineage-exports-bench-", measure)


def measure(db: str, out: Path) -> None:
    """The baseline, then each export, printed as lines and one JSON object."""
    traced = out / "trace.jsonl"
    trace_s, trace_mb = lineage(
        "trace", MODEL, "--jsonl", "--limit", "0", "--db", db, stdout=traced
    )
    trace_bytes = traced.stat().st_size
    figures: dict[str, object] = {
        "db": db,
        "trace": {"seconds": trace_s, "peak_mb": trace_mb, "bytes": trace_bytes},
    }
    print(
        f"baseline: lineage trace {MODEL} --jsonl: {trace_s:.2f} s, peak {trace_mb:.0f} MB,"
        f" {trace_bytes / 1e6:.2f} MB"
    )
    for name, command in EXPORTS:
        written = out / (name.replace(" ", ".") + (".json" if name.endswith("summary") else ""))
        seconds, peak = lineage(*command, "-o", str(written), "--db", db)
        size = written.stat().st_size
        figures[name] = {"seconds": seconds, "peak_mb": peak, "bytes": size}
        print(
            f"{name}: {seconds:.2f} s = {seconds / trace_s:.1f}x the trace, peak {peak:.0f} MB"
            f" ({peak / trace_mb:.1f}x), {size / 1e6:.2f} MB ({size / trace_bytes:.1f}x)"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
