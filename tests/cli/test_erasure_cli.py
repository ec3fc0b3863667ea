"""`lineage impact --author`, `erase` and `receipt` through the CLI (on both stores)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

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
    assert none.exit_code == 0 and "no request recorded for" in none.stdout

    erased = run_cli("erase", "--author", "ig:user:C", "--yes", *db, *keys)
    assert erased.exit_code == 0, erased.output
    assert "erasure request about subject:" in erased.stdout and "erased:" in erased.stdout
    traced = json.loads(run_cli("trace", "model:model-b", *db, "--json").stdout)["origins"]
    assert sorted(o["erased"] for o in traced) == [False, False, True]
    again = run_cli("erase", "--author", "ig:user:C", "--yes", *db, *keys)
    assert again.exit_code == 0 and "nothing erased" in again.stdout
    gone = run_cli("receipt", "--author", "ig:user:C", *db)
    assert gone.exit_code == 2 and "never recorded, or erased" in gone.output
    assert run_cli("verify", *db).exit_code == 0


def test_erase_shows_the_plan_and_asks_first(graph: LedgerEnv) -> None:
    graph.ledger.close()
    db = ("--db", graph.url, "--keys-dir", str(graph.root / "keys"))
    dry = run_cli("erase", "--author", "ig:user:C", "--dry-run", *db)
    assert dry.exit_code == 0, dry.output
    assert "retrain: model:model-b, 1 of its 2 shards affected: shard:shard-b" in dry.stdout
    refused = run_cli("erase", "--author", "ig:user:C", *db, input="n\n")
    assert refused.exit_code == 2 and "nothing erased (not confirmed" in refused.output
    unanswered = run_cli("erase", "--author", "ig:user:C", *db)
    assert unanswered.exit_code == 2 and "--yes erases without asking" in unanswered.output
    still = run_cli("receipt", "--author", "ig:user:C", *db[:2], "--json")
    assert still.exit_code == 0 and [r["kind"] for r in json.loads(still.stdout)["receipts"]] == [
        "objection"
    ]
    confirmed = run_cli("erase", "--author", "ig:user:C", *db, input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "erased:" in confirmed.stdout


def test_a_receipt_outlasts_the_erasure_and_names_no_one(graph: LedgerEnv, tmp_path: Path) -> None:
    graph.ledger.close()
    db = ("--db", graph.url)
    keys = ("--keys-dir", str(graph.root / "keys"))
    erased = json.loads(
        run_cli("erase", "--author", "ig:user:C", "--yes", "--json", *db, *keys).stdout
    )
    receipt_id = erased["receipt"]["id"]
    assert re.fullmatch(r"\d+:\d+", receipt_id)
    assert erased["receipt"]["answered_by"] == erased["erasure_entry"]
    found = run_cli("receipt", "--id", receipt_id, *db, "--json")
    assert found.exit_code == 0, found.output
    (item,) = json.loads(found.stdout)["receipts"]
    assert (item["kind"], item["answered_by"]) == ("erasure", erased["erasure_entry"])
    assert "ig:user:C" not in found.stdout
    out = tmp_path / "receipt.json"
    bundled = run_cli("receipt", "--id", receipt_id, *db, "--bundle", str(out))
    assert bundled.exit_code == 0 and f"bundle written: {out}" in bundled.stdout
    checked = run_cli("verify-bundle", str(out))
    assert checked.exit_code == 0, checked.output
    assert "PROVEN: 1 request(s) about subject:" in checked.stdout
    disclosed = [json.loads(i["item"]) for i in json.loads(out.read_text())["items"]]
    assert [d[0] for d in disclosed] == ["erasure"]
    unknown = run_cli("receipt", "--id", "999:0", *db)
    assert unknown.exit_code == 2 and "entry 999 does not exist" in unknown.output


def test_a_post_deletion_request_has_a_receipt_and_a_bundle(
    graph: LedgerEnv, tmp_path: Path
) -> None:
    graph.ledger.close()
    db = ("--db", graph.url)
    found = run_cli("receipt", "--post", "ig:3", *db, "--json")
    assert found.exit_code == 0, found.output
    (item,) = json.loads(found.stdout)["receipts"]
    assert item["kind"] == "deletion" and item["made"] == "2024-05-20T00:00:00Z"
    out = tmp_path / "deletion.json"
    assert run_cli("receipt", "--post", "ig:3", *db, "--bundle", str(out)).exit_code == 0
    bundle = json.loads(out.read_text())
    assert [json.loads(i["item"])[0] for i in bundle["items"]] == ["deletion"]
    objector = json.loads(run_cli("receipt", "--author", "ig:user:C", *db, "--json").stdout)
    assert objector["receipts"][0]["subject"] not in out.read_text()
    assert run_cli("verify-bundle", str(out)).exit_code == 0
