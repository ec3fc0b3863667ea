"""No silent truncation: every listing says how many of how many, 0 means all, and a
listing is the same whichever store holds the ledger."""

from __future__ import annotations

import json
from pathlib import Path

from lineage.ledger.copy import copy_ledger
from lineage.ledger.log import Ledger
from lineage.policy.check import check
from lineage.policy.document import read_policy
from lineage.query.show import show
from lineage.query.trace import Trace
from lineage.store import open_store

from support.cli import run_cli
from support.ledgers import LedgerEnv
from support.policy_fixtures import POLICY, build
from support.stores import fresh_store_url


def test_check_says_how_many_it_lists_and_zero_lists_all(sqlite_env: LedgerEnv) -> None:
    build(sqlite_env)
    db = ("--db", sqlite_env.url)
    few = json.loads(
        run_cli(
            "check", "model:m1", "--policy", str(POLICY), "--json", "--max-listed", "2", *db
        ).stdout
    )
    assert few["listed"] == {
        "violations": 2,
        "of_violations": few["violations"],
        "notices": 2,
        "of_notices": few["notices"],
    }
    assert few["violations"] > 2
    every = json.loads(
        run_cli(
            "check", "model:m1", "--policy", str(POLICY), "--json", "--max-listed", "0", *db
        ).stdout
    )
    assert (
        len(every["findings"]) == every["violations"]
        and every["listed"]["violations"] == every["violations"]
    )
    text = run_cli("check", "model:m1", "--policy", str(POLICY), "--max-listed", "2", *db).stdout
    assert f"violations listed: 2 of {few['violations']}" in text
    trace = run_cli("trace", "model:m1", "--limit", "3", *db).stdout
    assert "origins listed: 3 of 15, in id order" in trace


def test_listings_are_the_same_on_both_stores(sqlite_env: LedgerEnv, tmp_path: Path) -> None:
    build(sqlite_env)
    neo4j_url = fresh_store_url("neo4j", tmp_path)
    target = open_store(neo4j_url, create=True)
    try:
        copy_ledger(sqlite_env.ledger.store, target)
    finally:
        target.close()
    policy = read_policy(POLICY)
    seen = []
    for url in (sqlite_env.url, neo4j_url):
        ledger = Ledger.open(url)
        try:
            report = check(ledger.store, "model:m1", policy, max_listed=4)
            origins = [o.row.id for o in Trace(ledger.store, "model:m1").first_origins(5)]
            edges = [h.to_json() for h in show(ledger, "shard:s1", max_edges=3).edges]
            seen.append(([f.to_json() for f in report.findings], origins, edges))
        finally:
            ledger.close()
    assert seen[0] == seen[1]
    assert len(seen[0][0]) == 4 and len(seen[0][1]) == 5 and len(seen[0][2]) == 3
