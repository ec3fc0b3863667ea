"""What verify finds in a lake whose parts were changed underneath it, beyond rows that
differ from the signed entries: a column of another type (which queries would cast
silently), rows with NULL keys, and two rows of one key and one entry (reads would pick
either); and an entry that drops a node twice keeps its first reason, as on SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.crypto.dsse import sign_envelope
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.predicates import LINEAGE
from lineage.model.statement import Step, make_statement

from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import T0, LedgerEnv, ledger_env
from support.stores import edit, fresh_store_url

CHANGES = {
    "entry as text": (
        "ALTER TABLE nodes ALTER entry TYPE VARCHAR;"
        " UPDATE nodes SET entry = '0' || entry WHERE id = 'shard:shard-a'",
        "does not have its table's columns and types",
    ),
    "a node with no id": (
        "INSERT INTO nodes VALUES (NULL, 'Post', '{}', 5, 0)",
        "graph node None: stored but asserted by no entry",
    ),
    "an edge with no upstream end": (
        "INSERT INTO edges VALUES ('shard:shard-a', NULL, 'PACKED_INTO', 5, 0)",
        "stored but asserted by no entry",
    ),
    "a second row of a node under its entry": (
        'INSERT INTO nodes SELECT id, kind, \'{"records":3,"sha256":"x","size":1}\','
        " entry, time_us FROM nodes WHERE id = 'shard:shard-a'",
        "nodes rows differ under one key and entry",
    ),
    "a second reason for a drop": (
        "INSERT INTO drops SELECT node, entry, 'forged', time_us FROM drops",
        "drops rows differ under one key and entry",
    ),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("lake-tamper")
    environments = ledger_env(base, fresh_store_url("lake", base))
    env = next(environments)
    ingest_hand_built_pipeline(env)
    env.ledger.close()
    yield base / "lake"


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_verify_finds_parts_changed_underneath(pipeline: Path, tmp_path: Path, change: str) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(pipeline, lake)
    url = f"lake:///{lake}"
    sql, problem = CHANGES[change]
    edit(url, sql=[sql], cypher=[])
    ledger = Ledger.open(url)
    try:
        report = verify_ledger(ledger.store)
    finally:
        ledger.close()
    assert not report.ok
    assert any(problem in p.detail for p in report.problems), report.problems


def test_an_entry_that_drops_a_node_twice_keeps_its_first_reason(
    tmp_path: Path,
) -> None:
    posts = [f"post:{n:024x}" for n in range(50)]
    edges = [["DROPPED", post, f"reason-{k}"] for post in posts for k in range(3)]
    counts = {}
    for store in ("sqlite", "lake"):
        env: LedgerEnv = next(
            ledger_env(tmp_path / store, fresh_store_url(store, tmp_path / store))
        )
        statement = make_statement(
            [{"name": "ds:x", "digest": {"sha256": "0" * 64}}],
            LINEAGE,
            Step("collect", "1", "r"),
            T0,
            {"nodes": [["Dataset", "ds:x", {}]], "edges": edges},
        )
        env.append([sign_envelope(statement.payload(), env.collector)])
        assert verify_ledger(env.ledger.store).ok
        counts[store] = env.ledger.store.drop_counts()
        env.ledger.close()
    assert counts["lake"] == counts["sqlite"] == [(counts["sqlite"][0][0], "reason-0", 50)]
