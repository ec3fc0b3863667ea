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

COLUMNAR = ("nodes", "edges", "drops", "batches")
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
    """Run ``statement`` over ``table``'s rows and list the result as its only part."""
    files = _files(db, root, table)
    duck = duckdb.connect()
    try:
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet($f)", {"f": files})
        duck.execute(_BLOB.sub(r"from_hex('\1')", statement))
        name = f"parts/{table}/{uuid.uuid4().hex}.parquet"
        duck.execute(f"COPY {table} TO '{root / name}' (FORMAT parquet)")
    finally:
        duck.close()
    data = (root / name).read_bytes()
    db.execute("DELETE FROM parts WHERE tbl = ?", (table,))
    db.execute(
        "INSERT INTO parts VALUES (?, ?, 0, ?, ?)",
        (name, table, len(data), hashlib.sha256(data).hexdigest()),
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
