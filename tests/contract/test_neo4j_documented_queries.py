"""The Cypher queries the README and docs/neo4j.md show are bounded, and on a demo ledger
(the hand-built pipeline) find what lineage's own reads find."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.query.trace import Trace

from support.graph_fixtures import STEPS, ids, ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, ledger_env
from support.neo4j_docs import (
    DOCUMENTS,
    KINDS,
    DocumentedQuery,
    documented_queries,
    models_reached,
    nodes_declared_by,
    queries_of,
    step_run_entries,
)
from support.stores import fresh_store_url, neo4j_driver

MODELS = ("model:model-a", "model:model-b", "model:model-a-ft")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerEnv]:
    """The hand-built pipeline in the Neo4j test server, once for this module."""
    tmp_path = tmp_path_factory.mktemp("documented-queries")
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        yield ingest_hand_built_pipeline(env)


def run(query: DocumentedQuery, **params: str) -> list[dict[str, object]]:
    assert set(params) == query.params, query
    records, _, _ = neo4j_driver().execute_query(query.text, params)
    return [record.data() for record in records]


def test_every_documented_query_is_bounded_and_known() -> None:
    """Each document shows the three queries, each with a LIMIT, and no other."""
    queries = documented_queries()
    for document in DOCUMENTS:
        kinds = sorted(q.kind for q in queries if q.document == document)
        assert kinds == sorted(KINDS.values()), document
    for query in queries:
        assert " LIMIT " in query.one_line(), query


@pytest.mark.parametrize("query", queries_of("path"), ids=str)
def test_the_path_query_finds_one_path_from_each_origin(
    demo: LedgerEnv, query: DocumentedQuery
) -> None:
    """One path from the model to the post (and its author) exactly when lineage traces the
    post as one of the model's origins."""
    posts = [node for raw, node in ids(demo).items() if node.startswith("post:")]
    for model in MODELS:
        origins = {row.id for row in Trace(demo.ledger.store, model).origins()}
        assert origins
        for post in posts:
            records, _, _ = neo4j_driver().execute_query(query.text, model=model, post=post)
            assert len(records) == (1 if post in origins else 0), (model, post)
            for record in records:
                nodes = record["path"].nodes
                assert nodes[0]["id"] == model and nodes[-2]["id"] == post
                assert "Subject" in nodes[-1].labels


@pytest.mark.parametrize("query", queries_of("step run"), ids=str)
def test_the_step_run_query_shows_what_the_run_declared(
    demo: LedgerEnv, query: DocumentedQuery
) -> None:
    """The nodes the step run's entries declared, and only edges those entries asserted."""
    for _, name, _, _ in STEPS[:-1]:
        entries = step_run_entries(demo.ledger, name, "run-1")
        rows = run(query, step=name, run="run-1")
        declared = nodes_declared_by(demo.ledger, entries)
        assert declared and {row["n"]["id"] for row in rows} == declared, name  # type: ignore[index]
        edges = [row["r"] for row in rows if row["r"] is not None]
        assert edges or name == "collect", name
    records, _, _ = neo4j_driver().execute_query(query.text, step="pack", run="run-1")
    for record in records:
        if record["r"] is not None:
            assert record["r"]["entry"] in step_run_entries(demo.ledger, "pack", "run-1")


@pytest.mark.parametrize("query", queries_of("reach"), ids=str)
def test_the_reach_query_finds_the_models_lineage_walks_to(
    demo: LedgerEnv, query: DocumentedQuery
) -> None:
    """Every model downstream of the author, once each, as lineage's own walk finds them."""
    authors = [node for raw, node in ids(demo).items() if node.startswith("subject:")]
    reached_any = False
    for author in authors:
        rows = run(query, author=author)
        models = [row["model"] for row in rows]
        assert sorted(models) == sorted(models_reached(demo.ledger, author)), author
        reached_any = reached_any or bool(models)
    assert reached_any


def test_the_documents_name_no_other_cypher_file() -> None:
    """The unbounded whole-model query is gone, from the docs and from docker/."""
    root = Path(__file__).parents[2]
    assert not (root / "docker" / "model-lineage.cypher").exists()
    for document in DOCUMENTS:
        assert "model-lineage.cypher" not in (root / document).read_text()
