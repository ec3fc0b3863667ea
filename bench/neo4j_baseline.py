"""Neo4j helpers of the graph benchmark: an empty database, and the bare write baseline."""

from __future__ import annotations

import time
from typing import Any

import neo4j

from lineage.graph.model import EDGE_RULES
from lineage.store.neo4j_url import parse_neo4j_url

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
    """Seconds to write the edge rows (up, down, kind, entry, time_us) with batched UNWIND
    MERGE into scratch labels of the same server, in transactions as large as the
    ingest's; the scratch data is removed afterwards."""
    queries = {
        kind: "UNWIND $rows AS r MERGE (a:BenchBaseline {id: r[0]})"
        " MERGE (b:BenchBaseline {id: r[1]})"
        f" MERGE (a)-[e:{kind}]->(b) ON CREATE SET e.entry = r[2], e.time_us = r[3]"
        for kind in EDGE_RULES
    }
    client, database = driver(url)
    with client, client.session(database=database) as session:
        session.run(
            "CREATE CONSTRAINT bench_baseline_id IF NOT EXISTS"
            " FOR (n:BenchBaseline) REQUIRE n.id IS UNIQUE"
        ).consume()
        start = time.perf_counter()
        for first in range(0, len(rows), _TX_ROWS):
            with session.begin_transaction() as tx:
                by_kind: dict[str, list[list[Any]]] = {}
                for up, down, kind, entry, when in rows[first : first + _TX_ROWS]:
                    by_kind.setdefault(kind, []).append([up, down, entry, when])
                for kind, batch in by_kind.items():
                    for i in range(0, len(batch), _UNWIND_ROWS):
                        tx.run(queries[kind], rows=batch[i : i + _UNWIND_ROWS]).consume()
                tx.commit()
        elapsed = time.perf_counter() - start
        session.run(
            "MATCH (n:BenchBaseline) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
        session.run("DROP CONSTRAINT bench_baseline_id").consume()
    return elapsed
