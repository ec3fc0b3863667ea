"""Verify that a store's graph projection is exactly what its ledger entries assert.

The expected rows are recomputed from the entries into a temporary SQLite file
(first assertion wins, as at append), then both sides are streamed in key order
and merged: memory stays flat however large the graph.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

from lineage.model.rows import GraphBatch, ProjectionRow
from lineage.store.sqlite import graph as sqlite_graph

_TABLES = {
    "statements": ("entry", "statement for entry"),
    "nodes": ("id", "graph node"),
    "edges": ("down, up, kind", "graph edge"),
    "drops": ("node, entry", "graph drop"),
    "requests": ("target, kind, entry", "request"),
}
_DERIVED = {"ancestry": "ancestry of record"}


class ExpectedProjection:
    """A scratch database holding the projection recomputed from the entries."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="lineage-verify-")
        self._db = sqlite3.connect(Path(self._dir.name) / "expected.db", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for statement in sqlite_graph.GRAPH_SCHEMA.strip().split(";\n"):
            if any(
                word in statement for word in ("key_secrets", "subject_keys", "identit", "TRIGGER")
            ):
                continue
            self._db.execute(statement)
        self._db.execute("BEGIN")

    def add(self, batch: GraphBatch) -> None:
        sqlite_graph.write_batch(self._db, batch)

    def rows(self, table: str) -> Iterator[ProjectionRow]:
        return sqlite_graph.iter_rows(self._db, table)

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


def compare(
    expected: ExpectedProjection,
    stored_rows: Callable[[str], Iterator[ProjectionRow]],
    problem: Callable[[str], None],
    derived: tuple[str, ...] = (),
) -> int:
    """Report every difference (in the projection, and in the ``derived`` tables the
    store keeps); return the number of rows compared."""
    compared = 0
    tables = {table: label for table, (_, label) in _TABLES.items()}
    tables.update((table, _DERIVED[table]) for table in derived)
    for table, label in tables.items():
        want_iter, have_iter = expected.rows(table), stored_rows(table)
        want, have = next(want_iter, None), next(have_iter, None)
        while want is not None or have is not None:
            compared += 1
            if want is not None and (have is None or want.key() < have.key()):
                problem(
                    f"{label} {_show(want.key())}: asserted by entry {want.entry} but"
                    " missing from the store"
                )
                want = next(want_iter, None)
            elif have is not None and (want is None or have.key() < want.key()):
                problem(f"{label} {_show(have.key())}: stored but asserted by no entry")
                have = next(have_iter, None)
            elif want is not None and have is not None:
                if want != have:
                    problem(
                        f"{label} {_show(want.key())}: stored row differs from what entry"
                        f" {want.entry} asserts"
                    )
                want, have = next(want_iter, None), next(have_iter, None)
    return compared


def _show(key: object) -> str:
    if isinstance(key, tuple):
        return " ".join(str(part) for part in key)
    return str(key)
