"""The demo's shard files say which ledger record each line is, so a plan that says
"remove these records from shard S" can be carried out on the file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from lineage.demo.run import run_demo
from lineage.ledger.log import Ledger
from lineage.model.graph import PACKED_INTO


def test_every_line_of_a_shard_names_a_record_the_ledger_packed_into_it(tmp_path: Path) -> None:
    report = run_demo(tmp_path, posts=400)
    ledger = Ledger.open(report.store)
    try:
        for shard in report.run.shards[:3]:
            with gzip.open(shard.path, "rt") as handle:
                lines = [json.loads(line) for line in handle]
            packed = {e.up for e in ledger.store.edges_into([shard.id], PACKED_INTO)}
            assert [line["record"] for line in lines] and {
                line["record"] for line in lines
            } == packed
            assert len(lines) == shard.records
    finally:
        ledger.close()
