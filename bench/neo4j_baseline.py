"""Neo4j helpers of the graph benchmark: an empty database, and the bare write baseline."""

from __future__ import annotations

import time
from typing import Any

import neo4j

from lineage.model.graph import EDGE_RULES
from lineage.store.neo4j.url import parse_neo4j_url

_TX_ROWS = 20_000  # the ingest appends 20 statements of 1,000 edges per transaction
_UNWIND_ROWS = 10_000


def driver(url: str) -> tuple[neo4j.Driver, str]:
    target = parse_neo4j_url(url)
    return (
        neo4j.GraphDatabase.driver(
            target.driver_uri, auth=target.auth, notifications_min_severity="OFF"
        ),
        target.database,
    )


def empty_database(url: str, wipe: bool) -> None:
    client, database = driver(url)
    with client, client.session(database=database) as session:
        count = session.run("MATCH (n) RETURN count(n)").single(strict=True)[0]
        if count and not wipe:
            raise SystemExit(f"{url} holds {count} nodes; pass --wipe-neo4j to empty it")
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def bare_unwind_write(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to write the edge rows (up, down, kind, entry, time_us) the plainest fast
    way: CREATE every distinct node (id only), then MATCH both ends and CREATE each
    relationship with its entry and time, in batched UNWIND statements and transactions
    as large as the ingest's, into scratch labels of the same server (removed after)."""
    ids = sorted({row[0] for row in rows} | {row[1] for row in rows})
    by_kind: dict[str, list[list[Any]]] = {}
    for up, down, kind, entry, when in rows:
        by_kind.setdefault(kind, []).append([up, down, entry, when])
    create_edges = {
        kind: "UNWIND $rows AS r MATCH (a:BenchBaseline {id: r[0]})"
        " MATCH (b:BenchBaseline {id: r[1]})"
        f" CREATE (a)-[:{kind} {{entry: r[2], time_us: r[3]}}]->(b)"
        for kind in EDGE_RULES
    }
    client, database = driver(url)
    with client, client.session(database=database) as session:
        session.run(
            "CREATE CONSTRAINT bench_baseline_id IF NOT EXISTS"
            " FOR (n:BenchBaseline) REQUIRE n.id IS UNIQUE"
        ).consume()

        def write(query: str, batch: list[Any]) -> None:
            for first in range(0, len(batch), _TX_ROWS):
                with session.begin_transaction() as tx:
                    part = batch[first : first + _TX_ROWS]
                    for i in range(0, len(part), _UNWIND_ROWS):
                        tx.run(query, rows=part[i : i + _UNWIND_ROWS]).consume()
                    tx.commit()

        start = time.perf_counter()
        write("UNWIND $rows AS id CREATE (:BenchBaseline {id: id})", ids)
        for kind, batch in by_kind.items():
            write(create_edges[kind], batch)
        elapsed = time.perf_counter() - start
        session.run(
            "MATCH (n:BenchBaseline) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
        session.run("DROP CONSTRAINT bench_baseline_id").consume()
    return elapsed
