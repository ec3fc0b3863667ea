"""The graph projection recomputed from the entries, and its comparison with a store's.

The expected rows are the model's own rows (:mod:`lineage.model.rows`), recomputed by
:func:`lineage.ledger.projection.project` from each signed payload. They are kept in a
scratch DuckDB database used as a disk-backed sort (first assertion wins, as at append):
rows go in as Arrow columns, an entry's batch of column rows as it is, and its tables
are made from the row types' fields and keys, not from any store's schema, so checking
a Neo4j ledger runs no store code. Both sides are then streamed in key order and merged
(memory stays flat however large the graph), or, for a store that can read Parquet,
the expected rows are written to a Parquet file it compares with its own in one query.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, get_type_hints

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lineage.model.rows import (
    KEY_FIELDS,
    BulkRows,
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    ProjectionRow,
    RequestRow,
    StatementRow,
)
from lineage.store.base import RowDifference

ROW_TYPES: dict[str, Any] = {
    "statements": StatementRow,
    "nodes": NodeRow,
    "edges": EdgeRow,
    "drops": DropRow,
    "requests": RequestRow,
}
"""The projection's tables, named as :class:`GraphBatch`'s fields, and their row types."""
LABELS = {
    "statements": "statement for entry",
    "nodes": "graph node",
    "edges": "graph edge",
    "drops": "graph drop",
    "requests": "request",
}
"""What a row of each table is, in problem reports."""
_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT"}
_ARROW_TYPES = {"str": pa.string(), "int": pa.int64()}
_MEMORY = "512MB"
_FETCH_ROWS = 8192


def _fields(row_type: Any) -> list[str]:
    return list(row_type._fields)


def _types(row_type: Any) -> list[str]:
    hints = get_type_hints(row_type)
    return [hints[name].__name__ for name in row_type._fields]


_TYPES = {table: _types(row_type) for table, row_type in ROW_TYPES.items()}
"""Each table's column types (``str`` or ``int``), from its row type's fields."""


def _create(table: str, row_type: Any) -> str:
    columns = ", ".join(
        f"{name} {_SQL_TYPES[kind]}"
        for name, kind in zip(_fields(row_type), _TYPES[table], strict=True)
    )
    return f"CREATE TABLE {table} ({columns}, seq BIGINT)"


def first_rows(table: str) -> str:
    """The expected rows of ``table``: the first asserted of each key, in key order."""
    row_type = ROW_TYPES[table]
    columns = ", ".join(_fields(row_type))
    key = ", ".join(KEY_FIELDS[row_type])
    return (
        f"SELECT DISTINCT ON ({key}) {columns} FROM {table}"  # noqa: S608 - names from the model
        f" ORDER BY {key}, entry, seq"
    )


def _bulk_columns(table: str, bulk: BulkRows) -> list[list[Any]] | None:
    """The columns of ``table`` (without entry and time) a column batch holds."""
    if table == "nodes":
        return [bulk.node_ids, bulk.node_kinds, bulk.node_attrs]
    if table == "edges":
        return [bulk.edge_ups, bulk.edge_downs, bulk.edge_kinds]
    if table == "drops":
        return [bulk.drop_nodes, bulk.drop_reasons]
    return None


class ExpectedProjection:
    """A scratch database holding the projection recomputed from the entries."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="lineage-verify-")
        self._db = duckdb.connect(
            ":memory:",
            config={
                "threads": 2,
                "memory_limit": _MEMORY,
                "temp_directory": str(Path(self._dir.name) / "spill"),
                "preserve_insertion_order": False,
            },
        )
        for table, row_type in ROW_TYPES.items():
            self._db.execute(_create(table, row_type))
        self._seq = 0
        """The insertion order of the next row (rows of one entry keep theirs)."""
        self.written: dict[str, int] = {}
        """The rows written to Parquet, by table (:meth:`to_parquet`)."""

    def add(self, batch: GraphBatch) -> None:
        """Add the rows of the next entries (in entry order: the first assertion wins)."""
        for table, row_type in ROW_TYPES.items():
            rows: list[Any] = getattr(batch, table)
            if rows:
                self._insert(table, row_type, [list(column) for column in zip(*rows, strict=True)])
            for bulk in batch.bulk:
                columns = _bulk_columns(table, bulk)
                if columns and columns[0]:
                    size = len(columns[0])
                    when = [[bulk.entry] * size, [bulk.time_us] * size]
                    self._insert(table, row_type, [*columns, *when])

    def _insert(self, table: str, row_type: Any, columns: list[list[Any]]) -> None:
        size = len(columns[0])
        start, self._seq = self._seq, self._seq + size
        arrays = [
            pa.array(column, type=_ARROW_TYPES[kind])
            for column, kind in zip(columns, _TYPES[table], strict=True)
        ]
        arrays.append(pa.array(range(start, start + size), type=pa.int64()))
        rows = pa.Table.from_arrays(arrays, names=[*_fields(row_type), "seq"])
        self._db.register("incoming", rows)
        try:
            self._db.execute(f"INSERT INTO {table} SELECT * FROM incoming")  # noqa: S608
        finally:
            self._db.unregister("incoming")

    def rows(self, table: str) -> Iterator[ProjectionRow]:
        """The expected rows of ``table``, in key order."""
        row_type = ROW_TYPES[table]
        cursor = self._db.cursor()
        reader = cursor.sql(first_rows(table)).to_arrow_reader(_FETCH_ROWS)
        for chunk in reader:
            columns = [column.to_pylist() for column in chunk.columns]
            for row in zip(*columns, strict=True):
                yield row_type(*row)

    def to_parquet(self, table: str) -> Path:
        """The expected rows of ``table``, in key order, written to a Parquet file (its
        path; the count in :attr:`written`)."""
        path = Path(self._dir.name) / f"{table}.parquet"
        reader = self._db.cursor().sql(first_rows(table)).to_arrow_reader(_FETCH_ROWS)
        rows = 0
        with pq.ParquetWriter(path, reader.schema) as writer:
            for chunk in reader:
                writer.write_batch(chunk)
                rows += chunk.num_rows
        self.written[table] = rows
        return path

    def __enter__(self) -> ExpectedProjection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._db.close()
        self._dir.cleanup()


Difference = Callable[[str, ProjectionRow, str], None]
"""Reports one difference: (what kind, the row, the sentence)."""
MISSING, EXTRA, DIFFERS = "projection-missing", "projection-extra", "projection-differs"
_KINDS = {"missing": MISSING, "extra": EXTRA, "differs": DIFFERS}


def _report(label: str, kind: str, row: ProjectionRow, difference: Difference) -> None:
    where = f"{label} {_show(row.key())}"
    if kind == MISSING:
        detail = f"{where}: asserted by entry {row.entry} but missing from the store"
    elif kind == EXTRA:
        detail = f"{where}: stored but asserted by no entry"
    else:
        detail = f"{where}: stored row differs from what entry {row.entry} asserts"
    difference(kind, row, detail)


def compare(
    label: str,
    want_iter: Iterator[ProjectionRow],
    have_iter: Iterator[ProjectionRow],
    difference: Difference,
) -> int:
    """Merge expected and stored rows (both in key order), report each difference, and
    return the number of rows compared."""
    compared = 0
    want, have = next(want_iter, None), next(have_iter, None)
    while want is not None or have is not None:
        compared += 1
        if want is not None and (have is None or want.key() < have.key()):
            _report(label, MISSING, want, difference)
            want = next(want_iter, None)
        elif have is not None and (want is None or have.key() < want.key()):
            _report(label, EXTRA, have, difference)
            have = next(have_iter, None)
        elif want is not None and have is not None:
            if want != have:
                _report(label, DIFFERS, want, difference)
            want, have = next(want_iter, None), next(have_iter, None)
    return compared


def report_differences(
    label: str, differences: Iterator[RowDifference], difference: Difference
) -> int:
    """Report the differences a store found, and return the number of stored rows no
    entry asserts (the rows compared are those expected and these)."""
    extra = 0
    for found in differences:
        kind = _KINDS[found.kind]
        extra += kind == EXTRA
        _report(label, kind, found.row, difference)
    return extra


def _show(key: object) -> str:
    if isinstance(key, tuple):
        return " ".join(str(part) for part in key)
    return str(key)
