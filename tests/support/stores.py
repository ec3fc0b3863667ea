"""The stores the contract suite runs on, and a fresh empty store of each."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import neo4j
import pytest

from support.lake_parts import edit_parts, lake_table, part_rows

STORES = ["sqlite", "lake", "neo4j"]


def for_this_worker(many: str, one: str, default: str) -> str:
    """The value this test process uses: from the space-separated list in ``many`` (one
    per pytest-xdist worker, chosen by its number), else ``one``, else ``default``."""
    values = os.environ.get(many, "").split()
    if values:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        return values[int(worker or 0) % len(values)]
    return os.environ.get(one, default)


NEO4J_URL = for_this_worker(
    "LINEAGE_TEST_NEO4J_URLS", "LINEAGE_TEST_NEO4J_URL", "bolt://127.0.0.1:7687"
)
"""Each worker has a Neo4j server of its own (tests wipe its one database)."""
REQUIRED = os.environ.get("LINEAGE_REQUIRE_NEO4J") == "1"
HOW_TO_START = (
    f"no Neo4j server at {NEO4J_URL}: start one with `bash docker/neo4j-server start`"
    " (or run `bash tools/test`, which starts its own)"
)


def neo4j_auth() -> tuple[str, str] | None:
    user = os.environ.get("LINEAGE_NEO4J_USER")
    return (user, os.environ.get("LINEAGE_NEO4J_PASSWORD", "")) if user else None


@cache
def _driver() -> neo4j.Driver | None:
    driver = neo4j.GraphDatabase.driver(
        NEO4J_URL, auth=neo4j_auth(), connection_timeout=5, notifications_min_severity="OFF"
    )
    try:
        driver.verify_connectivity()
    except neo4j.exceptions.ServiceUnavailable:
        driver.close()
        return None
    return driver


def neo4j_driver() -> neo4j.Driver:
    """The test server's driver; skips (or fails, when required) without a server."""
    driver = _driver()
    if driver is None:
        if REQUIRED:
            pytest.fail(f"LINEAGE_REQUIRE_NEO4J=1 but {HOW_TO_START}")
        pytest.skip(HOW_TO_START)
    return driver


def wipe_neo4j() -> None:
    """Empty the test database (one database: tests run one at a time)."""
    with neo4j_driver().session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS").consume()


def fresh_store_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'lineage.db'}"
    if kind == "lake":
        return f"lake:///{tmp_path / 'lake'}"
    wipe_neo4j()
    return NEO4J_URL


def is_neo4j(url: str) -> bool:
    return not url.startswith(("sqlite:", "lake:"))


def is_lake(url: str) -> bool:
    return url.startswith("lake:")


def sqlite_path(url: str) -> Path:
    """The SQLite file of a SQLite store, or the log file of a lake store."""
    if is_lake(url):
        return Path(url.removeprefix("lake:///")) / "log.db"
    return Path(url.removeprefix("sqlite:///"))


def edit(url: str, *, sql: list[str], cypher: list[str]) -> None:
    """Change the store underneath lineage: ``sql`` on SQLite, ``cypher`` on Neo4j."""
    if is_neo4j(url):
        for query in cypher:
            neo4j_driver().execute_query(query)
        return
    db = sqlite3.connect(sqlite_path(url))
    try:
        for statement in sql:
            table = lake_table(url, statement)
            if table:
                edit_parts(db, sqlite_path(url).parent, table, statement)
            else:
                db.execute(statement)
        db.commit()
    finally:
        db.close()


def stored_values(url: str) -> list[bytes]:
    """Every value the store holds (SQLite: every row of every table; Neo4j: every
    property of every node and relationship), each row as one byte string."""
    if is_neo4j(url):
        records, _, _ = neo4j_driver().execute_query(
            "MATCH (n) RETURN properties(n) AS p"
            " UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p"
        )
        return [_joined(record[0].values()) for record in records]
    db = sqlite3.connect(sqlite_path(url))
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [_joined(row) for t in tables for row in db.execute(f"SELECT * FROM {t}")]
        if is_lake(url):
            rows += [_joined(row) for row in part_rows(db, sqlite_path(url).parent)]
        return rows
    finally:
        db.close()


def _joined(values: Iterable[object]) -> bytes:
    return b" ".join(
        bytes(v) if isinstance(v, bytes | bytearray) else str(v).encode() for v in values
    )
