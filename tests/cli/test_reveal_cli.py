"""``--reveal PURPOSE`` on check, impact and show: the privacy team sees raw platform ids
next to the pseudonyms, only with the log key, and the reveal is in the ledger before
anything is shown."""

from __future__ import annotations

import json
from pathlib import Path

from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.ledgers import LedgerEnv
from support.policy_fixtures import POLICY, build


def _keys(env: LedgerEnv) -> tuple[str, ...]:
    return ("--db", env.url, "--keys-dir", str(env.root / "keys"))


def test_check_reveals_the_origins_of_its_findings(sqlite_env: LedgerEnv) -> None:
    build(sqlite_env)
    size = sqlite_env.ledger.size()
    policy = ("--policy", str(POLICY))
    result = run_cli("check", "model:m1", *policy, "--reveal", "DSAR 7", *_keys(sqlite_env))
    assert result.exit_code == 1, result.output  # the fixture's model fails
    assert "= fb:br" in result.output and "fb:user:br" in result.output
    assert "revealed (logged in entry " in result.output
    assert _size(sqlite_env) == size + 1  # the reveal, logged


def test_impact_and_show_reveal_in_json(sqlite_env: LedgerEnv) -> None:
    build(sqlite_env)
    keys = _keys(sqlite_env)
    impact = run_cli("impact", "--author", "fb:user:ok", "--reveal", "ticket", "--json", *keys)
    assert impact.exit_code == 0, impact.output
    revealed = {r["node"]: r["raw"] for r in json.loads(impact.stdout)["revealed"]["revealed"]}
    assert set(revealed.values()) == {"fb:ok", "fb:user:ok"}
    shown = run_cli("show", "--post", "fb:ok", "--reveal", "ticket", "--json", *keys)
    assert shown.exit_code == 0, shown.output
    assert "fb:user:ok" in {r["raw"] for r in json.loads(shown.stdout)["revealed"]["revealed"]}


def test_reveal_needs_the_log_key_and_a_purpose(sqlite_env: LedgerEnv, tmp_path: Path) -> None:
    build(sqlite_env)
    size = _size(sqlite_env)
    nokeys = ("--db", sqlite_env.url, "--keys-dir", str(tmp_path / "empty"))
    missing = run_cli("show", "--post", "fb:ok", "--reveal", "ticket", *nokeys)
    assert missing.exit_code == 2 and "key" in missing.output
    assert "fb:user:ok" not in missing.output
    blank = run_cli("show", "--post", "fb:ok", "--reveal", " ", *_keys(sqlite_env))
    assert blank.exit_code == 2 and "say why" in blank.output
    model = run_cli("show", "model:m1", "--reveal", "ticket", *_keys(sqlite_env))
    assert model.exit_code == 2 and "only posts and authors" in model.output
    assert _size(sqlite_env) == size  # nothing was logged by the refused reveals


def _size(env: LedgerEnv) -> int:
    ledger = Ledger.open(env.url)
    try:
        return ledger.size()
    finally:
        ledger.close()
