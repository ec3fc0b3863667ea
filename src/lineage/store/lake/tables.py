"""The lake store's columnar tables: their Arrow schemas and rows as Arrow tables.

Nodes, edges, drops and batch items are Parquet parts; statements and requests (one row
an entry, and few requests) stay in the log's SQLite file. Parts are appended, never
rewritten, so a key may appear in several parts: a reader keeps, of each key, the row of
the earliest entry, as the SQLite store's ``INSERT OR IGNORE`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from lineage.model.rows import DropRow, EdgeRow, NodeRow

NODES, EDGES, DROPS, BATCHES = "nodes", "edges", "drops", "batches"
EDGES_UP = "edges_up"
"""The edges again, sorted by their upstream end: a read of the edges out of a few nodes
then skips row groups by their min/max statistics, as a read of the edges into a few
nodes does on ``edges`` (sorted by the downstream end)."""
_EDGE_SCHEMA = pa.schema(
    [
        ("down", pa.string()),
        ("up", pa.string()),
        ("kind", pa.string()),
        ("entry", pa.int64()),
        ("time_us", pa.int64()),
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    NODES: pa.schema(
        [
            ("id", pa.string()),
            ("kind", pa.string()),
            ("attrs", pa.string()),
            ("entry", pa.int64()),
            ("time_us", pa.int64()),
        ]
    ),
    EDGES: _EDGE_SCHEMA,
    DROPS: pa.schema(
        [
            ("node", pa.string()),
            ("entry", pa.int64()),
            ("reason", pa.string()),
            ("time_us", pa.int64()),
        ]
    ),
    BATCHES: pa.schema([("entry", pa.int64()), ("items", pa.binary())]),
    EDGES_UP: _EDGE_SCHEMA,
}
"""Columns in the order of the SQLite store's tables."""
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    NODES: NodeRow._fields,
    EDGES: EdgeRow._fields,
    DROPS: DropRow._fields,
    BATCHES: ("entry", "items"),
    EDGES_UP: EdgeRow._fields,
}
"""The fields of the rows an append gives, in their order."""
COLUMNAR_TABLES = tuple(SCHEMAS)
SORT_KEYS: dict[str, tuple[str, ...]] = {
    NODES: ("id",),
    EDGES: ("down", "up", "kind"),
    DROPS: ("node", "entry"),
    BATCHES: ("entry",),
    EDGES_UP: ("up", "down", "kind"),
}
"""Each table's key; parts are written sorted by it."""


class ColumnBuffer:
    """Rows of one table held as columns until they are written as a part."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.columns: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS[table]}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add rows given as tuples of :data:`ROW_FIELDS`."""
        if not rows:
            return
        for name, values in zip(ROW_FIELDS[self.table], zip(*rows, strict=True), strict=True):
            self.columns[name].extend(values)

    def add_columns(self, **columns: list[Any]) -> None:
        """Add rows given as one list per column (every column, of equal lengths)."""
        for name, values in columns.items():
            self.columns[name].extend(values)

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table sorted by key; the buffer is emptied."""
        schema = SCHEMAS[self.table]
        arrays = [pa.array(self.columns[f.name], type=f.type) for f in schema]
        for values in self.columns.values():
            values.clear()
        return sorted_by_key(pa.Table.from_arrays(arrays, schema=schema), self.table)


def sorted_by_key(rows: pa.Table, table: str) -> pa.Table:
    """``rows`` sorted by ``table``'s key."""
    return rows.sort_by([(name, "ascending") for name in SORT_KEYS[table]])


def empty_table_sql(table: str) -> str:
    """DuckDB DDL of an empty table with ``table``'s columns (read when it has no parts)."""
    types = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.binary(): "BLOB"}
    columns = ", ".join(f"{f.name} {types[f.type]}" for f in SCHEMAS[table])
    return f"CREATE TABLE empty_{table} ({columns})"
