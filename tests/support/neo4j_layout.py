"""Turning a Neo4j ledger back into the layout stores had before attributes were
properties: attributes as one JSON string ``attrs``, no caption, no layout mark, no
entry index. Done in Cypher underneath lineage, as an older lineage would have left it."""

from __future__ import annotations

from lineage.store.neo4j.properties import attrs_from

from support.stores import neo4j_driver

_NODES = "MATCH (n:Lineage) RETURN n.id AS id, properties(n) AS props"
_REWRITE = (
    "UNWIND $rows AS r MATCH (n:Lineage {id: r.id})"
    " SET n = CASE WHEN n.kind IS NULL THEN {id: n.id}"
    " ELSE {id: n.id, kind: n.kind, attrs: r.attrs, entry: n.entry, time_us: n.time_us} END"
)


def make_legacy() -> None:
    """Rewrite every graph node of the test database in the earlier layout."""
    driver = neo4j_driver()
    records, _, _ = driver.execute_query(_NODES)
    rows = [{"id": r["id"], "attrs": attrs_from(r["props"])} for r in records]
    driver.execute_query(_REWRITE, rows=rows)
    driver.execute_query("MATCH (m:LedgerMeta {key: 'graph_layout'}) DELETE m")
    driver.execute_query("DROP INDEX lineage_node_entry IF EXISTS")
