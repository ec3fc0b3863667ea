"""The graph projection recomputed from the entries, and its comparison with a store's.

The expected rows are the model's own rows (:mod:`lineage.model.rows`), recomputed by
:func:`lineage.ledger.projection.project` from each signed payload. They are kept in a
scratch SQLite file used as a disk-backed sort (first assertion wins, as at append):
its tables are made from the row types' fields and keys, not from any store's schema,
so checking a Neo4j ledger runs no SQLite store code. Both sides are then streamed in
key order and merged: memory stays flat however large the graph.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from lineage.model.rows import (
    KEY_FIELDS,
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    ProjectionRow,
    RequestRow,
    StatementRow,
)

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


def _columns(row_type: Any) -> list[str]:
    return list(row_type._fields)


def _create(table: str, row_type: Any) -> str:
    columns = ", ".join(_columns(row_type))
    key = ", ".join(KEY_FIELDS[row_type])
    return f"CREATE TABLE {table} ({columns}, PRIMARY KEY ({key})) WITHOUT ROWID"


def _insert(table: str, row_type: Any) -> str:
    marks = ", ".join("?" * len(_columns(row_type)))
    return f"INSERT OR IGNORE INTO {table} VALUES ({marks})"  # noqa: S608 - names from the model


def _select(table: str, row_type: Any) -> str:
    columns = ", ".join(_columns(row_type))
    order = ", ".join(KEY_FIELDS[row_type])
    return f"SELECT {columns} FROM {table} ORDER BY {order}"  # noqa: S608 - names from the model


class ExpectedProjection:
    """A scratch database holding the projection recomputed from the entries."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="lineage-verify-")
        self._db = sqlite3.connect(Path(self._dir.name) / "expected.db", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for table, row_type in ROW_TYPES.items():
            self._db.execute(_create(table, row_type))
        self._inserts = {table: _insert(table, t) for table, t in ROW_TYPES.items()}
        self._db.execute("BEGIN")

    def add(self, batch: GraphBatch) -> None:
        """Add the rows of the next entries (in entry order: the first assertion wins)."""
        for table, insert in self._inserts.items():
            rows: list[Any] = getattr(batch, table)
            if rows:
                self._db.executemany(insert, rows)

    def rows(self, table: str) -> Iterator[ProjectionRow]:
        """The expected rows of ``table``, in key order."""
        row_type = ROW_TYPES[table]
        cursor = self._db.execute(_select(table, row_type))
        while chunk := cursor.fetchmany(2000):
            for row in chunk:
                yield row_type(*row)

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
            where = f"{label} {_show(want.key())}"
            difference(
                MISSING, want, f"{where}: asserted by entry {want.entry} but missing from the store"
            )
            want = next(want_iter, None)
        elif have is not None and (want is None or have.key() < want.key()):
            where = f"{label} {_show(have.key())}"
            difference(EXTRA, have, f"{where}: stored but asserted by no entry")
            have = next(have_iter, None)
        elif want is not None and have is not None:
            if want != have:
                where = f"{label} {_show(want.key())}"
                difference(
                    DIFFERS,
                    want,
                    f"{where}: stored row differs from what entry {want.entry} asserts",
                )
            want, have = next(want_iter, None), next(have_iter, None)
    return compared


def _show(key: object) -> str:
    if isinstance(key, tuple):
        return " ".join(str(part) for part in key)
    return str(key)
