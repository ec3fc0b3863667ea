"""Neo4j nodes keep their attributes as properties Cypher can filter on, with a caption
Neo4j Browser shows; values a property cannot hold come back exactly; stores made before
are still read, and refuse appends with the way out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.errors import ConfigurationError
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.graph import NODE_ATTRIBUTES
from lineage.model.rows import GraphBatch, NodeRow
from lineage.query.trace import Trace

from support.cli import run_cli
from support.graph_fixtures import ids, ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, example_envelope, ledger_env
from support.neo4j_layout import make_legacy
from support.stores import fresh_store_url, neo4j_driver, wipe_neo4j


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[LedgerEnv]:
    """The hand-built pipeline in the Neo4j test server."""
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        yield ingest_hand_built_pipeline(env)


def cypher(query: str, **params: object) -> list[dict[str, object]]:
    records, _, _ = neo4j_driver().execute_query(query, params)
    return [record.data() for record in records]


def test_attributes_are_properties_cypher_can_filter_on(pipeline: LedgerEnv) -> None:
    """``WHERE p.jurisdiction = 'US'`` finds the posts lineage reads as US posts; a
    shard's size is an integer property; no node keeps a JSON string of its attributes."""
    store = pipeline.ledger.store
    _, posts = store.nodes_of_kind("Post", 100)
    us = {row.id for row in posts if row.attributes()["jurisdiction"] == "US"}
    found = cypher("MATCH (p:Post) WHERE p.jurisdiction = $j RETURN p.id AS id", j="US")
    assert {row["id"] for row in found} == us and len(us) == 3
    shards = cypher("MATCH (s:Shard) WHERE s.size > 60 RETURN s.id AS id, s.records AS n")
    assert shards == [{"id": "shard:shard-a", "n": 2}]
    assert not cypher("MATCH (n:Lineage) WHERE n.attrs IS NOT NULL RETURN n.id LIMIT 1")
    assert not cypher("MATCH (n:Lineage) WHERE n.other_attrs IS NOT NULL RETURN n.id LIMIT 1")


def test_nodes_are_captioned_with_their_kind_and_short_id(pipeline: LedgerEnv) -> None:
    """``name``, which Neo4j Browser shows first, is the kind and a short id."""
    post = ids(pipeline)["fb:1"]
    names = {
        row["id"]: row["name"]
        for row in cypher("MATCH (n:Lineage) RETURN n.id AS id, n.name AS name")
    }
    assert names[post] == f"post {post[5:13]}…"
    assert names["model:model-a-ft"] == "model model-a-ft"
    assert names["ds:ds-v1"] == "dataset ds-v1"
    assert all(isinstance(name, str) and name for name in names.values())


ODD = {
    "rec:nested": ("Record", {"content": {"a": [1, "x", None]}}),
    "rec:null": ("Record", {"content": None}),
    "rec:mixed": ("Record", {"content": [1, "two", 3.5, True]}),
    "shard:big": ("Shard", {"records": 1, "sha256": "ab", "size": 1 << 70}),
    "shard:float": ("Shard", {"records": 1.5, "sha256": "ab", "size": False}),
    "rec:surrogate": ("Record", {"content": "\ud800 alone"}),
    "rec:unknown": ("Record", {"content": "c", "colour": "blue"}),
}


def test_values_a_property_cannot_hold_come_back_exactly(tmp_path: Path) -> None:
    """Nested objects, mixed lists, null, floats, booleans, integers past 64 bits, strings
    that are not UTF-8 and names outside the vocabulary read back as written (rows such as
    a copy from another store could carry); the representable ones are properties."""
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        check_odd_values(env)


def check_odd_values(env: LedgerEnv) -> None:
    store = env.ledger.store
    batch = GraphBatch.empty()
    for node_id, (kind, attrs) in ODD.items():
        text = json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        batch.nodes.append(NodeRow(node_id, kind, text, 1, 0))
    with store.append_session() as session:
        session.add_graph(batch)
    read = store.nodes(list(ODD))
    for node_id, (kind, attrs) in ODD.items():
        assert read[node_id].attributes() == attrs, node_id
        assert read[node_id].kind == kind
    assert read["rec:surrogate"].attrs == batch.nodes[5].attrs
    props = cypher("MATCH (n:Lineage {id: 'rec:unknown'}) RETURN properties(n) AS p")[0]["p"]
    assert props["content"] == "c" and json.loads(props["other_attrs"]) == {"colour": "blue"}  # type: ignore[index]


def test_the_vocabulary_cannot_take_a_name_of_the_stores_own() -> None:
    """Bare attribute names cannot collide with a node's own properties."""
    names = {name for attrs in NODE_ATTRIBUTES.values() for name in attrs}
    assert not names & {"id", "kind", "entry", "time_us", "name", "other_attrs", "attrs"}


def test_a_store_made_before_is_read_and_refuses_appends(pipeline: LedgerEnv) -> None:
    """A ledger whose nodes keep ``attrs`` JSON (the earlier layout) traces and verifies as
    it did; an append is refused naming ``lineage copy``; copied out and back it has
    properties and verifies."""
    store = pipeline.ledger.store
    origins = {row.id for row in Trace(store, "model:model-a").origins()}
    post = ids(pipeline)["ig:3"]
    attrs = store.node(post)
    pipeline.ledger.close()
    make_legacy()
    assert cypher("MATCH (p:Post) WHERE p.jurisdiction IS NOT NULL RETURN p.id") == []

    old = Ledger.open(pipeline.url)
    try:
        assert verify_ledger(old.store).ok
        assert {row.id for row in Trace(old.store, "model:model-a").origins()} == origins
        assert old.store.node(post) == attrs
        with pytest.raises(ConfigurationError, match="lineage copy --from"):
            old.append([("x", example_envelope(pipeline.collector, n=99))], pipeline.admin)
    finally:
        old.close()

    copy = f"sqlite:///{pipeline.root / 'copy.db'}"
    assert run_cli("copy", "--from", pipeline.url, "--to", copy).exit_code == 0
    wipe_neo4j()
    back = run_cli("copy", "--from", copy, "--to", pipeline.url)
    assert back.exit_code == 0, back.output
    found = cypher("MATCH (p:Post {id: $id}) RETURN p.jurisdiction AS j", id=post)
    assert found == [{"j": "BR"}]
    assert run_cli("verify", "--db", pipeline.url).exit_code == 0
