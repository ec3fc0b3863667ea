"""The origins of packed records, computed in DuckDB from the ``DERIVED_FROM`` edges.

The SQLite store keeps an ancestry index up to date at every append; here the same rows
are computed when a check asks, over the ancestors of the packed records only:

1. the records packed into the shards (by ``until``), and every node upstream of them,
   a level at a time (each level one join, which DuckDB can spill to disk);
2. each node's lines (origin post, path of entries, oldest hop first), relaxed level by
   level from the posts down: a node takes, for each origin, the least of its parents'
   lines extended by the edge's entry — the rule the SQLite index applies, so both give
   the same path when several lead from one post to one record;
3. records with a parent that is neither a post nor has lines wait for it, and they and
   everything derived from them are reported with a lineage gap (origin None).

The path entries are not bounded by ``until``, as in the SQLite store: callers compare
their entries' times.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from lineage.errors import StoreError
from lineage.model.graph import DERIVED_FROM, ID_PREFIX, PACKED_INTO, POST
from lineage.model.rows import PackedOrigin
from lineage.store.lake.columnar import Columnar

_FIRST_EDGES = (
    "SELECT DISTINCT ON (down, up, kind) up, down, entry, time_us FROM {edges}"
    " WHERE {where} ORDER BY down, up, kind, entry"
)
_PACKED = (
    "CREATE TEMP TABLE packed AS SELECT up AS record, down AS shard, entry, time_us"
    " FROM ({first}) WHERE time_us <= $until"
).replace(
    "{first}",
    _FIRST_EDGES.replace("{where}", "kind = $packed AND down IN (SELECT unnest($shards))"),
)
_CLOSURE_START = "CREATE TEMP TABLE closure AS SELECT DISTINCT record AS id, 0 AS level FROM packed"
_CLOSURE_LEVEL = (
    "INSERT INTO closure SELECT DISTINCT up, $level FROM ({first})"
    " WHERE up NOT IN (SELECT id FROM closure)"
).replace(
    "{first}",
    _FIRST_EDGES.replace(
        "{where}", "kind = $derived AND down IN (SELECT id FROM closure WHERE level = $level - 1)"
    ),
)
# the work tables name nodes by number, in the order of their ids, so that they take a
# fraction of the memory and the answer is sorted on numbers
_NUMBERED = (
    "CREATE TEMP TABLE numbered AS SELECT id, row_number() OVER (ORDER BY id) AS n,"
    " starts_with(id, $post) AS post FROM closure"
)
_HOPS = (
    "CREATE TEMP TABLE hops AS SELECT d.n AS down, u.n AS up, u.post AS from_post, f.entry"
    " FROM ({first}) f JOIN numbered d ON d.id = f.down JOIN numbered u ON u.id = f.up"
).replace(
    "{first}",
    _FIRST_EDGES.replace("{where}", "kind = $derived AND down IN (SELECT id FROM closure)"),
)
_FROM_POSTS = (
    "CREATE TEMP TABLE lines AS SELECT down AS node, up AS origin, min([entry]) AS path"
    " FROM hops WHERE from_post GROUP BY down, up"
)
_FIRST_FRONTIER = "CREATE TEMP TABLE frontier AS SELECT * FROM lines"
_OFFERED = (
    "CREATE OR REPLACE TEMP TABLE better AS"
    " WITH offered AS (SELECT hops.down AS node, frontier.origin,"
    " min(list_append(frontier.path, hops.entry)) AS path"
    " FROM frontier JOIN hops ON hops.up = frontier.node GROUP BY hops.down, frontier.origin)"
    " SELECT offered.* FROM offered LEFT JOIN lines"
    " ON lines.node = offered.node AND lines.origin = offered.origin"
    " WHERE lines.path IS NULL OR offered.path < lines.path"
)
_IMPROVE = (
    "DELETE FROM lines USING better WHERE lines.node = better.node"
    " AND lines.origin = better.origin",
    "INSERT INTO lines SELECT * FROM better",
    "CREATE OR REPLACE TEMP TABLE frontier AS SELECT * FROM better",
)
_GAPPED_START = (
    "CREATE TEMP TABLE gapped AS SELECT DISTINCT down AS id, 0 AS level FROM hops"
    " WHERE NOT from_post AND up NOT IN (SELECT node FROM lines)"
)
_GAPPED_LEVEL = (
    "INSERT INTO gapped SELECT DISTINCT hops.down, $level FROM hops"
    " WHERE hops.up IN (SELECT id FROM gapped WHERE level = $level - 1)"
    " AND hops.down NOT IN (SELECT id FROM gapped)"
)
_RESULT = """
SELECT shard, record, entry, time_us, origin, path FROM (
    SELECT p.shard, p.record, p.entry, p.time_us, o.id AS origin, lines.path,
           coalesce(o.n, 0) AS origin_n, r.n AS record_n
    FROM packed p JOIN numbered r ON r.id = p.record
    LEFT JOIN lines ON lines.node = r.n LEFT JOIN numbered o ON o.n = lines.origin
    UNION ALL
    SELECT p.shard, p.record, p.entry, p.time_us, NULL, NULL, 0, r.n
    FROM packed p JOIN numbered r ON r.id = p.record
    WHERE r.n IN (SELECT id FROM gapped) AND r.n IN (SELECT node FROM lines)
) ORDER BY origin_n, record_n, shard
"""
_FETCH = 5000
_COPY_RESULT = "COPY (" + _RESULT + ") TO {file} (FORMAT parquet)"


def packed_origins(columnar: Columnar, shards: Sequence[str], until: int) -> Iterator[PackedOrigin]:
    """Every record packed into ``shards`` by ``until``, once per post it derives from
    (origin None: no complete path to a post), in the order of the posts."""
    if not shards:
        return
    with columnar.session() as cursor:
        columnar.execute(_PACKED, cursor, packed=PACKED_INTO, shards=list(shards), until=until)
        columnar.execute(_CLOSURE_START, cursor)
        _by_level(columnar, cursor, _CLOSURE_LEVEL, derived=DERIVED_FROM)
        columnar.execute(_NUMBERED, cursor, post=ID_PREFIX[POST])
        columnar.execute(_HOPS, cursor, derived=DERIVED_FROM)
        columnar.execute("DROP TABLE closure", cursor)
        columnar.execute(_FROM_POSTS, cursor)
        columnar.execute(_FIRST_FRONTIER, cursor)
        while True:
            columnar.execute(_OFFERED, cursor)
            improved = columnar.execute("SELECT count(*) FROM better", cursor).fetchone()
            if not improved or not improved[0]:
                break
            for statement in _IMPROVE:
                columnar.execute(statement, cursor)
        columnar.execute(_GAPPED_START, cursor)
        _by_level(columnar, cursor, _GAPPED_LEVEL)
        # the answer goes to a file and the session closes before the caller reads it,
        # so the work tables no longer hold DuckDB's memory while the caller queries
        result = columnar.scratch_file(".parquet")
        # the order of the rows is the answer's: keep it through the parallel write
        columnar.execute("SET preserve_insertion_order = true", cursor)
        try:
            columnar.execute(_COPY_RESULT.format(file=_quoted(result)), cursor)
        finally:
            columnar.execute("SET preserve_insertion_order = false", cursor)
    try:
        for batch in pq.ParquetFile(result).iter_batches(_FETCH):
            for shard, record, entry, when, origin, path in zip(
                *(column.to_pylist() for column in batch.columns), strict=True
            ):
                yield PackedOrigin(shard, record, entry, when, origin, tuple(path) if path else ())
    finally:
        result.unlink(missing_ok=True)


def _by_level(
    columnar: Columnar, cursor: duckdb.DuckDBPyConnection, statement: str, **params: str
) -> None:
    """Run ``statement``, which adds the nodes of level ``$level`` from those of the level
    before, for levels 1, 2, … until one adds none."""
    level = 1
    while True:
        added = columnar.execute(statement, cursor, None, level=level, **params).fetchone()
        if not added or not added[0]:
            return
        level += 1


def _quoted(path: Path) -> str:
    """``path`` as a SQL string literal (a file name of our own, in our own directory)."""
    text = str(path)
    if "'" in text:
        raise StoreError(f"{text}: a spill path with a quote cannot be written to")
    return f"'{text}'"
