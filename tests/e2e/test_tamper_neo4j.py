"""Edits made in Neo4j underneath lineage make verify fail and say where."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger

from support.cli import run_cli
from support.graph_fixtures import ids, ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, example_envelope, ledger_env
from support.stores import NEO4J_URL, edit, fresh_store_url, neo4j_driver


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[LedgerEnv]:
    """22 entries in Neo4j, checkpoints at sizes 1, 2, 16 and 22."""
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        env.append([example_envelope(env.collector, n=i) for i in range(14)])
        env.append([example_envelope(env.collector, n=i) for i in range(14, 20)])
        yield env


def flip_bytes(label: str, key: str, value: int, field: str) -> None:
    """Flip one bit of a byte-array property, through the driver as a user could."""
    driver = neo4j_driver()
    match = f"MATCH (x:{label} {{{key}: $value}})"
    records, _, _ = driver.execute_query(f"{match} RETURN x.{field}", value=value)
    data = bytearray(records[0][0])
    data[len(data) // 2] ^= 0x01
    driver.execute_query(f"{match} SET x.{field} = $data", value=value, data=bytes(data))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda: flip_bytes("LedgerEntry", "idx", 6, "body"), "entry 6: "),
        (lambda: flip_bytes("TreeHash", "key", 12, "hash"), "tree node level 0 index 6: stored"),
        (lambda: flip_bytes("TreeHash", "key", 7, "hash"), "tree node level 3 index 0: stored"),
        (
            lambda: edit(
                NEO4J_URL,
                sql=[],
                cypher=[
                    "MATCH (c:Checkpoint {size: 22})"
                    " SET c.note = replace(c.note, '\n22\n', '\n23\n')"
                ],
            ),
            "checkpoint at size 22: ",
        ),
        (
            lambda: edit(NEO4J_URL, sql=[], cypher=["MATCH (e:LedgerEntry {idx: 9}) DELETE e"]),
            "entry 9: missing",
        ),
        (
            lambda: edit(NEO4J_URL, sql=[], cypher=["DROP CONSTRAINT lineage_entry_leaf"]),
            "lineage_entry_leaf is missing",
        ),
    ],
    ids=["entry byte", "leaf hash", "tree hash", "checkpoint", "middle entry", "constraint"],
)
def test_edits_made_in_neo4j_are_found(
    filled: LedgerEnv, change: Callable[[], None], expected: str
) -> None:
    assert verify_ledger(filled.ledger.store).ok
    try:
        change()
        result = run_cli("verify", "--db", filled.url)
        assert result.exit_code == 1 and expected in result.output, result.output
    finally:
        neo4j_driver().execute_query(
            "CREATE CONSTRAINT lineage_entry_leaf IF NOT EXISTS"
            " FOR (e:LedgerEntry) REQUIRE e.leaf IS UNIQUE"
        )


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[LedgerEnv]:
    """The hand-built pipeline in Neo4j."""
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        yield ingest_hand_built_pipeline(env)


@pytest.mark.parametrize(
    ("node", "change"),
    [
        ("fb:1", "SET n.jurisdiction = 'ES'"),
        ("fb:1", "REMOVE n.platform"),
        ("fb:1", "SET n.sha256 = 'ab'"),
        ("fb:1", 'SET n.other_attrs = \'{"uri":"x"}\''),
        ("shard:shard-a", "SET n.size = toFloat(n.size)"),
        ("shard:shard-a", "SET n.name = 'shard harmless'"),
    ],
    ids=["changed", "removed", "added", "other_attrs", "type", "caption"],
)
def test_a_property_edited_in_neo4j_is_found(pipeline: LedgerEnv, node: str, change: str) -> None:
    """Editing a node's property in Neo4j (a value, its type, a property added or removed,
    its caption) makes ``lineage verify`` fail naming the node; an edited attribute is
    also what lineage then reads."""
    node_id = ids(pipeline).get(node, node)
    assert run_cli("verify", "--db", pipeline.url).exit_code == 0
    neo4j_driver().execute_query(f"MATCH (n:Lineage {{id: $id}}) {change}", id=node_id)
    result = run_cli("verify", "--db", pipeline.url)
    assert result.exit_code == 1, result.output
    assert f"graph node {node_id}: stored row differs" in result.output, result.output
    if "jurisdiction" in change:
        read = Ledger.open(pipeline.url)
        try:
            row = read.store.node(node_id)
            assert row is not None and row.attributes()["jurisdiction"] == "ES"
        finally:
            read.close()
