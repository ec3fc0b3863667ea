"""`lineage check` and `lineage policy` through the CLI: register, gate, prove, record."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from lineage.crypto.merkle.verify import verify_inclusion
from lineage.crypto.note import open_checkpoint
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.policy.check import check
from lineage.policy.document import read_policy

from support.cli import run_cli
from support.ledgers import LedgerEnv
from support.policy_fixtures import HEAD, POLICY, build


@pytest.fixture
def policy_env(env: LedgerEnv) -> tuple[LedgerEnv, dict[str, str]]:
    return env, build(env)


def test_cli_check_registers_gates_and_proves(
    policy_env: tuple[LedgerEnv, dict[str, str]], tmp_path: Path
) -> None:
    env, _ = policy_env
    env.ledger.close()
    db = ("--db", env.url)
    keys = ("--keys-dir", str(env.root / "keys"))
    policy = tmp_path / "policy.toml"
    policy.write_bytes(POLICY.read_bytes())
    registered = run_cli("policy", "register", str(policy), *db, *keys, "--json")
    assert registered.exit_code == 0, registered.output
    entry = json.loads(registered.stdout)["entry"]

    failing = run_cli("check", "model:m1", "--policy", str(policy), *db, "--json")
    assert failing.exit_code == 1
    report = json.loads(failing.stdout)
    assert report["policy"]["registered_entry"] == entry and not report["ok"]
    ledger = Ledger.open(env.url)
    try:
        checkpoint = open_checkpoint(
            ledger.latest_checkpoint() or "", ledger.origin, env.admin.public
        )
    finally:
        ledger.close()
    for finding in report["findings"]:
        for e in finding["entries"]:
            proof = report["proofs"][str(e)]
            verify_inclusion(
                e,
                proof["tree_size"],
                base64.b64decode(proof["leaf_hash"]),
                [base64.b64decode(h) for h in proof["hashes"]],
                checkpoint.root,
            )
    text = run_cli("check", "model:m1", "--policy", str(policy), *db, *keys, "--record")
    assert text.exit_code == 1 and "FAIL: 13 violations, 3 notices" in text.stdout
    assert f"registered in entry {entry}" in text.stdout
    assert f"result recorded in entry {entry + 1}" in text.stdout
    ledger = Ledger.open(env.url)
    try:
        stored = ledger.store.entry(entry + 1)
        assert stored is not None
        recorded = json.loads(base64.b64decode(json.loads(stored[1])["payload"]))
        assert recorded["predicateType"] == "https://lineage.dev/CheckResult/v1"
        assert recorded["predicate"]["policy"]["sha256"] == report["policy"]["sha256"]
        assert recorded["predicate"]["violations"] == 13 and not recorded["predicate"]["ok"]
    finally:
        ledger.close()

    listed = run_cli("policy", "list", *db, "--json")
    assert json.loads(listed.stdout)["policies"][0]["entry"] == entry

    policy.write_text(POLICY.read_text().replace("2025-05-27", "2025-05-28"))
    edited = run_cli("check", "model:m1", "--policy", str(policy), *db)
    assert edited.exit_code == 2 and "was registered (entry" in edited.output

    clean = tmp_path / "clean.toml"
    clean.write_text(HEAD + "[[rules]]\nid='public'\nimplements='x'\nexpr='true'\n")
    passing = run_cli("check", "shard:s1", "--policy", str(clean), *db)
    assert "unknown-origin" in passing.stdout and passing.exit_code == 1
    missing = run_cli("check", "model:nope", "--policy", str(clean), *db)
    assert missing.exit_code == 2 and "no node model:nope" in missing.output
    assert verify_ledger(Ledger.open(env.url).store).ok


def test_runs_outside_the_policy_dates_are_named(graph: LedgerEnv) -> None:
    """The hand-built pipeline trained its models in May 2024, before the policy began."""
    summary = check(graph.ledger.store, "model:model-a-ft", read_policy(POLICY)).to_json()
    assert summary["runs_outside_policy_dates"] == [
        {"run": "model:model-a", "used": "2024-05-08T00:00:00Z"},
        {"run": "model:model-a-ft", "used": "2024-05-09T00:00:00Z"},
    ]
    graph.ledger.close()
    text = run_cli("check", "model:model-a-ft", "--policy", str(POLICY), "--db", graph.url)
    assert "outside the policy's effective dates (from 2024-06-26T00:00:00Z)" in text.stdout
