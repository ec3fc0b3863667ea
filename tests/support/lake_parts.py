"""Changing a lake store's Parquet parts underneath lineage, as someone with write access
to its directory could: the test's SQL runs in DuckDB over the table's rows, which are
written back as one part that the ``parts`` table lists in place of the old ones (with
its true digest: the change is not caught by the file check, only by what verify
recomputes)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

COLUMNAR = ("nodes", "edges", "drops", "batches", "edges_up")
_COPIES = {"edges": ("edges", "edges_up")}
"""Tables kept twice: an edit of the edges changes their copy sorted by upstream end too
(as someone who wants the change to pass would), so verify's own recomputation is what
must catch it."""
_TABLE = re.compile(r"\b(?:UPDATE|INTO|FROM)\s+(\w+)", re.IGNORECASE)
_BLOB = re.compile(r"\bx'([0-9a-fA-F]*)'")


def lake_table(url: str, statement: str) -> str | None:
    """The columnar table ``statement`` changes, if ``url`` is a lake store's."""
    if not url.startswith("lake:"):
        return None
    match = _TABLE.search(statement)
    return match.group(1) if match and match.group(1) in COLUMNAR else None


def _files(db: sqlite3.Connection, root: Path, table: str) -> list[str]:
    return [str(root / r[0]) for r in db.execute("SELECT file FROM parts WHERE tbl = ?", (table,))]


def edit_parts(db: sqlite3.Connection, root: Path, table: str, statement: str) -> None:
    """Run ``statement`` over ``table``'s rows and list the result as its only part (and
    the same for the table's copy, if the lake keeps one)."""
    for stored in _COPIES.get(table, (table,)):
        files = _files(db, root, stored)
        if files:
            _rewrite(db, root, table, stored, files, statement)


def _rewrite(
    db: sqlite3.Connection, root: Path, table: str, stored: str, files: list[str], statement: str
) -> None:
    duck = duckdb.connect()
    try:
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet($f)", {"f": files})
        duck.execute(_BLOB.sub(r"from_hex('\1')", statement))
        name = f"parts/{stored}/{uuid.uuid4().hex}.parquet"
        duck.execute(f"COPY {table} TO '{root / name}' (FORMAT parquet)")
    finally:
        duck.close()
    data = (root / name).read_bytes()
    db.execute("DELETE FROM parts WHERE tbl = ?", (stored,))
    db.execute(
        "INSERT INTO parts VALUES (?, ?, 0, ?, ?)",
        (name, stored, len(data), hashlib.sha256(data).hexdigest()),
    )
    for file in files:
        Path(file).unlink()


def part_rows(db: sqlite3.Connection, root: Path) -> Iterator[tuple[Any, ...]]:
    """Every row of every listed part."""
    duck = duckdb.connect()
    try:
        for table in COLUMNAR:
            files = _files(db, root, table)
            if files:
                yield from duck.execute("SELECT * FROM read_parquet($f)", {"f": files}).fetchall()
    finally:
        duck.close()
