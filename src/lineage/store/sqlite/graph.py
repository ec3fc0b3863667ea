"""The graph projection in SQLite: writing one append's rows, and the graph reads of the
store contract (:class:`lineage.store.base.GraphReads`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from lineage.model.rows import (
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    PackedOrigin,
    ProjectionRow,
    RequestRow,
    StatementRow,
)
from lineage.store.base import MAX_EDGES_LISTED
from lineage.store.sqlite import ancestry
from lineage.store.sqlite._chunks import listed_rows, rows_in

NEVER = 1 << 62
"""A time after every statement: the bound of reads without ``as_of``."""


def _until(as_of_us: int | None) -> int:
    return NEVER if as_of_us is None else as_of_us


def existing_nodes(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    """(kind, attrs, entry) of the nodes among ``ids`` that are already stored."""
    rows = rows_in(db, "SELECT id, kind, attrs, entry FROM nodes WHERE id IN ({marks})", ids)
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def write_statements(db: sqlite3.Connection, batch: GraphBatch) -> None:
    """Write one append's statement and request rows (requests already stored are kept)."""
    db.executemany(
        "INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (s.entry, s.predicate_type, s.step, s.version, s.run, s.keyid, s.time_us)
            for s in batch.statements
        ],
    )
    db.executemany(
        "INSERT OR IGNORE INTO requests VALUES (?, ?, ?, ?, ?)",
        [(r.target, r.kind, r.entry, r.at_us, r.time_us) for r in batch.requests],
    )


def write_batch(db: sqlite3.Connection, batch: GraphBatch) -> None:
    """Write one append's projection rows; rows already stored are kept (first wins)."""
    write_statements(db, batch)
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


_NODE = "SELECT id, kind, attrs, entry, time_us FROM nodes WHERE id = ?"
_COUNT_OF_KIND = "SELECT count(*) FROM nodes WHERE kind = ?"
_NODES_OF_KIND = (
    "SELECT id, kind, attrs, entry, time_us FROM nodes WHERE kind = ? ORDER BY entry, id LIMIT ?"
)
_FIND_NODES = (
    "SELECT id, kind, attrs, entry, time_us FROM nodes WHERE instr(lower(id), lower(?)) > 0"
    " ORDER BY id LIMIT ?"
)
_NODES_BY_ID = "SELECT id, kind, attrs, entry, time_us FROM nodes WHERE id IN ({marks})"
_NODES_LISTED = (
    "SELECT n.id, n.kind, n.attrs, n.entry, n.time_us"
    " FROM json_each(?1) AS w JOIN nodes n ON n.id = w.value"
)
_EDGES_DOWN = "SELECT up, down, kind, entry, time_us FROM edges WHERE up = ?1 AND time_us <= ?2"
_EDGES_BOTH = (
    "SELECT up, down, kind, entry, time_us FROM edges WHERE down = ?1 AND time_us <= ?2"
    " UNION ALL SELECT up, down, kind, entry, time_us FROM edges WHERE up = ?1 AND time_us <= ?2"
)
_EDGES_INTO = (
    "SELECT e.up, e.down, e.kind, e.entry, e.time_us FROM json_each(?1) AS w"
    " JOIN edges e ON e.down = w.value WHERE e.kind = ?2 AND e.time_us <= ?3 ORDER BY e.down, e.up"
)
_COUNT_INTO = (
    "SELECT e.down, COUNT(*) FROM json_each(?1) AS w JOIN edges e ON e.down = w.value"
    " WHERE e.kind = ?2 AND e.time_us <= ?3 GROUP BY e.down"
)
_COUNT_OUT_OF = (
    "SELECT e.up, COUNT(*) FROM json_each(?1) AS w JOIN edges e ON e.up = w.value"
    " WHERE e.kind = ?2 GROUP BY e.up"
)
_DROPS_OF = (
    "SELECT node, reason, entry, time_us FROM drops WHERE node IN ({marks}) AND time_us <= ?"
)
_STATEMENTS = "SELECT * FROM statements WHERE entry IN ({marks})"
_DROP_COUNTS = "SELECT entry, reason, COUNT(*) FROM drops WHERE time_us <= ? GROUP BY entry, reason"
_REQUESTS_OF = (
    "SELECT target, kind, at_us, entry, time_us FROM requests"
    " WHERE target IN ({marks}) AND time_us <= ? ORDER BY target, kind, entry"
)

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
_BREADTH_FIRST = """
WITH RECURSIVE walk(id) AS (
    SELECT ?1 UNION SELECT e.{far} FROM edges e JOIN walk ON e.{near} = walk.id
    WHERE e.time_us <= ?2
)
SELECT walk.id, n.kind, n.attrs, n.entry, n.time_us FROM walk LEFT JOIN nodes n ON n.id = walk.id
"""
_DEPTH_FIRST_ROWS = 2000
_FIRST_BATCH = 16
_WALKS = {
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


class SqliteGraph:
    """The graph reads of the store contract over one SQLite connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def node(self, node_id: str) -> NodeRow | None:
        """The node with this id, if an entry declared it."""
        row = self._db.execute(_NODE, (node_id,)).fetchone()
        return NodeRow(*row) if row else None

    def nodes(self, ids: Sequence[str]) -> dict[str, NodeRow]:
        """The declared nodes among ``ids``, by id."""
        rows = listed_rows(self._db, _NODES_LISTED, sorted(set(ids)))
        return {r[0]: NodeRow(*r) for r in rows}

    def edges_of(
        self,
        node_id: str,
        as_of_us: int | None = None,
        *,
        downstream_only: bool = False,
        limit: int = MAX_EDGES_LISTED,
    ) -> list[EdgeRow]:
        """Up to ``limit`` edges at ``node_id`` (or leading downstream from it), in the
        order (kind, upstream, downstream)."""
        edges = _EDGES_DOWN if downstream_only else _EDGES_BOTH
        query = f"SELECT * FROM ({edges}) ORDER BY kind, up, down LIMIT ?3"  # noqa: S608
        rows = self._db.execute(query, (node_id, _until(as_of_us), limit))
        return [EdgeRow(*r) for r in rows]

    def edges_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> list[EdgeRow]:
        """The ``kind`` edges whose downstream end is one of ``nodes`` (each chunk of the
        sorted ids comes back in key order, so the whole list is in key order)."""
        rows = listed_rows(self._db, _EDGES_INTO, sorted(set(nodes)), kind, _until(as_of_us))
        return [EdgeRow(*r) for r in rows]

    def count_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> dict[str, int]:
        """How many ``kind`` edges lead into each of ``nodes``."""
        rows = listed_rows(self._db, _COUNT_INTO, sorted(set(nodes)), kind, _until(as_of_us))
        return {str(node): int(count) for node, count in rows}

    def count_out_of(self, nodes: Sequence[str], kind: str) -> dict[str, int]:
        """How many ``kind`` edges lead out of each of ``nodes``."""
        rows = listed_rows(self._db, _COUNT_OUT_OF, sorted(set(nodes)), kind)
        return {str(node): int(count) for node, count in rows}

    def drops_of(self, nodes: Sequence[str], as_of_us: int | None = None) -> list[DropRow]:
        """The drops recorded against any of ``nodes``, in (entry, node) order."""
        rows = rows_in(self._db, _DROPS_OF, sorted(set(nodes)), _until(as_of_us))
        return sorted((DropRow(*r) for r in rows), key=lambda d: (d.entry, d.node))

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        """Every node reachable from ``root`` (itself included), each once."""
        limit = _until(as_of_us)
        depth_first, breadth_first = _WALKS[upstream]
        cursor = self._db.execute(depth_first, (root, limit, _DEPTH_FIRST_ROWS))
        seen: set[str] = set()
        rows = 0
        while batch := cursor.fetchmany(_FIRST_BATCH):
            rows += len(batch)
            ids = list(dict.fromkeys(row[0] for row in batch if row[0] not in seen))
            stored = {row[0]: row for row in rows_in(self._db, _NODES_BY_ID, ids)}
            found = [stored.get(i, (i, None, None, None, None)) for i in ids]
            for row in _node_rows(found, limit, seen):
                seen.add(row.id)
                yield row
        if rows < _DEPTH_FIRST_ROWS:
            return
        cursor = self._db.execute(breadth_first, (root, limit))
        yield from _node_rows(_fetch(cursor), limit, seen)

    def statements(self, entries: Iterable[int]) -> dict[int, StatementRow]:
        """The statement rows of these entries, by entry."""
        rows = rows_in(self._db, _STATEMENTS, sorted(set(entries)))
        return {r[0]: StatementRow(*r) for r in rows}

    def entries_of_type(self, predicate_types: Sequence[str]) -> list[int]:
        """The entries whose statements are of these predicate types, in order."""
        query = "SELECT entry FROM statements WHERE predicate_type IN ({marks})"
        return sorted(int(row[0]) for row in rows_in(self._db, query, list(predicate_types)))

    def nodes_of_kind(self, kind: str, limit: int) -> tuple[int, list[NodeRow]]:
        """How many nodes of ``kind`` there are, and the first ``limit`` by (entry, id)."""
        (count,) = self._db.execute(_COUNT_OF_KIND, (kind,)).fetchone()
        rows = self._db.execute(_NODES_OF_KIND, (kind, limit))
        return int(count), [NodeRow(*r) for r in rows]

    def find_nodes(self, text: str, limit: int) -> list[NodeRow]:
        """Up to ``limit`` nodes whose id contains ``text`` (ignoring case), by id."""
        return [NodeRow(*r) for r in self._db.execute(_FIND_NODES, (text, limit))]

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        """(entry, reason, count) of every drop."""
        rows = self._db.execute(_DROP_COUNTS, (_until(as_of_us),))
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def requests_of(self, targets: Iterable[str], as_of_us: int | None = None) -> list[RequestRow]:
        """Requests about any of ``targets`` recorded by ``as_of_us``, in key order."""
        rows = rows_in(self._db, _REQUESTS_OF, sorted(set(targets)), _until(as_of_us))
        return [RequestRow(*r) for r in rows]

    def packed_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[PackedOrigin]:
        """Every record packed into each shard, once per origin, in the order of the posts."""
        return ancestry.packed_origins(self._db, shards, _until(as_of_us))


_ORDERED = {
    "nodes": "SELECT id, kind, attrs, entry, time_us FROM nodes ORDER BY id",
    "edges": "SELECT up, down, kind, entry, time_us FROM edges ORDER BY down, up, kind",
    "drops": "SELECT node, reason, entry, time_us FROM drops ORDER BY node, entry",
    "statements": "SELECT * FROM statements ORDER BY entry",
    "requests": (
        "SELECT target, kind, at_us, entry, time_us FROM requests ORDER BY target, kind, entry"
    ),
}
_ROW_TYPES: dict[str, Any] = {
    "nodes": NodeRow,
    "edges": EdgeRow,
    "drops": DropRow,
    "statements": StatementRow,
    "requests": RequestRow,
}


def iter_rows(db: sqlite3.Connection, table: str) -> Iterator[ProjectionRow]:
    """Rows of a projection table (or of the ancestry index) in key order."""
    if table == ancestry.TABLE:
        yield from ancestry.iter_rows(db)
        return
    row_type = _ROW_TYPES[table]
    cursor = db.execute(_ORDERED[table])
    while rows := cursor.fetchmany(2000):
        for row in rows:
            yield row_type(*row)
