"""The graph reads of the store contract over the lake's parts, in DuckDB.

A key may sit in several parts (parts are only appended); every read keeps, of each
key, the row of the earliest entry (``DISTINCT ON … ORDER BY key, entry``) before it
looks at times, so answers are those of the SQLite store, which keeps the first row
written. Filters on key columns are applied before that step (they keep or drop every
row of a key alike), so a read about a few nodes never deduplicates the whole table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from lineage.model.rows import DropRow, EdgeRow, NodeRow, PackedOrigin, ProjectionRow
from lineage.store.base import MAX_EDGES_LISTED, RowDifference
from lineage.store.lake.columnar import FETCH_ROWS, Columnar
from lineage.store.lake.origins import packed_origins
from lineage.store.lake.tables import DROPS, EDGES, NODES, SORT_KEYS

NEVER = 1 << 62
"""A time after every statement: the bound of reads without ``as_of``."""

_FIRST_NODES = (
    "SELECT DISTINCT ON (id) id, kind, attrs, entry, time_us FROM {nodes}"
    " WHERE {where} ORDER BY id, entry"
)
_NODES = _FIRST_NODES.replace(
    "{where}", "id BETWEEN $lowest AND $highest AND id IN (SELECT unnest($ids))"
)
"""The nodes of a sorted list of ids (the bounds let DuckDB skip the row groups of
other ids: a check reads posts 20,000 at a time, in id order)."""
_FIRST_EDGES = (
    "SELECT DISTINCT ON (down, up, kind) up, down, kind, entry, time_us FROM {edges}"
    " WHERE {where} ORDER BY down, up, kind, entry"
)
_EDGES_AT = (
    (
        "SELECT * FROM (({out}) UNION ({into})) WHERE time_us <= $until"
        " ORDER BY kind, up, down LIMIT $limit"
    )
    .replace(
        "{out}", _FIRST_EDGES.replace("{edges}", "{edges_out}").replace("{where}", "up = $node")
    )
    .replace("{into}", _FIRST_EDGES.replace("{where}", "$both AND down = $node"))
)
_INTO = _FIRST_EDGES.replace("{where}", "kind = $kind AND down IN (SELECT unnest($ids))")
_EDGES_INTO = "SELECT * FROM ({first}) WHERE time_us <= $until ORDER BY down, up".replace(
    "{first}", _INTO
)
_COUNT_INTO = "SELECT down, count(*) FROM ({first}) WHERE time_us <= $until GROUP BY down"
_COUNT_INTO = _COUNT_INTO.replace("{first}", _INTO)
_COUNT_OUT_OF = (
    "SELECT up, count(*) FROM (SELECT DISTINCT down, up FROM {edges_out}"
    " WHERE kind = $kind AND up IN (SELECT unnest($ids))) GROUP BY up"
)
_FIRST_DROPS = (
    "SELECT DISTINCT ON (node, entry) node, reason, entry, time_us FROM {drops}"
    " WHERE {where} ORDER BY node, entry"
)
_DROPS_OF = "SELECT * FROM ({first}) WHERE time_us <= $until ORDER BY entry, node".replace(
    "{first}", _FIRST_DROPS.replace("{where}", "node IN (SELECT unnest($ids))")
)
_DROP_COUNTS = (
    "SELECT entry, reason, count(*) FROM ({first}) WHERE time_us <= $until"
    " GROUP BY entry, reason ORDER BY entry, reason"
).replace("{first}", _FIRST_DROPS.replace("{where}", "true"))
_WALK_START = "CREATE TEMP TABLE walk_seen AS SELECT $root AS id, 0 AS level"
_WALK_LEVEL = (
    "INSERT INTO walk_seen SELECT DISTINCT {far}, $level FROM ("
    " SELECT DISTINCT ON (down, up, kind) down, up, time_us FROM {{{table}}}"
    " WHERE {near} IN (SELECT id FROM walk_seen WHERE level = $level - 1)"
    " ORDER BY down, up, kind, entry"
    ") WHERE time_us <= $until AND {far} NOT IN (SELECT id FROM walk_seen)"
)
_WALK_LEVELS = {
    True: _WALK_LEVEL.format(near="down", far="up", table="edges"),
    False: _WALK_LEVEL.format(near="up", far="down", table="edges_out"),
}
_WALK_LEVEL_IDS = "SELECT id FROM walk_seen WHERE level = $level"
_WALK_SEEN_IDS = "SELECT id FROM walk_seen"
_FILTERED_READ = 10_000
"""A read about up to this many nodes (a level of a walk, the nodes a walk found, the
edges into them) reads only the parts whose filters may hold them."""
_WALK_NODES = (
    "SELECT walk_seen.id, n.kind, n.attrs, n.entry, n.time_us FROM walk_seen"
    " LEFT JOIN ({first}) n ON n.id = walk_seen.id"
).replace("{first}", _FIRST_NODES.replace("{where}", "id IN (SELECT id FROM walk_seen)"))
ORDERED = {
    NODES: _FIRST_NODES.replace("{where}", "true"),
    EDGES: _FIRST_EDGES.replace("{where}", "true"),
    DROPS: _FIRST_DROPS.replace("{where}", "true"),
}
_COUNT_OF_KIND = "SELECT count(*) FROM ({first})".replace(
    "{first}", _FIRST_NODES.replace("{where}", "kind = $kind")
)
_NODES_OF_KIND = "SELECT * FROM ({first}) ORDER BY entry, id LIMIT $limit".replace(
    "{first}", _FIRST_NODES.replace("{where}", "kind = $kind")
)
_FIND_NODES = "SELECT * FROM ({first}) ORDER BY id LIMIT $limit".replace(
    "{first}", _FIRST_NODES.replace("{where}", "contains(lower(id), lower($text))")
)
_ROW_TYPES: dict[str, Any] = {NODES: NodeRow, EDGES: EdgeRow, DROPS: DropRow}


def _differing(table: str) -> str:
    """The rows of ``table`` that are not as ``$expected`` (a Parquet file) has them:
    whether each side has the row, then expected columns and stored ones, in key order."""
    fields = _ROW_TYPES[table]._fields
    keys = SORT_KEYS[table]
    joined = " AND ".join(f"e.{k} = s.{k}" for k in keys)
    differs = " OR ".join(f"e.{f} IS DISTINCT FROM s.{f}" for f in fields)
    order = ", ".join(f"coalesce(e.{k}, s.{k})" for k in keys)
    columns = ", ".join([*(f"e.{f}" for f in fields), *(f"s.{f}" for f in fields)])
    return (
        f"SELECT e.present IS NOT NULL, s.present IS NOT NULL, {columns}"  # noqa: S608
        f" FROM (SELECT *, true AS present FROM read_parquet($expected)) e"
        f" FULL OUTER JOIN (SELECT *, true AS present FROM ({ORDERED[table]})) s ON {joined}"
        f" WHERE e.present IS NULL OR s.present IS NULL OR {differs} ORDER BY {order}"
    )


_DIFFERING = {table: _differing(table) for table in ORDERED}


def until(as_of_us: int | None) -> int:
    """The time bound of a read ``as_of`` that time (every time, without one)."""
    return NEVER if as_of_us is None else as_of_us


class LakeGraph:
    """The columnar half of the graph reads (statements and requests are SQLite's)."""

    def __init__(self, columnar: Columnar) -> None:
        self._columnar = columnar

    def node(self, node_id: str) -> NodeRow | None:
        """The node with this id, if an entry declared it."""
        return self.nodes([node_id]).get(node_id)

    def nodes(self, ids: Sequence[str]) -> dict[str, NodeRow]:
        """The declared nodes among ``ids``, by id (read only from the parts whose
        filter may hold them)."""
        parts, wanted = self._columnar.candidates(NODES, sorted(set(ids)))
        if not wanted:
            return {}
        rows = self._columnar.rows(
            _NODES, only={NODES: parts}, ids=wanted, lowest=wanted[0], highest=wanted[-1]
        )
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
        order (kind, upstream, downstream), read from the parts whose filter may hold it."""
        out = self._edges_out()
        only, ids = self._filtered(EDGES, [node_id])
        if not ids or only is None:
            return []
        only[out] = self._columnar.candidates(out, ids)[0]
        rows = self._columnar.rows(
            self._outward(_EDGES_AT),
            only,
            node=node_id,
            both=not downstream_only,
            until=until(as_of_us),
            limit=limit,
        )
        return [EdgeRow(*r) for r in rows]

    def edges_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> list[EdgeRow]:
        """The ``kind`` edges whose downstream end is one of ``nodes``, in key order."""
        only, ids = self._filtered(EDGES, nodes)
        if not ids:
            return []
        rows = self._columnar.rows(_EDGES_INTO, only, ids=ids, kind=kind, until=until(as_of_us))
        return [EdgeRow(*r) for r in rows]

    def count_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> dict[str, int]:
        """How many ``kind`` edges lead into each of ``nodes``."""
        only, ids = self._filtered(EDGES, nodes)
        if not ids:
            return {}
        rows = self._columnar.rows(_COUNT_INTO, only, ids=ids, kind=kind, until=until(as_of_us))
        return {str(node): int(count) for node, count in rows}

    def _edges_out(self) -> str:
        """The table the edges out of nodes are read from (a store that keeps them sorted
        by upstream end says so)."""
        return EDGES

    def _outward(self, template: str) -> str:
        """``template`` reading the edges out of nodes from :meth:`_edges_out`."""
        return template.replace("{edges_out}", "{" + self._edges_out() + "}")

    def _filtered(
        self, table: str, nodes: Sequence[str]
    ) -> tuple[dict[str, list[str]] | None, list[str]]:
        """What a read of ``table`` about ``nodes`` reads (None: every part) and the ids
        it asks for: a few ids, only from the parts whose filter may hold them."""
        ids = sorted(set(nodes))
        if len(ids) > _FILTERED_READ:
            return None, ids
        parts, wanted = self._columnar.candidates(table, ids)
        return {table: parts}, wanted

    def count_out_of(self, nodes: Sequence[str], kind: str) -> dict[str, int]:
        """How many ``kind`` edges lead out of each of ``nodes`` (read only from the parts
        whose filter may hold them)."""
        out = self._edges_out()
        parts, ids = self._columnar.candidates(out, sorted(set(nodes)))
        if not ids:
            return {}
        rows = self._columnar.rows(
            self._outward(_COUNT_OUT_OF), only={out: parts}, ids=ids, kind=kind
        )
        return {str(node): int(count) for node, count in rows}

    def drops_of(self, nodes: Sequence[str], as_of_us: int | None = None) -> list[DropRow]:
        """The drops recorded against any of ``nodes``, in (entry, node) order."""
        if not nodes:
            return []
        parts, ids = self._columnar.candidates(DROPS, sorted(set(nodes)))
        if not ids:
            return []
        rows = self._columnar.rows(_DROPS_OF, only={DROPS: parts}, ids=ids, until=until(as_of_us))
        return [DropRow(*r) for r in rows]

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        """Every node reachable from ``root`` (itself included), each once; a node declared
        after ``as_of_us`` is left out, one no entry declares comes with kind ``""``.

        Level by level: each level is one join of the last level's nodes with the edges,
        so DuckDB can spill it to disk on a graph larger than its memory. A level of a
        few nodes reads only the edge parts whose filter may hold edges at them, and a
        walk that found a few nodes, only the node parts that may hold them."""
        limit = until(as_of_us)
        columnar = self._columnar
        near = EDGES if upstream else self._edges_out()
        with columnar.session() as cursor:
            columnar.execute(_WALK_START, cursor, root=root)
            level, frontier, seen = 1, 1, 1
            while True:
                only = None
                if frontier <= _FILTERED_READ:
                    ids = _ids(columnar.execute(_WALK_LEVEL_IDS, cursor, level=level - 1))
                    only = {near: columnar.candidates(near, ids)[0]}
                added = columnar.execute(
                    self._outward(_WALK_LEVELS[upstream]), cursor, only, until=limit, level=level
                ).fetchone()
                if not added or not added[0]:
                    break
                level, frontier, seen = level + 1, int(added[0]), seen + int(added[0])
            only = None
            if seen <= _FILTERED_READ:
                ids = _ids(columnar.execute(_WALK_SEEN_IDS, cursor))
                only = {NODES: columnar.candidates(NODES, ids)[0]}
            columnar.execute(_WALK_NODES, cursor, only)
            while rows := cursor.fetchmany(FETCH_ROWS):
                for node_id, kind, attrs, entry, when in rows:
                    if kind is None:
                        yield NodeRow(node_id, "", "{}", -1, 0)
                    elif when <= limit:
                        yield NodeRow(node_id, kind, attrs, entry, when)

    def nodes_of_kind(self, kind: str, limit: int) -> tuple[int, list[NodeRow]]:
        """How many nodes of ``kind`` there are, and the first ``limit`` by (entry, id)."""
        count = self._columnar.rows(_COUNT_OF_KIND, kind=kind)
        rows = self._columnar.rows(_NODES_OF_KIND, kind=kind, limit=limit)
        return int(count[0][0]) if count else 0, [NodeRow(*r) for r in rows]

    def find_nodes(self, text: str, limit: int) -> list[NodeRow]:
        """Up to ``limit`` nodes whose id contains ``text`` (ignoring case), by id."""
        return [NodeRow(*r) for r in self._columnar.rows(_FIND_NODES, text=text, limit=limit)]

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        """(entry, reason, count) of every drop."""
        rows = self._columnar.rows(_DROP_COUNTS, until=until(as_of_us))
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def packed_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[PackedOrigin]:
        """Every record packed into each shard, once per origin, in the order of the posts."""
        return packed_origins(self._columnar, sorted(set(shards)), until(as_of_us))

    def compare_columnar(self, table: str, expected: Callable[[], Path]) -> Iterator[RowDifference]:
        """The rows of a columnar table that differ from those ``expected()`` writes, in
        key order, compared by DuckDB (only the differences reach Python)."""
        row_type = _ROW_TYPES[table]
        width = len(row_type._fields)
        for row in self._columnar.stream(_DIFFERING[table], expected=str(expected())):
            wanted, stored = row[0], row[1]
            want, have = row[2 : 2 + width], row[2 + width :]
            if not stored:
                yield RowDifference("missing", row_type(*want))
            elif not wanted:
                yield RowDifference("extra", row_type(*have))
            else:
                yield RowDifference("differs", row_type(*want))

    def iter_columnar(self, table: str) -> Iterator[ProjectionRow]:
        """Rows of a columnar projection table, first row of each key, in key order."""
        row_type = _ROW_TYPES[table]
        for row in self._columnar.stream(ORDERED[table]):
            yield row_type(*row)


def _ids(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    """The ids a query of one column returned."""
    return [str(row[0]) for row in cursor.fetchall()]
