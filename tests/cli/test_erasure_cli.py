"""`lineage impact --author`, `erase` and `receipt` through the CLI (on both stores)."""

from __future__ import annotations

import base64
import json

from lineage.crypto.merkle.verify import verify_inclusion
from lineage.crypto.note import open_checkpoint
from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.ledgers import LedgerEnv


def test_plan_of_an_author_through_the_cli(graph: LedgerEnv) -> None:
    graph.ledger.close()
    result = run_cli("impact", "--author", "ig:user:C", "--db", graph.url, "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    # ig:4 reached shard-b; fb:5 was dropped as a duplicate
    assert [s["shard"] for s in plan["shards"]] == ["shard:shard-b"]
    assert [m["model"] for m in plan["retrain"]] == ["model:model-a-ft", "model:model-b"]
    text = run_cli("impact", "--author", "ig:user:C", "--db", graph.url)
    assert "retrain: model:model-b, 1 of its 2 shards affected: shard:shard-b" in text.stdout


def test_cli_erase_and_receipts(graph: LedgerEnv) -> None:
    graph.ledger.close()
    db = ("--db", graph.url)
    keys = ("--keys-dir", str(graph.root / "keys"))
    objection = run_cli("receipt", "--author", "ig:user:C", *db, "--json")
    assert objection.exit_code == 0, objection.output
    (item,) = json.loads(objection.stdout)["receipts"]
    assert item["kind"] == "objection" and item["made"] == "2024-05-25T00:00:00Z"
    ledger = Ledger.open(graph.url)
    try:
        proof = item["proof"]
        checkpoint = open_checkpoint(proof["checkpoint"], ledger.origin, graph.admin.public)
        verify_inclusion(
            item["entry"],
            proof["tree_size"],
            base64.b64decode(proof["leaf_hash"]),
            [base64.b64decode(h) for h in proof["hashes"]],
            checkpoint.root,
        )
    finally:
        ledger.close()
    none = run_cli("receipt", "--author", "fb:user:A", *db)
    assert none.exit_code == 0 and "no objection or erasure request" in none.stdout

    erased = run_cli("erase", "--author", "ig:user:C", *db, *keys)
    assert erased.exit_code == 0, erased.output
    assert "erasure request by subject:" in erased.stdout and "erased:" in erased.stdout
    traced = json.loads(run_cli("trace", "model:model-b", *db, "--json").stdout)["origins"]
    assert sorted(o["erased"] for o in traced) == [False, False, True]
    again = run_cli("erase", "--author", "ig:user:C", *db, *keys)
    assert again.exit_code == 0 and "nothing erased" in again.stdout
    gone = run_cli("receipt", "--author", "ig:user:C", *db)
    assert gone.exit_code == 2 and "never recorded, or erased" in gone.output
    assert run_cli("verify", *db).exit_code == 0
