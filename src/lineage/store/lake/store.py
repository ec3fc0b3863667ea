"""The columnar store, ``lake:///DIR``: the log in SQLite, the graph in Parquet parts.

``DIR/log.db`` is a SQLite file written by the SQLite store's own code: entries, tree
hashes, checkpoints, signers, metadata, statements and requests, the subject key tables,
and the ``parts`` table that lists the Parquet parts (``DIR/parts/<table>/``) holding
nodes, edges, drops and batch items. An append writes its parts, flushed to disk, before
the SQLite transaction that lists them and its checkpoint commits (see
:mod:`lineage.store.lake.parts`). Graph reads are DuckDB queries over the listed parts.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lineage.errors import ConfigurationError, NodeConflictError, StoreError
from lineage.faults import reached
from lineage.model.rows import (
    DropRow,
    GraphBatch,
    NodeRow,
    ProjectionRow,
)
from lineage.store.base import DerivedTable, RowDifference, stored_items
from lineage.store.lake.columnar import Columnar
from lineage.store.lake.compaction import compact
from lineage.store.lake.graph import LakeGraph
from lineage.store.lake.parts import (
    EDGES_UP_KEPT,
    PARTS_SCHEMA,
    Part,
    PartFiles,
    listed_files,
    part_problems,
    register,
)
from lineage.store.lake.tables import (
    BATCHES,
    COLUMNAR_TABLES,
    DROPS,
    EDGES,
    EDGES_UP,
    NODES,
    ColumnBuffer,
    sorted_by_key,
)
from lineage.store.sqlite import graph as sqlite_graph
from lineage.store.sqlite.schema import KEY_SCHEMA, LOG_SCHEMA, STATEMENTS_SCHEMA
from lineage.store.sqlite.store import SqliteSession, SqliteStore

SCHEME = "lake"
LOG_FILE = "log.db"
_PREFIX = f"{SCHEME}:///"
FLUSH_ROWS = 1_000_000
"""Graph rows an append holds in memory before it writes them as parts."""
FLUSH_BATCH_BYTES = 256 << 20
"""Batch item bytes an append holds in memory before it writes them as a part."""
_BATCH_ITEMS = "SELECT items FROM {batches} WHERE entry = $entry"
_BATCHES_FROM = "SELECT entry, items FROM {batches} WHERE entry >= $start ORDER BY entry"
_BATCHES_READ = 16
"""Batches read from a part at a time (each up to megabytes)."""
_COPIES = "SELECT down, up, kind, entry, time_us, count(*) AS copies FROM {table} GROUP BY ALL"
_UP_COPY_DIFFERS = (
    "SELECT count(*), min(coalesce(a.down, b.down) || ' <- ' || coalesce(a.up, b.up)) FROM"
    " (<edges>) a FULL OUTER JOIN (<edges_up>) b ON a.down = b.down AND a.up = b.up"
    " AND a.kind = b.kind AND a.entry = b.entry AND a.time_us = b.time_us"
    " AND a.copies = b.copies WHERE a.down IS NULL OR b.down IS NULL"
)
# the two tables are written with the same rows and merged alike, so they hold the same
# rows as many times each; hash aggregates and joins spill to disk, a sort of both would not
_UP_COPY_DIFFERS = _UP_COPY_DIFFERS.replace(
    "<edges>", _COPIES.replace("{table}", "{edges}")
).replace("<edges_up>", _COPIES.replace("{table}", "{edges_up}"))


_AMBIGUOUS = {
    NODES: "SELECT id FROM {nodes} GROUP BY id, entry"
    " HAVING count(DISTINCT (kind, attrs, time_us)) > 1 LIMIT 1",
    EDGES: "SELECT down || ' <- ' || up FROM {edges} GROUP BY down, up, kind, entry"
    " HAVING count(DISTINCT time_us) > 1 LIMIT 1",
    DROPS: "SELECT node FROM {drops} GROUP BY node, entry"
    " HAVING count(DISTINCT (reason, time_us)) > 1 LIMIT 1",
}
"""A key asserted twice by one entry with other values: the first row of a key is the
one of its earliest entry, and between rows of one entry no order is kept."""


def lake_dir(url: str) -> Path:
    """The directory of a ``lake:///DIR`` store URL."""
    if not url.startswith(_PREFIX) or len(url) == len(_PREFIX):
        raise ConfigurationError(f"store URL {url!r} must look like lake:///path/to/directory")
    return Path(url[len(_PREFIX) :])


class LakeSession(SqliteSession):
    """One append: SQLite's transaction, plus the parts it writes before committing."""

    def __init__(
        self, db: sqlite3.Connection, files: PartFiles, columnar: Columnar, edges_up: bool
    ) -> None:
        super().__init__(db)
        self._files = files
        self._columnar = columnar
        self._edges_up = edges_up
        self._graph = LakeGraph(columnar)
        self._pending = {table: ColumnBuffer(table) for table in COLUMNAR_TABLES}
        self._pending_bytes = 0
        self._new_nodes: dict[str, tuple[str, str, int]] = {}
        self._dropped: set[tuple[str, int]] = set()
        self._written: list[Part] = []

    def add_batches(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Hold the batch items of Lineage/v2 entries for this append's parts."""
        self._pending[BATCHES].add_rows(rows)
        self._pending_bytes += sum(len(items) for _, items in rows)
        self._flush_if_full()

    def existing_nodes(self, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(kind, attributes JSON, entry) of those nodes stored or added in this append."""
        found = {
            node_id: (row.kind, row.attrs, row.entry)
            for node_id, row in self._graph.nodes(ids).items()
        }
        for node_id in ids:
            if node_id not in found and node_id in self._new_nodes:
                found[node_id] = self._new_nodes[node_id]
        return found

    def add_graph(self, batch: GraphBatch) -> None:
        """Write statements and requests to SQLite and hold nodes, edges and drops for
        this append's parts (column batches as they are); a node already stored is not
        written again."""
        ids = [row.id for row in batch.nodes]
        for bulk in batch.bulk:
            ids += bulk.node_ids
        stored = self._graph.nodes(ids) if ids else {}
        nodes = self._pending[NODES]
        nodes.add_rows(self._fresh(batch.nodes, stored))
        for bulk in batch.bulk:
            rows = zip(bulk.node_ids, bulk.node_kinds, bulk.node_attrs, strict=True)
            fresh = self._fresh([(i, k, a, bulk.entry, bulk.time_us) for i, k, a in rows], stored)
            nodes.add_rows(fresh)
        sqlite_graph.write_statements(self._db, batch)
        self._pending[EDGES].add_rows(batch.edges)
        self._pending[DROPS].add_rows(self._first_drops(batch.drops))
        for bulk in batch.bulk:
            entries, times = [bulk.entry] * len(bulk.edge_ups), [bulk.time_us] * len(bulk.edge_ups)
            self._pending[EDGES].add_columns(
                down=bulk.edge_downs,
                up=bulk.edge_ups,
                kind=bulk.edge_kinds,
                entry=entries,
                time_us=times,
            )
            drops = self._first_drops(
                DropRow(node, reason, bulk.entry, bulk.time_us)
                for node, reason in zip(bulk.drop_nodes, bulk.drop_reasons, strict=True)
            )
            count = len(drops)
            self._pending[DROPS].add_columns(
                node=[d.node for d in drops],
                entry=[bulk.entry] * count,
                reason=[d.reason for d in drops],
                time_us=[bulk.time_us] * count,
            )
        self._flush_if_full()

    def _first_drops(self, drops: Iterable[DropRow]) -> list[DropRow]:
        """The drops whose (node, entry) this append has not held yet: an entry that drops
        a node twice keeps its first reason, as ``INSERT OR IGNORE`` does on SQLite."""
        seen = self._dropped
        first = []
        for drop in drops:
            key = (drop.node, drop.entry)
            if key not in seen:
                seen.add(key)
                first.append(drop)
        return first

    def _fresh(
        self, rows: Sequence[tuple[str, str, str, int, int]], stored: dict[str, NodeRow]
    ) -> list[tuple[str, str, str, int, int]]:
        """The node rows (id, kind, attrs, entry, time) neither stored nor added before
        in this append; :class:`NodeConflictError` if one is with other attributes."""
        fresh = []
        new_nodes = self._new_nodes
        for row in rows:
            node_id, kind, attrs = row[0], row[1], row[2]
            first = stored.get(node_id)
            known = (first.kind, first.attrs, first.entry) if first else new_nodes.get(node_id)
            if known is None:
                new_nodes[node_id] = (kind, attrs, row[3])
                fresh.append(row)
            elif (known[0], known[1]) != (kind, attrs):
                raise NodeConflictError("a node is asserted again with other attributes")
        return fresh

    def _flush_if_full(self) -> None:
        rows = sum(len(self._pending[t]) for t in (NODES, EDGES, DROPS))
        if rows >= FLUSH_ROWS or self._pending_bytes >= FLUSH_BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        """Write what is held as parts and list them in the open transaction."""
        parts = []
        for table, buffer in self._pending.items():
            if not len(buffer):
                continue
            rows = len(buffer)
            arrow = buffer.to_arrow()
            copies = [(table, arrow)]
            if table == EDGES and self._edges_up:
                copies.append((EDGES_UP, sorted_by_key(arrow, EDGES_UP)))
            for name, sorted_rows in copies:
                part = self._files.write(name, sorted_rows, rows)
                self._written.append(part)
                parts.append(part)
        register(self._db, parts)
        self._pending_bytes = 0
        self._new_nodes.clear()

    def finish(self) -> None:
        """Write the last parts, and merge small ones, before the commit."""
        self._flush()
        self._written.extend(compact(self._db, self._files, self._columnar, time.time()))
        reached("lake.before-commit")

    def discard(self) -> None:
        """Delete the parts this failed append wrote."""
        self._files.remove(part.file for part in self._written)
        self._written.clear()


class LakeStore(LakeGraph, SqliteStore):
    """The columnar implementation of :class:`lineage.store.base.Store`."""

    SCHEMA = (LOG_SCHEMA, STATEMENTS_SCHEMA, KEY_SCHEMA, PARTS_SCHEMA)
    KEEPS_BATCHES = False

    def __init__(self, url: str, *, create: bool = False, read_only: bool = False) -> None:
        root = lake_dir(url)
        if create and root.is_dir() and not (root / LOG_FILE).exists() and any(root.iterdir()):
            raise ConfigurationError(
                f"{root} holds files but no lake ledger: a new lake goes in an empty directory"
            )
        if create:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
        SqliteStore.__init__(self, url, create=create, read_only=read_only)
        self.root = root
        self._files = PartFiles(root)
        LakeGraph.__init__(self, Columnar(self._files, self._db))

    def _edges_out(self) -> str:
        """The table the edges out of nodes are read from."""
        return EDGES_UP if self._edges_up else EDGES

    @property
    def _edges_up(self) -> bool:
        """Whether this lake keeps the edges sorted by upstream end too (one made before
        that was added does not; its tables are read as they are)."""
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (EDGES_UP_KEPT,)
        )
        return found.fetchone() is not None

    @staticmethod
    def database_path(url: str) -> Path:
        """The log's SQLite file inside the lake directory."""
        return lake_dir(url) / LOG_FILE

    def new_session(self) -> LakeSession:
        """A write session; parts a crashed append left behind are deleted first (the
        write lock is held, so no other append is writing its parts now)."""
        self._files.remove_orphans(self._db, time.time())
        return LakeSession(self._db, self._files, self._columnar, self._edges_up)

    def part_paths(self, table: str) -> list[Path]:
        """The Parquet files of ``table`` (nodes, edges, drops, batches) that the current
        read view lists: what another engine (DuckDB, Spark) reads to query the graph."""
        return [self._files.path(file) for file in listed_files(self._db, table)]

    def is_empty(self) -> bool:
        """Whether the log file holds no table (parts on disk that no log lists are what a
        crashed copy left: the copy's session deletes them)."""
        return super().is_empty()

    # -- batches -----------------------------------------------------------------

    def batch(self, index: int) -> bytes | None:
        """The batch items stored beside entry ``index`` (None for an entry without)."""
        rows = self._columnar.rows(_BATCH_ITEMS, entry=index)
        return stored_items(rows[0][0]) if rows else None

    def iter_batches(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """(entry index, batch items) of every entry that has them, in index order.

        Parts are read one after the other, in the order of their first entries, a few
        batches at a time: each holds a run of entries in order that no other part's run
        interleaves with, so nothing is sorted (a sort would hold every batch's items at
        once). Parts that are not so (written by hand) are read with a sort."""
        paths = self._batch_parts_in_order()
        if paths is None:
            for entry, items in self._columnar.stream(_BATCHES_FROM, start=start):
                yield int(entry), stored_items(items)
            return
        for path in paths:
            try:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCHES_READ):
                    entries, items = batch.column(0).to_pylist(), batch.column(1).to_pylist()
                    for entry, held in zip(entries, items, strict=True):
                        if entry >= start:
                            yield int(entry), stored_items(held)
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"{path}: cannot read a batch part: {exc}") from exc

    def _batch_parts_in_order(self) -> list[Path] | None:
        """The batch parts in entry order, if their entries are in order within each and
        their runs do not interleave; None if not."""
        runs = []
        for path in self.part_paths(BATCHES):
            try:
                entries = pq.read_table(path, columns=["entry"]).column(0).to_pylist()
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"{path}: cannot read a batch part: {exc}") from exc
            if entries:
                runs.append((entries, path))
        runs.sort(key=lambda run: run[0][0])
        flat = [entry for entries, _ in runs for entry in entries]
        if any(a >= b for a, b in pairwise(flat)):
            return None
        return [path for _, path in runs]

    # -- graph reads (LakeGraph's; statements and requests are SQLite's) ---------

    def iter_rows(self, table: str) -> Iterator[ProjectionRow]:
        """Rows of one of :data:`PROJECTION_TABLES` in key order."""
        if table in (NODES, EDGES, DROPS):
            yield from self.iter_columnar(table)
        else:
            yield from super().iter_rows(table)

    def compare_rows(
        self, table: str, expected: Callable[[], Path]
    ) -> Iterator[RowDifference] | None:
        """The node, edge and drop rows that differ from ``expected``, compared in DuckDB;
        None for the tables the log keeps (compared row by row)."""
        if table in (NODES, EDGES, DROPS):
            return self.compare_columnar(table, expected)
        return None

    def derived_tables(self) -> Sequence[DerivedTable]:
        """None: the origins of packed records are computed when a check asks."""
        return ()

    def integrity_problems(self) -> list[str]:
        """SQLite's check of the log file, every listed part present and unchanged, and
        the edges sorted by upstream end the same as the edges."""
        with self._translated():
            problems = [*super().integrity_problems(), *part_problems(self._db, self._files)]
        for table, query in _AMBIGUOUS.items() if not problems else ():
            found = self._columnar.rows(query)
            if found:
                problems.append(
                    f"{table} rows differ under one key and entry, so reads would pick one"
                    f" at random (the first: {found[0][0]})"
                )
        if not problems and self._edges_up:
            rows = self._columnar.rows(_UP_COPY_DIFFERS)
            if rows and rows[0][0]:
                problems.append(
                    f"{rows[0][0]} edge rows differ between the edges and their copy sorted"
                    f" by upstream end (the first: {rows[0][1]})"
                )
        return problems

    def close(self) -> None:
        """Close DuckDB and the log's SQLite connection."""
        self._columnar.close()
        super().close()
