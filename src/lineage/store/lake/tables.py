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
    EDGES: pa.schema(
        [
            ("down", pa.string()),
            ("up", pa.string()),
            ("kind", pa.string()),
            ("entry", pa.int64()),
            ("time_us", pa.int64()),
        ]
    ),
    DROPS: pa.schema(
        [
            ("node", pa.string()),
            ("entry", pa.int64()),
            ("reason", pa.string()),
            ("time_us", pa.int64()),
        ]
    ),
    BATCHES: pa.schema([("entry", pa.int64()), ("items", pa.binary())]),
}
"""Columns in the order of the SQLite store's tables."""
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    NODES: NodeRow._fields,
    EDGES: EdgeRow._fields,
    DROPS: DropRow._fields,
    BATCHES: ("entry", "items"),
}
"""The fields of the rows an append gives, in their order."""
COLUMNAR_TABLES = tuple(SCHEMAS)
SORT_KEYS: dict[str, tuple[str, ...]] = {
    NODES: ("id",),
    EDGES: ("down", "up", "kind"),
    DROPS: ("node", "entry"),
    BATCHES: ("entry",),
}
"""Each table's key; parts are written sorted by it."""


def arrow_rows(table: str, rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Rows (tuples of :data:`ROW_FIELDS`) as an Arrow table, sorted by key."""
    schema = SCHEMAS[table]
    fields = ROW_FIELDS[table]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    arrays = [pa.array(columns[fields.index(f.name)], type=f.type) for f in schema]
    result = pa.Table.from_arrays(arrays, schema=schema)
    return result.sort_by([(name, "ascending") for name in SORT_KEYS[table]])


def empty_table_sql(table: str) -> str:
    """DuckDB DDL of an empty table with ``table``'s columns (read when it has no parts)."""
    types = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.binary(): "BLOB"}
    columns = ", ".join(f"{f.name} {types[f.type]}" for f in SCHEMAS[table])
    return f"CREATE TABLE empty_{table} ({columns})"
