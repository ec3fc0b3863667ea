"""SQLite tables and queries of the graph projection and of the subject key tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from lineage.model.identity import subject_node_id
from lineage.model.rows import (
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    OriginRow,
    ProjectionRow,
    RequestRow,
    StatementRow,
)
from lineage.store.sqlite import ancestry
from lineage.store.sqlite._chunks import rows_in

GRAPH_SCHEMA = """
CREATE TABLE statements (
    entry INTEGER PRIMARY KEY, predicate_type TEXT NOT NULL, step TEXT NOT NULL,
    version TEXT NOT NULL, run TEXT NOT NULL, keyid TEXT NOT NULL, time_us INTEGER NOT NULL
);
CREATE TABLE nodes (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, attrs TEXT NOT NULL,
    entry INTEGER NOT NULL, time_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE edges (
    down TEXT NOT NULL, up TEXT NOT NULL, kind TEXT NOT NULL,
    entry INTEGER NOT NULL, time_us INTEGER NOT NULL,
    PRIMARY KEY (down, up, kind)
) WITHOUT ROWID;
CREATE TRIGGER nodes_asserted_once BEFORE INSERT ON nodes
WHEN EXISTS (SELECT 1 FROM nodes WHERE id = NEW.id AND (kind != NEW.kind OR attrs != NEW.attrs))
BEGIN SELECT RAISE(ABORT, 'lineage: node asserted again with other attributes'); END;
CREATE INDEX edges_by_up ON edges (up);
CREATE TABLE drops (
    node TEXT NOT NULL, entry INTEGER NOT NULL, reason TEXT NOT NULL, time_us INTEGER NOT NULL,
    PRIMARY KEY (node, entry)
) WITHOUT ROWID;
CREATE TABLE requests (
    target TEXT NOT NULL, kind TEXT NOT NULL, entry INTEGER NOT NULL, at_us INTEGER NOT NULL,
    time_us INTEGER NOT NULL, PRIMARY KEY (target, kind, entry)
) WITHOUT ROWID;
{ancestry};
CREATE TABLE key_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE subject_keys (
    handle INTEGER PRIMARY KEY, lookup BLOB NOT NULL UNIQUE, key BLOB NOT NULL,
    node TEXT NOT NULL UNIQUE
);
CREATE TABLE identities (lookup BLOB PRIMARY KEY, subject INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX identities_by_subject ON identities (subject);
""".replace("{ancestry}", ancestry.ANCESTRY_SCHEMA.strip())


def _marks(count: int) -> str:
    return ",".join("?" * count)


def existing_nodes(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    """(kind, attrs, entry) of the nodes among ``ids`` that are already stored."""
    rows = rows_in(db, "SELECT id, kind, attrs, entry FROM nodes WHERE id IN ({marks})", ids)
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def write_batch(db: sqlite3.Connection, batch: GraphBatch) -> None:
    db.executemany(
        "INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (s.entry, s.predicate_type, s.step, s.version, s.run, s.keyid, s.time_us)
            for s in batch.statements
        ],
    )
    db.executemany(
        "INSERT OR IGNORE INTO nodes VALUES (?, ?, ?, ?, ?)",
        [(n.id, n.kind, n.attrs, n.entry, n.time_us) for n in batch.nodes],
    )
    db.executemany(
        "INSERT OR IGNORE INTO edges VALUES (?, ?, ?, ?, ?)",
        [(e.down, e.up, e.kind, e.entry, e.time_us) for e in batch.edges],
    )
    db.executemany(
        "INSERT OR IGNORE INTO drops VALUES (?, ?, ?, ?)",
        [(d.node, d.entry, d.reason, d.time_us) for d in batch.drops],
    )
    ancestry.update(db, batch.edges)
    db.executemany(
        "INSERT OR IGNORE INTO requests VALUES (?, ?, ?, ?, ?)",
        [(r.target, r.kind, r.entry, r.at_us, r.time_us) for r in batch.requests],
    )


_NEVER = 1 << 62


def node(db: sqlite3.Connection, node_id: str) -> NodeRow | None:
    row = db.execute(
        "SELECT id, kind, attrs, entry, time_us FROM nodes WHERE id = ?", (node_id,)
    ).fetchone()
    return NodeRow(*row) if row else None


_EDGES_DOWN = "SELECT up, down, kind, entry, time_us FROM edges WHERE up = ?1 AND time_us <= ?2"
_EDGES_BOTH = (
    "SELECT up, down, kind, entry, time_us FROM edges WHERE down = ?1 AND time_us <= ?2"
    " UNION ALL SELECT up, down, kind, entry, time_us FROM edges WHERE up = ?1 AND time_us <= ?2"
)


def edges_of(
    db: sqlite3.Connection,
    node_id: str,
    as_of_us: int | None,
    downstream_only: bool,
    limit: int,
) -> list[EdgeRow]:
    until = _NEVER if as_of_us is None else as_of_us
    query = (_EDGES_DOWN if downstream_only else _EDGES_BOTH) + " LIMIT ?3"
    return [EdgeRow(*r) for r in db.execute(query, (node_id, until, limit))]


def drops_of(db: sqlite3.Connection, node_id: str, as_of_us: int | None) -> list[DropRow]:
    limit = _NEVER if as_of_us is None else as_of_us
    rows = db.execute(
        "SELECT node, reason, entry, time_us FROM drops WHERE node = ? AND time_us <= ?"
        " ORDER BY entry",
        (node_id, limit),
    )
    return [DropRow(*r) for r in rows]


# A walk runs in two passes. The first goes depth first (its priority queue pops
# the deepest row first), so origins arrive after a handful of rows instead of after
# the whole graph; it stops after _DEPTH_FIRST_ROWS rows. The second is a plain
# breadth-first recursive CTE, the fastest SQLite has, over the whole closure; it
# skips what the first pass already gave. Nodes that an edge names but no entry
# declares come out with kind NULL: gaps in the lineage stay visible.
_DEPTH_FIRST = """
WITH RECURSIVE walk(id, depth) AS (
    SELECT ?1, 0
    UNION
    SELECT e.{far}, walk.depth + 1 FROM walk JOIN edges e ON e.{near} = walk.id
    WHERE e.time_us <= ?2 ORDER BY 2 DESC
)
SELECT id FROM walk LIMIT ?3
"""
_NODES_BY_ID = "SELECT id, kind, attrs, entry, time_us FROM nodes WHERE id IN ({marks})"
_BREADTH_FIRST = """
WITH RECURSIVE walk(id) AS (
    SELECT ?1 UNION SELECT e.{far} FROM edges e JOIN walk ON e.{near} = walk.id
    WHERE e.time_us <= ?2
)
SELECT walk.id, n.kind, n.attrs, n.entry, n.time_us FROM walk LEFT JOIN nodes n ON n.id = walk.id
"""
_DEPTH_FIRST_ROWS = 2000
_FIRST_BATCH = 16
_QUERIES = {
    upstream: tuple(q.format(near=near, far=far) for q in (_DEPTH_FIRST, _BREADTH_FIRST))
    for upstream, (near, far) in ((True, ("down", "up")), (False, ("up", "down")))
}


def _fetch(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    while rows := cursor.fetchmany(1000):
        yield from rows


def _node_rows(rows: Iterable[tuple[Any, ...]], limit: int, seen: set[str]) -> Iterator[NodeRow]:
    for node_id, kind, attrs, entry, when in rows:
        if node_id in seen:
            continue
        if kind is None:
            yield NodeRow(node_id, "", "{}", -1, 0)
        elif when <= limit:
            yield NodeRow(node_id, kind, attrs, entry, when)


def walk(
    db: sqlite3.Connection, root: str, upstream: bool, as_of_us: int | None
) -> Iterator[NodeRow]:
    """Every node reachable from ``root`` (itself included), each once; a node an edge
    names but no entry declares comes with kind ``""``."""
    limit = _NEVER if as_of_us is None else as_of_us
    depth_first, breadth_first = _QUERIES[upstream]
    cursor = db.execute(depth_first, (root, limit, _DEPTH_FIRST_ROWS))
    seen: set[str] = set()
    rows = 0
    while batch := cursor.fetchmany(_FIRST_BATCH):
        rows += len(batch)
        ids = list(dict.fromkeys(row[0] for row in batch if row[0] not in seen))
        query = _NODES_BY_ID.format(marks=_marks(len(ids)))
        stored = {row[0]: row for row in db.execute(query, ids)} if ids else {}
        found = [stored.get(i, (i, None, None, None, None)) for i in ids]
        for row in _node_rows(found, limit, seen):
            seen.add(row.id)
            yield row
    if rows < _DEPTH_FIRST_ROWS:
        return
    yield from _node_rows(_fetch(db.execute(breadth_first, (root, limit))), limit, seen)


def statements(db: sqlite3.Connection, entries: Iterable[int]) -> dict[int, StatementRow]:
    wanted = sorted(set(entries))
    rows = rows_in(db, "SELECT * FROM statements WHERE entry IN ({marks})", wanted)
    return {r[0]: StatementRow(*r) for r in rows}


def drop_counts(db: sqlite3.Connection, as_of_us: int | None) -> list[tuple[int, str, int]]:
    """(entry, reason, count) of every drop."""
    limit = _NEVER if as_of_us is None else as_of_us
    rows = db.execute(
        "SELECT entry, reason, COUNT(*) FROM drops WHERE time_us <= ? GROUP BY entry, reason",
        (limit,),
    )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


def shard_origins(
    db: sqlite3.Connection, shards: Iterable[str], as_of_us: int | None
) -> Iterator[OriginRow]:
    return ancestry.shard_origins(db, shards, _NEVER if as_of_us is None else as_of_us)


def requests_of(
    db: sqlite3.Connection, targets: Iterable[str], as_of_us: int | None
) -> list[RequestRow]:
    """Requests about any of ``targets`` recorded by ``as_of_us``, in key order."""
    limit = _NEVER if as_of_us is None else as_of_us
    rows = rows_in(
        db,
        "SELECT target, kind, at_us, entry, time_us FROM requests"
        " WHERE target IN ({marks}) AND time_us <= ? ORDER BY target, kind, entry",
        sorted(set(targets)),
        limit,
    )
    return [RequestRow(*r) for r in rows]


_ORDERED = {
    "nodes": "SELECT id, kind, attrs, entry, time_us FROM nodes ORDER BY id",
    "edges": "SELECT up, down, kind, entry, time_us FROM edges ORDER BY down, up, kind",
    "drops": "SELECT node, reason, entry, time_us FROM drops ORDER BY node, entry",
    "statements": "SELECT * FROM statements ORDER BY entry",
    "requests": (
        "SELECT target, kind, at_us, entry, time_us FROM requests ORDER BY target, kind, entry"
    ),
}
ROW_TYPES = {
    "nodes": NodeRow,
    "edges": EdgeRow,
    "drops": DropRow,
    "statements": StatementRow,
    "requests": RequestRow,
}


def iter_rows(db: sqlite3.Connection, table: str) -> Iterator[ProjectionRow]:
    if table == "ancestry":
        yield from ancestry.iter_rows(db)
        return
    row_type: Any = ROW_TYPES[table]
    cursor = db.execute(_ORDERED[table])
    while rows := cursor.fetchmany(2000):
        for row in rows:
            yield row_type(*row)


# -- subject keys (outside the hashed ledger) ---------------------------------------


def index_key(db: sqlite3.Connection) -> bytes:
    row = db.execute("SELECT value FROM key_secrets WHERE name = 'index'").fetchone()
    return bytes(row[0])


def subject_key(db: sqlite3.Connection, lookup: bytes) -> bytes | None:
    row = db.execute("SELECT key FROM subject_keys WHERE lookup = ?", (lookup,)).fetchone()
    return bytes(row[0]) if row else None


def identity_owner(db: sqlite3.Connection, lookup: bytes) -> tuple[bytes, bytes] | None:
    row = db.execute(
        "SELECT s.lookup, s.key FROM identities i JOIN subject_keys s ON s.handle = i.subject"
        " WHERE i.lookup = ?",
        (lookup,),
    ).fetchone()
    return (bytes(row[0]), bytes(row[1])) if row else None


def save_identities(
    db: sqlite3.Connection,
    subjects: list[tuple[bytes, bytes]],
    identities: list[tuple[bytes, bytes]],
) -> dict[bytes, bytes]:
    db.executemany(
        "INSERT OR IGNORE INTO subject_keys (lookup, key, node) VALUES (?, ?, ?)",
        [(lookup, key, subject_node_id(key)) for lookup, key in subjects],
    )
    db.executemany(
        "INSERT OR REPLACE INTO identities (lookup, subject)"
        " SELECT ?, handle FROM subject_keys WHERE lookup = ?",
        identities,
    )
    stored: dict[bytes, bytes] = {}
    for lookup, _ in subjects:
        found = subject_key(db, lookup)
        if found is not None:
            stored[lookup] = found
    return stored


def iter_subjects(db: sqlite3.Connection) -> Iterator[tuple[bytes, bytes]]:
    for lookup, key in _fetch(db.execute("SELECT lookup, key FROM subject_keys ORDER BY lookup")):
        yield bytes(lookup), bytes(key)


def iter_bindings(db: sqlite3.Connection) -> Iterator[tuple[bytes, bytes]]:
    rows = db.execute(
        "SELECT i.lookup, s.lookup FROM identities i JOIN subject_keys s ON s.handle = i.subject"
        " ORDER BY i.lookup"
    )
    for lookup, subject in _fetch(rows):
        yield bytes(lookup), bytes(subject)


def erase_subject(db: sqlite3.Connection, lookup: bytes) -> bool:
    row = db.execute("SELECT handle FROM subject_keys WHERE lookup = ?", (lookup,)).fetchone()
    if row is None:
        return False
    db.execute("DELETE FROM identities WHERE subject = ?", (row[0],))
    db.execute("DELETE FROM subject_keys WHERE handle = ?", (row[0],))
    return True


def live_subjects(db: sqlite3.Connection, nodes: Iterable[str]) -> set[str]:
    query = "SELECT node FROM subject_keys WHERE node IN ({marks})"
    return {r[0] for r in rows_in(db, query, sorted(set(nodes)))}
