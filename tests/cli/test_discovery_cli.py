"""A newcomer given only a ledger: ``lineage ls`` says what it holds, ``lineage search``
finds a model or a raw post id, and a check runs against a registered policy by its id,
with no file at hand; ``lineage policy show`` prints that policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage_cli.common import stdout

from support.cli import run_cli
from support.ledgers import LedgerEnv
from support.policy_fixtures import POLICY, build


def test_ls_counts_everything_and_lists_each_kind_with_whole_ids(
    sqlite_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(sqlite_env)
    db = ("--db", sqlite_env.url)
    counts = json.loads(run_cli("ls", "--json", *db).stdout)["counts"]
    assert counts["models"] == 2 and counts["shards"] >= 1 and counts["checks"] == 0
    models = json.loads(run_cli("ls", "models", "--json", *db).stdout)
    assert models["total"] == 2 and {r["id"] for r in models["rows"]} == {"model:m1", "model:m2"}
    monkeypatch.setattr(stdout, "width", 60)
    shown = run_cli("ls", "keys", *db)
    assert shown.exit_code == 0
    keyids = [r["keyid"] for r in json.loads(run_cli("ls", "keys", "--json", *db).stdout)["rows"]]
    assert "…" not in shown.stdout  # a narrow terminal gets a block a row, ids whole
    assert all(f"keyid: {keyid}" in shown.stdout for keyid in keyids)
    monkeypatch.setattr(stdout, "width", 300)
    wide = run_cli("ls", "keys", *db).stdout  # a table when it fits
    assert "┃ keyid" in wide and all(keyid in wide for keyid in keyids)
    bad = run_cli("ls", "posts", *db)
    assert bad.exit_code == 2 and "posts" in bad.output


def test_search_finds_a_raw_post_id_and_says_when_nothing_matches(sqlite_env: LedgerEnv) -> None:
    posts = build(sqlite_env)
    db = ("--db", sqlite_env.url)
    raw = "fb:" + next(iter(posts))
    found = json.loads(run_cli("search", raw, "--json", *db).stdout)
    assert found["raw"][0]["raw_kind"] == "post" and found["raw"][0]["id"] == posts[raw[3:]]
    text = run_cli("search", raw, *db)
    assert text.exit_code == 0 and posts[raw[3:]] in text.stdout
    missing = run_cli("search", "nothing-like-this", *db)
    assert missing.exit_code == 1 and "nothing in the ledger matches" in missing.output


def test_a_registered_policy_is_checked_by_its_id_and_shown(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    build(sqlite_env)
    db = ("--db", sqlite_env.url)
    keys = ("--keys-dir", str(sqlite_env.root / "keys"))
    assert run_cli("policy", "register", str(POLICY), *db, *keys).exit_code == 0
    policy_id = json.loads(run_cli("policy", "list", "--json", *db).stdout)["policies"][0]["id"]
    by_file = json.loads(
        run_cli("check", "model:m1", "--policy", str(POLICY), "--json", *db).stdout
    )
    by_id = json.loads(run_cli("check", "model:m1", "--policy", policy_id, "--json", *db).stdout)
    assert by_id["violations"] == by_file["violations"] > 0
    assert by_id["policy"] == by_file["policy"]
    shown = json.loads(run_cli("policy", "show", policy_id, "--json", *db).stdout)
    assert shown["sha256"] == by_file["policy"]["sha256"] and shown["rules"]
    assert (
        run_cli("policy", "show", policy_id, "--text", *db).stdout.encode() == POLICY.read_bytes()
    )
    version = shown["version"]
    assert run_cli("check", "model:m1", "--policy", f"{policy_id}@{version}", *db).exit_code == 1
    unknown = run_cli("check", "model:m1", "--policy", "no-such-policy", *db)
    assert unknown.exit_code == 2
    assert "no policy 'no-such-policy' is registered" in unknown.output
    other = run_cli("check", "model:m1", "--policy", f"{policy_id}@0.0", *db)
    assert other.exit_code == 2 and "is registered" in other.output


def test_a_raw_platform_id_is_accepted_where_a_node_id_is(sqlite_env: LedgerEnv) -> None:
    posts = build(sqlite_env)
    db = ("--db", sqlite_env.url)
    raw, node = "fb:" + next(iter(posts)), posts[next(iter(posts))]
    by_raw = json.loads(run_cli("impact", raw, "--json", *db).stdout)
    by_option = json.loads(run_cli("impact", "--post", raw, "--json", *db).stdout)
    assert by_raw == by_option and by_raw["start"] == node
    shown = json.loads(run_cli("show", raw, "--json", *db).stdout)
    assert shown["id"] == node
    author = json.loads(run_cli("impact", "fb:user:ok", "--json", *db).stdout)
    assert author["start"].startswith("subject:")
    missing = run_cli("show", "fb:nobody", *db)
    assert missing.exit_code == 2 and "lineage search" in missing.output
